/**
 * A UDP link between a camera and a viewer that a test can cut: the way a viewer vanishes without
 * a word (a phone leaving Wi-Fi, a hub losing power), with packets dropped rather than a clean
 * close. Real sockets on loopback, nothing else.
 *
 * It works like a symmetric NAT between the two: each side is given a candidate of the link
 * instead of the other's (`cameraFacing` for the camera, `viewerFacing` for the viewer), and the
 * link relays every datagram between them while it is up. `cut()` drops everything from then on
 * in both directions; `restore()` lets it through again. Only UDP host candidates are relayed:
 * give each side just the candidate this link rewrites.
 */

import { createSocket, type Socket } from "node:dgram";

export interface Endpoint {
    address: string;
    port: number;
}

export class UdpLink {
    /** Datagrams relayed, and dropped while cut. */
    relayed = 0;
    dropped = 0;
    #up = true;
    #cameraAt: Endpoint | undefined;
    #viewerAt: Endpoint | undefined;

    private constructor(
        readonly cameraFacing: Socket,
        readonly viewerFacing: Socket,
    ) {
        // camera → (cameraFacing) → link → (viewerFacing) → viewer, and back
        cameraFacing.on("message", (data, from) => {
            this.#cameraAt = { address: from.address, port: from.port };
            this.#relay(data, viewerFacing, this.#viewerAt);
        });
        viewerFacing.on("message", (data, from) => {
            this.#viewerAt = { address: from.address, port: from.port };
            this.#relay(data, cameraFacing, this.#cameraAt);
        });
    }

    static async open(address = "127.0.0.1"): Promise<UdpLink> {
        const bind = (socket: Socket) => new Promise<void>(resolve => socket.bind(0, address, () => resolve()));
        const a = createSocket("udp4");
        const b = createSocket("udp4");
        await Promise.all([bind(a), bind(b)]);
        return new UdpLink(a, b);
    }

    /**
     * Rewrites a UDP host candidate of the viewer so the camera reaches it through the link (the
     * viewer's real address is where the link sends). Other candidates: undefined (not relayed).
     */
    viewerCandidateForCamera(candidate: string): string | undefined {
        return this.#rewrite(candidate, this.cameraFacing, at => (this.#viewerAt ??= at));
    }

    /** The same for a candidate of the camera, as the viewer should see it. */
    cameraCandidateForViewer(candidate: string): string | undefined {
        return this.#rewrite(candidate, this.viewerFacing, at => (this.#cameraAt ??= at));
    }

    cut(): void {
        this.#up = false;
    }

    restore(): void {
        this.#up = true;
    }

    close(): void {
        this.cameraFacing.close();
        this.viewerFacing.close();
    }

    #relay(data: Buffer, out: Socket, to: Endpoint | undefined): void {
        if (!this.#up || to === undefined) {
            this.dropped++;
            return;
        }
        this.relayed++;
        out.send(data, to.port, to.address);
    }

    /** "candidate:… 1 udp <prio> <address> <port> typ host …" with the link's side instead. */
    #rewrite(candidate: string, side: Socket, remember: (at: Endpoint) => void): string | undefined {
        const parts = candidate.replace(/^a=/, "").split(" ");
        if ((parts[2] ?? "").toLowerCase() !== "udp" || parts[7] !== "host") return undefined;
        remember({ address: parts[4] ?? "", port: Number(parts[5]) });
        const local = side.address();
        parts[4] = local.address;
        parts[5] = String(local.port);
        return parts.join(" ");
    }
}
