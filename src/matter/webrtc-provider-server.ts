/**
 * The WebRTC Transport Provider cluster (0x0553) for matter.js, over the WASM core.
 *
 * matter.js 0.17.9 ships `WebRtcTransportProviderServer` empty. This behavior fills in its five
 * command handlers by handing each request's TLV fields and its caller (accessing fabric, CASE
 * peer node) to the {@link WebRtcEngine}; the core decides, and the handler returns the core's
 * response or throws a `StatusResponseError` with the core's status (never a plain Error, which
 * matter.js would turn into a FAILURE for the whole interaction).
 *
 * CurrentSessions is re-declared fabric-scoped ("R F M", as the SDK treats it) so matter.js
 * filters reads by fabric and prunes on fabric removal. Its value is the core's own TLV encoding
 * decoded into state after every change, so the table exists once (in the core) and matter.js
 * only holds the mirror that reads and subscriptions need. Fabric removal also purges the core's
 * rows, which releases their streams and closes their peers.
 *
 * What the transport layer already guarantees before a handler runs: Operate privilege, TCP for
 * these Large Message commands (INVALID_TRANSPORT_TYPE over UDP) and an accessing fabric
 * (UNSUPPORTED_ACCESS over PASE).
 *
 * The engine is a service of the node's environment (`WebRtcEngine`, set by the camera node
 * factory before the endpoint is added), found in `initialize`; a node without one answers every
 * command FAILURE. The stream context comes to the engine from CameraAvStreamManagement itself.
 */

import { Bytes, Logger, Node, type MaybePromise, type ServerNode } from "@matter/main";
import { WebRtcTransportProviderServer } from "@matter/main/behaviors/web-rtc-transport-provider";
import { WebRtcTransportDefinitions } from "@matter/main/clusters/web-rtc-transport-definitions";
import { WebRtcTransportProvider } from "@matter/main/clusters/web-rtc-transport-provider";
import { FabricManager, NodeSession, assertRemoteActor } from "@matter/main/protocol";
import { Status as MatterStatus, StatusResponseError, TlvOfModel } from "@matter/main/types";
import { ProviderCommand, Status, WebRtcEngine, statusName, type Caller } from "../engine/index.js";

const logger = Logger.get("WebRtcProviderServer");

const schema = WebRtcTransportProvider.schema;
const ProviderSchema = schema.extend(undefined, schema.attributes.require("CurrentSessions").extend({ access: "R F M" }));
const ProviderBase = WebRtcTransportProviderServer.for(WebRtcTransportProvider, ProviderSchema);

const commands = WebRtcTransportProvider.commands;
const solicitOfferTlv = TlvOfModel(commands.solicitOffer);
const solicitOfferResponseTlv = TlvOfModel(commands.solicitOffer.schema.responseModel!);
const provideOfferTlv = TlvOfModel(commands.provideOffer);
const provideOfferResponseTlv = TlvOfModel(commands.provideOffer.schema.responseModel!);
const provideAnswerTlv = TlvOfModel(commands.provideAnswer);
const provideIceCandidatesTlv = TlvOfModel(commands.provideIceCandidates);
const endSessionTlv = TlvOfModel(commands.endSession);
const currentSessionsTlv = TlvOfModel(WebRtcTransportProvider.attributes.currentSessions);

/**
 * The WebRTC Transport Provider (0x0553) behavior: its five commands run through the node's
 * {@link WebRtcEngine} (a service of the node's environment, e.g. from `WebRtcService.install`),
 * and CurrentSessions mirrors the core's table, fabric-scoped. Put it on the camera endpoint next
 * to `CameraAvStreamServer`.
 */
export class WebRtcProviderServer extends ProviderBase {
    /** The behavior's private runtime state (matter.js keeps it per endpoint, outside attributes). */
    declare internal: WebRtcProviderServer.Internal;

    override initialize(): void {
        const engine = this.env.maybeGet(WebRtcEngine);
        if (engine !== undefined) this.#bindEngine(engine);
        const node = Node.forEndpoint(this.endpoint) as ServerNode;
        this.reactTo(node.lifecycle.online, this.#online);
        if (node.lifecycle.isOnline) this.#online();
    }

    /** Stops mirroring the engine's changes, then lets matter.js dispose of the behavior. */
    override [Symbol.asyncDispose](): MaybePromise {
        this.internal.unbindEngine?.();
        this.internal.unbindEngine = undefined;
        return super[Symbol.asyncDispose]();
    }

    #online(): void {
        if (this.internal.fabricObserverInstalled) return;
        this.internal.fabricObserverInstalled = true;
        this.reactTo(this.env.get(FabricManager).events.deleted, this.#fabricDeleted);
    }

    #fabricDeleted(fabric: { fabricIndex: number }): void {
        this.internal.engine?.removeFabric(fabric.fabricIndex);
    }

    /** Binds the engine; its session changes are mirrored into CurrentSessions from then on. */
    #bindEngine(engine: WebRtcEngine): void {
        this.internal.engine = engine;
        const endpoint = this.endpoint;
        let scheduled = false;
        // Changes made outside a command (provider End, privacy, fabric removal, offer expiry)
        // reach matter.js state through one debounced write of the whole list.
        this.internal.unbindEngine = engine.subscribe(() => {
            if (scheduled) return;
            scheduled = true;
            queueMicrotask(() => {
                scheduled = false;
                endpoint
                    .setStateOf(WebRtcProviderServer, { currentSessions: mirror(engine) })
                    .catch((error: unknown) => logger.error("CurrentSessions update failed", error));
            });
        });
        this.state.currentSessions = mirror(engine);
    }

    /** SolicitOffer: the core admits the session, the media host makes (or defers) the Offer. */
    override async solicitOffer(request: WebRtcTransportProvider.SolicitOfferRequest): Promise<WebRtcTransportProvider.SolicitOfferResponse> {
        const response = await this.#run(ProviderCommand.SolicitOffer, Bytes.of(solicitOfferTlv.encode(request)));
        return solicitOfferResponseTlv.decode(response) as WebRtcTransportProvider.SolicitOfferResponse;
    }

    /** ProvideOffer (a new session or a re-offer): the core admits it, the media host answers the controller's Offer. */
    override async provideOffer(request: WebRtcTransportProvider.ProvideOfferRequest): Promise<WebRtcTransportProvider.ProvideOfferResponse> {
        const response = await this.#run(ProviderCommand.ProvideOffer, Bytes.of(provideOfferTlv.encode(request)));
        return provideOfferResponseTlv.decode(response) as WebRtcTransportProvider.ProvideOfferResponse;
    }

    /** ProvideAnswer: the controller's Answer to the camera's Offer goes to the session's peer. */
    override async provideAnswer(request: WebRtcTransportProvider.ProvideAnswerRequest): Promise<void> {
        await this.#run(ProviderCommand.ProvideAnswer, Bytes.of(provideAnswerTlv.encode(request)));
    }

    /** ProvideICECandidates: the controller's trickled candidates go to the session's peer. */
    override async provideIceCandidates(request: WebRtcTransportProvider.ProvideIceCandidatesRequest): Promise<void> {
        await this.#run(ProviderCommand.ProvideIceCandidates, Bytes.of(provideIceCandidatesTlv.encode(request)));
    }

    /** EndSession: the row leaves the table and the session's peer is closed. */
    override async endSession(request: WebRtcTransportProvider.EndSessionRequest): Promise<void> {
        await this.#run(ProviderCommand.EndSession, Bytes.of(endSessionTlv.encode(request)));
    }

    /** Runs one command through the engine; returns the response fields or throws its status. */
    async #run(command: ProviderCommand, fields: Uint8Array): Promise<Uint8Array> {
        const engine = this.internal.engine;
        if (engine === undefined) throw new StatusResponseError("this node has no WebRTC engine (WebRtcEngine in its environment)", MatterStatus.Failure);
        const result = await engine.invoke(command, fields, this.#caller());
        this.state.currentSessions = mirror(engine);
        if (result.status !== Status.Success) {
            throw new StatusResponseError(`WebRTC provider: ${statusName(result.status)}`, result.status as MatterStatus);
        }
        return result.response ?? new Uint8Array();
    }

    /** The accessing fabric and CASE peer, and a promise for "our response has been sent". */
    #caller(): Caller {
        assertRemoteActor(this.context);
        const session = this.context.session;
        NodeSession.assert(session);
        const complete = this.context.interactionComplete;
        const responseSent =
            complete === undefined
                ? Promise.resolve()
                : new Promise<void>(resolve => {
                      complete.once(() => resolve());
                  });
        return {
            fabricIndex: session.peerAddress.fabricIndex,
            peerNodeId: BigInt(session.peerAddress.nodeId),
            responseSent,
        };
    }
}

/** The core's CurrentSessions TLV (every fabric), as matter.js state. */
function mirror(engine: WebRtcEngine): WebRtcTransportDefinitions.WebRtcSession[] {
    return currentSessionsTlv.decode(engine.currentSessionsTlv()) as WebRtcTransportDefinitions.WebRtcSession[];
}

export namespace WebRtcProviderServer {
    /** Per-endpoint runtime state of {@link WebRtcProviderServer}. */
    export class Internal {
        /** The node's engine, when its environment has one (without it every command is FAILURE). */
        engine?: WebRtcEngine;
        /** Stops mirroring the engine's changes. */
        unbindEngine?: () => void;
        /** The fabric-removal observer is installed (once, when the node first goes online). */
        fabricObserverInstalled = false;
    }
}
