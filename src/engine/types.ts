/**
 * The cluster's value types as the engine hands them to hosts: stream usages, end reasons, ICE
 * servers and candidates, the parameters of an offer, and the events the engine reports.
 *
 * Numbers are the wire values of the Matter enums, so a host can pass them through unchanged.
 */

export const StreamUsage = { Internal: 0, Recording: 1, Analysis: 2, LiveView: 3 } as const;
export type StreamUsage = (typeof StreamUsage)[keyof typeof StreamUsage];

export const EndReason = {
    IceFailed: 0,
    IceTimeout: 1,
    UserHangup: 2,
    UserBusy: 3,
    Replaced: 4,
    NoUserMedia: 5,
    InviteTimeout: 6,
    AnsweredElsewhere: 7,
    OutOfResources: 8,
    MediaTimeout: 9,
    LowPower: 10,
    PrivacyMode: 11,
    UnknownReason: 12,
} as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/** Provider commands of cluster 0x0553 by command id. */
export const ProviderCommand = {
    SolicitOffer: 0x00,
    ProvideOffer: 0x02,
    ProvideAnswer: 0x04,
    ProvideIceCandidates: 0x05,
    EndSession: 0x06,
} as const;
export type ProviderCommand = (typeof ProviderCommand)[keyof typeof ProviderCommand];

/** Requestor commands of cluster 0x0554 that the provider sends. */
export const RequestorCommand = { Offer: 0x00, Answer: 0x01, IceCandidates: 0x02, End: 0x03 } as const;
export type RequestorCommand = (typeof RequestorCommand)[keyof typeof RequestorCommand];

export const StreamKind = { Video: 0, Audio: 1 } as const;
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind];

/** Who sent a command: the accessing fabric (device-local index) and the CASE peer node id. */
export interface Caller {
    fabricIndex: number;
    peerNodeId: bigint;
    /**
     * Resolves once this command's response has left. Outbound work for the session waits for it,
     * so the controller learns the session id before it receives an Offer or Answer for it.
     */
    responseSent?: Promise<unknown>;
}

export interface IceServer {
    urls: string[];
    username?: string;
    credential?: string;
    caid?: number;
}

export interface IceCandidate {
    candidate: string;
    /** null when the peer sent null (unknown media id). */
    sdpMid: string | null;
    sdpMLineIndex: number | null;
}

/** What a SolicitOffer or ProvideOffer asks of the media plane (after the core resolved streams). */
export interface OfferParams {
    sessionId: number;
    fabricIndex: number;
    peerNodeId: bigint;
    streamUsage: StreamUsage;
    originatingEndpointId: number;
    /** The session's video streams (resolved: explicit ids, or the auto-selected one). */
    videoStreams: number[];
    audioStreams: number[];
    iceServers?: IceServer[];
    iceTransportPolicy?: string;
    metadataEnabled: boolean;
    /** A ProvideOffer for an existing session. */
    reoffer: boolean;
}

export interface SolicitOutcome {
    /** true: the media source is not ready; the Offer follows later (within 30 s). */
    deferred: boolean;
}

export type SessionState = "reserved" | "awaiting-deferred-offer" | "awaiting-answer" | "established";

/** A live row of the session table as the core holds it. */
export interface SessionInfo {
    id: number;
    fabricIndex: number;
    peerNodeId: bigint;
    peerEndpointId: number;
    streamUsage: StreamUsage;
    state: SessionState;
    videoStreams: number[];
    audioStreams: number[];
    metadataEnabled: boolean;
}

/** Why a row left the table. */
export type RemovalCause = "peer" | "provider" | "fabric-removed";

export type SessionChange =
    | { kind: "added" | "updated"; sessionId: number }
    | { kind: "removed"; sessionId: number; reason: EndReason; cause: RemovalCause };

export interface StreamReference {
    kind: StreamKind;
    streamId: number;
    references: number;
}

/** One outbound Requestor invoke, encoded once: retransmits send these exact bytes. */
export interface OutboundInvoke {
    command: RequestorCommand;
    sessionId: number;
    fabricIndex: number;
    peerNodeId: bigint;
    /** The Requestor's endpoint on the peer (the session's OriginatingEndpointID). */
    endpointId: number;
    /** TLV of the command fields (an anonymous structure). */
    fields: Uint8Array;
}

/** Work the media plane asks the engine to push to the controller. */
export type OutboundWork =
    | { kind: "offer"; sessionId: number }
    | { kind: "answer"; sessionId: number }
    | { kind: "iceCandidates"; sessionId: number }
    | { kind: "end"; sessionId: number; reason: EndReason };
