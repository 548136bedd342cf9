/**
 * The cluster's value types as the engine hands them to hosts: stream usages, end reasons, ICE
 * servers and candidates, the parameters of an offer, and the events the engine reports.
 *
 * Numbers are the wire values of the Matter enums, so a host can pass them through unchanged.
 */

/** What a stream or a session is for (StreamUsageEnum); a session's usage must be one the camera supports. */
export const StreamUsage = {
    /** The device's own use; never offered to a controller. */
    Internal: 0,
    /** Recording by the controller (e.g. continuous or event recording). */
    Recording: 1,
    /** Analysis by the controller (e.g. object detection) rather than a viewer. */
    Analysis: 2,
    /** A live view shown to a person; what every real controller asks for. */
    LiveView: 3,
} as const;
/** The union of the `StreamUsage` wire values, as a type. */
export type StreamUsage = (typeof StreamUsage)[keyof typeof StreamUsage];

/**
 * Why a WebRTC session ended (WebRTCEndReasonEnum): carried by EndSession and End, and reported in
 * the engine's `removed` session changes.
 */
export const EndReason = {
    /** ICE connectivity checks failed. */
    IceFailed: 0,
    /** ICE did not connect in time. */
    IceTimeout: 1,
    /** The user (or the controller on its behalf) hung up: the usual EndSession reason. */
    UserHangup: 2,
    /** The other side is busy with another session. */
    UserBusy: 3,
    /** The session was replaced by a new one. */
    Replaced: 4,
    /** No media source was available for the session. */
    NoUserMedia: 5,
    /** The Offer or Answer did not come in time (a deferred offer or an unanswered Offer). */
    InviteTimeout: 6,
    /** Another device answered the session. */
    AnsweredElsewhere: 7,
    /** The camera ran out of sessions, streams or buffer space. */
    OutOfResources: 8,
    /** Media stopped flowing: the viewer stopped answering (RTCP, ICE consent). */
    MediaTimeout: 9,
    /** The device ended it to save power. */
    LowPower: 10,
    /** A privacy mode turned on, which stops live streaming. */
    PrivacyMode: 11,
    /** Any other reason. */
    UnknownReason: 12,
} as const;
/** The union of the `EndReason` wire values, as a type. */
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** Provider commands of cluster 0x0553 by command id. */
export const ProviderCommand = {
    /** The controller asks the camera for an Offer (answered with SolicitOfferResponse). */
    SolicitOffer: 0x00,
    /** The controller sends its Offer; the camera answers through the Requestor's Answer. */
    ProvideOffer: 0x02,
    /** The controller's Answer to the camera's Offer. */
    ProvideAnswer: 0x04,
    /** Trickled ICE candidates from the controller. */
    ProvideIceCandidates: 0x05,
    /** The controller ends a session. */
    EndSession: 0x06,
} as const;
/** The union of the `ProviderCommand` command ids, as a type. */
export type ProviderCommand = (typeof ProviderCommand)[keyof typeof ProviderCommand];

/** Requestor commands of cluster 0x0554 that the provider sends. */
export const RequestorCommand = {
    /** The camera's Offer (after a SolicitOffer). */
    Offer: 0x00,
    /** The camera's Answer to a ProvideOffer. */
    Answer: 0x01,
    /** The camera's trickled ICE candidates. */
    IceCandidates: 0x02,
    /** The camera ends a session. */
    End: 0x03,
} as const;
/** The union of the `RequestorCommand` command ids, as a type. */
export type RequestorCommand = (typeof RequestorCommand)[keyof typeof RequestorCommand];

/** The two kinds of stream a WebRTC session references, as the core and the stream registry number them. */
export const StreamKind = {
    /** A video stream (VideoStreamID). */
    Video: 0,
    /** An audio stream (AudioStreamID). */
    Audio: 1,
} as const;
/** The union of the `StreamKind` values, as a type. */
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

/** Who sent a command: the accessing fabric (device-local index) and the CASE peer node id. */
export interface Caller {
    /** The accessing fabric's index on this device; sessions are scoped to it. */
    fabricIndex: number;
    /** The controller's operational node id on that fabric. */
    peerNodeId: bigint;
    /**
     * Resolves once this command's response has left. Outbound work for the session waits for it,
     * so the controller learns the session id before it receives an Offer or Answer for it.
     */
    responseSent?: Promise<unknown>;
}

/** A STUN or TURN server from the controller's ICEServers (ICEServerStruct). */
export interface IceServer {
    /** `stun:` / `turn:` / `turns:` URLs of one server. */
    urls: string[];
    /** TURN user name, when the server needs one. */
    username?: string;
    /** TURN credential, when the server needs one. */
    credential?: string;
    /** The Certificate Authority ID of a TLS (`turns:`) server, when the controller names one. */
    caid?: number;
}

/** One ICE candidate as it crosses the cluster (ICECandidateStruct) and `RTCIceCandidateInit`. */
export interface IceCandidate {
    /** The candidate line (`candidate:...`); an empty string marks the end of candidates. */
    candidate: string;
    /** null when the peer sent null (unknown media id). */
    sdpMid: string | null;
    /** Index of the SDP media section the candidate is for; null when the peer sent null. */
    sdpMLineIndex: number | null;
}

/** What a SolicitOffer or ProvideOffer asks of the media plane (after the core resolved streams). */
export interface OfferParams {
    /** The session the media plane sets up a peer for. */
    sessionId: number;
    /** The fabric the session belongs to. */
    fabricIndex: number;
    /** The controller's node id on that fabric. */
    peerNodeId: bigint;
    /** What the stream is for (live view, recording, ...). */
    streamUsage: StreamUsage;
    /** The controller's Requestor endpoint, where outbound Offer/Answer/ICE/End go. */
    originatingEndpointId: number;
    /** The session's video streams (resolved: explicit ids, or the auto-selected one). */
    videoStreams: number[];
    /** The session's audio streams (resolved like `videoStreams`). */
    audioStreams: number[];
    /** STUN/TURN servers the controller asked the peer to use. */
    iceServers?: IceServer[];
    /** The controller's ICETransportPolicy; `"relay"` restricts the peer to TURN candidates, anything else means all. */
    iceTransportPolicy?: string;
    /** Whether the controller asked for a metadata data channel. */
    metadataEnabled: boolean;
    /** A ProvideOffer for an existing session. */
    reoffer: boolean;
}

/** A media host's reply to SolicitOffer: whether the Offer comes now or later. */
export interface SolicitOutcome {
    /** true: the media source is not ready; the Offer follows later (within 30 s). */
    deferred: boolean;
}

/**
 * Where a session is in its setup: `reserved` (its command is still being handled; not live yet),
 * `awaiting-deferred-offer` (the camera's Offer follows later), `awaiting-answer` (the camera's Offer is
 * out, the Answer not in) or `established` (Offer and Answer exchanged).
 */
export type SessionState = "reserved" | "awaiting-deferred-offer" | "awaiting-answer" | "established";

/** A live row of the session table as the core holds it. */
export interface SessionInfo {
    /** The WebRTCSessionID, unique on the device. */
    id: number;
    /** The fabric that owns the row; other fabrics never see it. */
    fabricIndex: number;
    /** The controller's node id on that fabric. */
    peerNodeId: bigint;
    /** The controller's Requestor endpoint. */
    peerEndpointId: number;
    /** What the session is for. */
    streamUsage: StreamUsage;
    /** How far setup has come. */
    state: SessionState;
    /** Ids of the video streams the session uses. */
    videoStreams: number[];
    /** Ids of the audio streams the session uses. */
    audioStreams: number[];
    /** Whether the session carries a metadata data channel. */
    metadataEnabled: boolean;
}

/** Why a row left the table. */
export type RemovalCause = "peer" | "provider" | "fabric-removed";

/** A change to the session table, reported after the core applied it (`WebRtcEngine.subscribe`). */
export type SessionChange =
    | {
          /** A row went live (`added`) or a re-offer changed it (`updated`). */
          kind: "added" | "updated";
          /** The row's session id. */
          sessionId: number;
      }
    | {
          /** A row left the table. */
          kind: "removed";
          /** The session id the row had. */
          sessionId: number;
          /** The end reason that was sent or received. */
          reason: EndReason;
          /** Who ended it. */
          cause: RemovalCause;
      };

/** How many sessions use one stream right now, as the core counts them. */
export interface StreamReference {
    /** Video or audio. */
    kind: StreamKind;
    /** The stream's id within its kind. */
    streamId: number;
    /** Sessions that reference the stream (its ReferenceCount). */
    references: number;
}

/** One outbound Requestor invoke, encoded once: retransmits send these exact bytes. */
export interface OutboundInvoke {
    /** Which Requestor command to invoke. */
    command: RequestorCommand;
    /** The session the command is about. */
    sessionId: number;
    /** The fabric to send it on. */
    fabricIndex: number;
    /** The controller to send it to. */
    peerNodeId: bigint;
    /** The Requestor's endpoint on the peer (the session's OriginatingEndpointID). */
    endpointId: number;
    /** TLV of the command fields (an anonymous structure). */
    fields: Uint8Array;
}

/** Work the media plane asks the engine to push to the controller. */
export type OutboundWork =
    | {
          /** Send the session's Offer (its SDP is in the outbound snapshot). */
          kind: "offer";
          /** The session it is for. */
          sessionId: number;
      }
    | {
          /** Send the session's Answer. */
          kind: "answer";
          /** The session it is for. */
          sessionId: number;
      }
    | {
          /** Send the session's pending local ICE candidates. */
          kind: "iceCandidates";
          /** The session it is for. */
          sessionId: number;
      }
    | {
          /** End the session from the camera's side (End). */
          kind: "end";
          /** The session to end. */
          sessionId: number;
          /** The reason the End carries. */
          reason: EndReason;
      };
