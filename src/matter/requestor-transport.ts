/**
 * Delivers the engine's outbound snapshots (Offer, Answer, ICECandidates, End) to the controller's
 * WebRTC Transport Requestor cluster (0x0554).
 *
 * Each invoke goes to the session's originating endpoint on its peer node, over the session's
 * fabric, as a Large Message command (so on TCP). The peer is reached through the camera node's
 * own `peers`, which reuses any live CASE session with that node (also one the controller
 * opened) and otherwise establishes CASE itself. The command fields are the core's bytes, passed
 * as raw TLV, so a retransmit or retry carries exactly what the core encoded once.
 *
 * A controller usually records a session only when our response reaches it, so an Offer or
 * Answer can overtake its bookkeeping and come back NOT_FOUND: that is retried a bounded number of
 * times with backoff. A controller that keeps refusing only loses that invoke (the engine reports
 * it; the session stays, as the reference camera keeps it). A controller that cannot be reached
 * at all (no CASE session, no answer within the timeout) ends the session: its row is removed and
 * its media closed.
 */

import type { ServerNode } from "@matter/main";
import { WebRtcTransportRequestor } from "@matter/main/clusters/web-rtc-transport-requestor";
import { Invoke, PeerAddress } from "@matter/main/protocol";
import {
    CommandId,
    EndpointNumber,
    FabricIndex,
    NodeId,
    Status as MatterStatus,
    StatusResponseError,
    TlvAny,
} from "@matter/main/types";
import {
    EndReason,
    RequestorCommand,
    Status,
    statusName,
    type OutboundInvoke,
    type OutboundTransport,
    type WebRtcEngine,
} from "../engine/index.js";

/** Retries and timeouts of the outbound Offer / Answer / ICECandidates / End invokes to a controller. */
export interface RequestorTransportOptions {
    /** Tries for an invoke the controller answers NOT_FOUND (it has not recorded the session yet). */
    notFoundTries?: number;
    /** First retry delay; doubles per try. */
    retryDelayMs?: number;
    /** Upper bound for one invoke, connection included. */
    timeoutSeconds?: number;
}

const COMMAND_NAMES: Record<number, string> = { 0: "offer", 1: "answer", 2: "iceCandidates", 3: "end" };

/** A command definition whose fields are raw TLV: the core's bytes go on the wire untouched. */
function rawCommand(id: RequestorCommand) {
    return { requestId: CommandId(id), requestSchema: TlvAny, responseId: CommandId(id), responseSchema: TlvAny, timed: false };
}

export class RequestorTransport implements OutboundTransport {
    readonly #node: ServerNode;
    readonly #engine: WebRtcEngine;
    readonly #notFoundTries: number;
    readonly #retryDelayMs: number;
    readonly #timeout: number;

    constructor(node: ServerNode, engine: WebRtcEngine, options: RequestorTransportOptions = {}) {
        this.#node = node;
        this.#engine = engine;
        this.#notFoundTries = options.notFoundTries ?? 6;
        this.#retryDelayMs = options.retryDelayMs ?? 50;
        this.#timeout = options.timeoutSeconds ?? 20;
    }

    async send(invoke: OutboundInvoke): Promise<void> {
        let status: number;
        try {
            for (let attempt = 1; ; attempt++) {
                status = await this.#invokeOnce(invoke);
                if (status !== Status.NotFound || attempt >= this.#notFoundTries) break;
                await new Promise(resolve => setTimeout(resolve, this.#retryDelayMs * 2 ** (attempt - 1)));
            }
        } catch (error) {
            // unreachable (no CASE, no answer): the session cannot go on without its signalling;
            // an End that failed needs nothing more
            if (invoke.command !== RequestorCommand.End) this.#engine.endSession(invoke.sessionId, EndReason.UnknownReason);
            throw error;
        }
        if (status === Status.Success) return;
        // The controller answered but refused (e.g. it never registered the session in its
        // Requestor cluster): the session stays, as in the reference camera; the controller can
        // still use or end it. Only this invoke is given up.
        throw new StatusResponseError(`controller refused ${COMMAND_NAMES[invoke.command]}: ${statusName(status)}`, status as MatterStatus);
    }

    /** One invoke; resolves to the command status the controller answered. */
    async #invokeOnce(invoke: OutboundInvoke): Promise<number> {
        const peer = await this.#node.peers.forAddress(
            PeerAddress({ fabricIndex: FabricIndex(invoke.fabricIndex), nodeId: NodeId(invoke.peerNodeId) }),
        );
        const request = Invoke({
            commands: [
                {
                    endpoint: EndpointNumber(invoke.endpointId),
                    cluster: WebRtcTransportRequestor,
                    command: rawCommand(invoke.command),
                    fields: TlvAny.decode(invoke.fields),
                } as never,
            ],
        });
        request.largeMessage = true;
        const exchange = (async () => {
            let status: number = Status.Success;
            for await (const chunk of peer.interaction.invoke(request)) {
                for (const entry of chunk) {
                    if (entry.kind === "cmd-status") status = entry.status;
                }
            }
            return status;
        })();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer to ${COMMAND_NAMES[invoke.command]} within ${this.#timeout} s`)), this.#timeout * 1000);
        });
        try {
            return await Promise.race([exchange, timeout]);
        } finally {
            clearTimeout(timer);
        }
    }
}
