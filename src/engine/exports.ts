/**
 * The raw exports of the WASM core (`assembly/index.ts`), as the engine calls them.
 *
 * There are no generated bindings: every export takes and returns numbers (`bool` is 0/1, `usize`
 * a byte address, `u64` a BigInt that comes back signed and must pass through
 * `BigInt.asUintN(64, …)`). A unit test checks this list against the compiled module, so the two
 * cannot drift apart.
 */

export interface CoreExports {
    /** The module's own linear memory: fixed size (`initial == maximum`), so views on it never detach. */
    readonly memory: WebAssembly.Memory;
    /** Address of IN, where the host writes an inbound command's TLV fields. */
    inPtr(): number;
    /** Bytes IN holds (`IN_LEN`). */
    inCap(): number;
    /** Address of RESP, where commits and `encodeSessions` write a response. */
    respPtr(): number;
    /** Bytes RESP holds. */
    respCap(): number;
    /** Length of the response in RESP; negative when it did not fit. */
    respLen(): number;
    /** Address of OUT, where snapshots encode an outbound Requestor command. */
    outPtr(): number;
    /** Bytes OUT holds (`OUT_LEN`). */
    outCap(): number;
    /** Address inside OUT where the host stages an SDP for `snapOffer` / `snapAnswer`. */
    stagePtr(): number;
    /** Longest SDP the stage area takes, in bytes. */
    stageCap(): number;
    /** Where the host stages a local candidate for `candAdmit`. */
    candStagePtr(): number;
    /** Where the host stages that candidate's SDPMid. */
    midStagePtr(): number;
    /** Rows of the session table (`N_SESSIONS`). */
    capSessions(): number;
    /** Longest SDP in bytes (`SDP_LEN`). */
    capSdp(): number;
    /** Longest local candidate in bytes (`CAND_LEN`). */
    capCandLen(): number;
    /** Slots of the local candidate pool (`MAX_CAND`). */
    capMaxCand(): number;
    /** Allocated streams mirrored per kind (`MAX_STREAMS`). */
    capStreams(): number;
    /** Remote candidates taken from one ProvideICECandidates (`MAX_IN_CAND`). */
    capInCand(): number;
    /** Longest SDPMid kept with a local candidate (`MID_LEN`). */
    capMidLen(): number;
    /** Provider-initiated End records (`END_CAP`). */
    capEnds(): number;
    /** First byte past the static data: how much of linear memory the profile uses. */
    staticEnd(): number;
    /** Phase 1 of SolicitOffer on the `len` bytes in IN; returns a status, and on SUCCESS sets `actSession` / `actAction`. */
    solicitOffer(len: number, fabric: number, peer: bigint): number;
    /** Phase 1 of ProvideOffer (a new session or a re-offer); like `solicitOffer`. */
    provideOffer(len: number, fabric: number, peer: bigint): number;
    /** Phase 1 of ProvideAnswer; like `solicitOffer`. */
    provideAnswer(len: number, fabric: number, peer: bigint): number;
    /** Phase 1 of ProvideICECandidates; like `solicitOffer`. */
    provideIceCandidates(len: number, fabric: number, peer: bigint): number;
    /** Phase 1 of EndSession; like `solicitOffer`. */
    endSession(len: number, fabric: number, peer: bigint): number;
    /** The SolicitOffer hook succeeded: the session goes live owing an Offer (deadline `nowS` + 30 s); encodes the response. */
    commitSolicitOffer(id: number, deferred: number, nowS: number): number;
    /** The ProvideOffer hook succeeded: a new session goes live, a re-offer replaces its terms; encodes the response. */
    commitProvideOffer(id: number): number;
    /** The ProvideAnswer hook succeeded: the session is established. */
    commitProvideAnswer(id: number): number;
    /** The hook failed: a reserved row is freed, a staged re-offer or answer dropped. */
    abortPending(id: number): number;
    /** The session the last successful phase 1 concerns. */
    actSession(): number;
    /** What the last successful phase 1 decided (an `Action`). */
    actAction(): number;
    /** StreamUsage of the decided command. */
    argUsage(): number;
    /** OriginatingEndpointID of the decided command. */
    argEndpoint(): number;
    /** 1 when the decided command enabled metadata. */
    argMetadata(): number;
    /** Reason of the decided EndSession. */
    argReason(): number;
    /** 1 when the decided ProvideOffer names an existing session (a re-offer). */
    argReoffer(): number;
    /** Address of the decided command's SDP (read in place in IN). */
    argSdpPtr(): number;
    /** Byte length of that SDP. */
    argSdpLen(): number;
    /** Byte length of ICETransportPolicy, or -1 when absent. */
    argPolicyLen(): number;
    /** Address of ICETransportPolicy. */
    argPolicyPtr(): number;
    /** ICE servers in the decided command, or -1 when ICEServers is absent. */
    argIceServerCount(): number;
    /** Strings of those servers (URLs, usernames, credentials), flattened. */
    argIceStrCount(): number;
    /** Address of ICE server string `i`. */
    argIceStrPtr(i: number): number;
    /** Byte length of ICE server string `i`. */
    argIceStrLen(i: number): number;
    /** Index of the server string `i` belongs to. */
    argIceStrServer(i: number): number;
    /** What string `i` is: 0 a URL, 1 a username, 2 a credential. */
    argIceStrKind(i: number): number;
    /** CAID of ICE server `server`, or -1 when absent. */
    argIceCaid(server: number): number;
    /** Remote candidates in the decided ProvideICECandidates (at most `capInCand`). */
    argCandCount(): number;
    /** Address of remote candidate `i`. */
    argCandPtr(i: number): number;
    /** Byte length of remote candidate `i`. */
    argCandLen(i: number): number;
    /** Address of remote candidate `i`'s SDPMid. */
    argMidPtr(i: number): number;
    /** Byte length of that SDPMid, or -1 when null. */
    argMidLen(i: number): number;
    /** SDPMLineIndex of remote candidate `i`, or -1 when null. */
    argMline(i: number): number;
    /** Video streams the decided command resolved to. */
    selVideoCount(): number;
    /** Audio streams the decided command resolved to. */
    selAudioCount(): number;
    /** The `k`-th resolved video stream id. */
    selVideoAt(k: number): number;
    /** The `k`-th resolved audio stream id. */
    selAudioAt(k: number): number;
    /** Mirrors an allocated stream; returns a status. */
    streamAdd(kind: number, id: number, usage: number): number;
    /** Removes a mirrored stream; INVALID_IN_STATE while a session or a reservation uses it. */
    streamRemove(kind: number, id: number): number;
    /** Mirrored streams of a kind. */
    streamCount(kind: number): number;
    /** Id of the `i`-th stream of a kind, in allocation order. */
    streamIdAt(kind: number, i: number): number;
    /** Usage of the `i`-th stream of a kind. */
    streamUsageAt(kind: number, i: number): number;
    /** Sessions referencing stream `id`, or -1 when it is not allocated. */
    streamRefs(kind: number, id: number): number;
    /** 1 when a reference count changed since `clearRefsChanged`. */
    refsChanged(): number;
    /** Clears the `refsChanged` flag. */
    clearRefsChanged(): void;
    /** Sets StreamUsagePriorities: `count` usages packed one per byte, lowest byte first. */
    setPriorities(count: number, packed: number): number;
    /** Sets the privacy switches; sessions they forbid end with PrivacyMode. Returns how many ended. */
    setPrivacy(hard: number, softRecording: number, softLivestream: number): number;
    /** Sets whether UTC time is unknown (`turns:`/`stuns:` ICE servers are then refused). */
    setUtcTimeNull(isNull: number): void;
    /** Id of the `k`-th live session in insertion order (all fabrics), or -1. */
    sessionAt(k: number): number;
    /** Live sessions. */
    sessionCount(): number;
    /** State of session `id`: 0 none, 1 reserved, 2 awaiting deferred offer, 3 awaiting answer, 4 established. */
    sessionState(id: number): number;
    /** Fabric index of live session `id` (0 when not live). */
    sessionFabric(id: number): number;
    /** Peer node id of live session `id` (signed; pass through `BigInt.asUintN(64, …)`). */
    sessionPeer(id: number): bigint;
    /** Peer endpoint of live session `id`, or -1. */
    sessionEndpoint(id: number): number;
    /** StreamUsage of live session `id`, or -1. */
    sessionUsage(id: number): number;
    /** 1 when live session `id` has metadata enabled. */
    sessionMetadata(id: number): number;
    /** Video streams of live session `id`. */
    sessionVideoCount(id: number): number;
    /** Audio streams of live session `id`. */
    sessionAudioCount(id: number): number;
    /** The `k`-th video stream id of session `id`, or -1. */
    sessionVideoAt(id: number, k: number): number;
    /** The `k`-th audio stream id of session `id`, or -1. */
    sessionAudioAt(id: number, k: number): number;
    /** Encodes CurrentSessions into RESP for one fabric (0: every fabric); returns its length. */
    encodeSessions(fabricFilter: number): number;
    /** A fabric left: its rows and unsent Ends go. Returns how many rows went. */
    removeFabric(fabric: number): number;
    /** The camera ends live session `id`: the row goes and an End is queued. */
    endByProvider(id: number, reason: number): number;
    /** Ends every session whose owed Offer is overdue at `nowS`; returns how many. */
    expireOffers(nowS: number): number;
    /** Where the session id allocator continues. */
    nextId(): number;
    /** Sets where the id allocator continues (1..0xFFFE), to exercise wrap-around. */
    setNextId(v: number): void;
    /** Change events since the last `clearEvents`. */
    eventCount(): number;
    /** Kind of event `i`: 1 added, 2 updated, 3 removed, 4 End queued. */
    eventKind(i: number): number;
    /** Session of event `i`. */
    eventSession(i: number): number;
    /** End reason of a removal or a queued End. */
    eventReason(i: number): number;
    /** Cause of a removal: 0 the peer, 1 the provider, 2 the fabric left. */
    eventCause(i: number): number;
    /** 1 when events were lost since the last `clearEvents` (resynchronise from the table). */
    eventOverflow(): number;
    /** Drops the stored events. */
    clearEvents(): void;
    /** Encodes the Offer of session `id` with the `sdpLen`-byte SDP staged at `stagePtr`. */
    snapOffer(id: number, sdpLen: number): number;
    /** Encodes the Answer of session `id` with the staged SDP. */
    snapAnswer(id: number, sdpLen: number): number;
    /** Encodes as many of session `id`'s waiting candidates as fit OUT, oldest first. */
    snapIce(id: number): number;
    /** Encodes the End queued for session `id` and releases its record. */
    snapEnd(id: number): number;
    /** Admits the staged local candidate for session `id` (`midLen` / `mline` -1: null); BUSY when the pool is full. */
    candAdmit(id: number, candLen: number, midLen: number, mline: number): number;
    /** Local candidates of session `id` still waiting. */
    candPending(id: number): number;
    /** Free slots of the local candidate pool. */
    candFreeSlots(): number;
    /** Ends waiting to be sent. */
    endPendingCount(): number;
    /** Length of the last snapshot in OUT. */
    outLength(): number;
    /** Requestor command id of the last snapshot, or -1 for none. */
    outCommand(): number;
    /** Session of the last snapshot. */
    outSession(): number;
    /** Fabric the last snapshot goes to. */
    outFabric(): number;
    /** Peer node the last snapshot goes to (signed; pass through `BigInt.asUintN(64, …)`). */
    outPeer(): bigint;
    /** Peer endpoint the last snapshot goes to. */
    outEndpoint(): number;
    /** Back to the state right after instantiation (factory reset, and between test cases). */
    reset(): void;
    /** 0 when the table's invariants hold, else the number of the first broken one. */
    selfCheck(quiescent: number): number;
    /** Source line of the last abort (a core bug), 0 if none happened. */
    abortLine(): number;
    /** Structure check of a TLV element staged in IN: its element count, or -1 if malformed. */
    tlvScan(len: number): number;
}
