/**
 * The relay's host network: matter.js' NodeJsNetwork, except that an IPv4 UDP socket made for a
 * named interface joins multicast groups on that interface.
 *
 * matter.js 0.17.9's NodeJsUdpSocket joins IPv4 groups with no interface, so the kernel picks the
 * default route's: a page whose node runs mDNS on `lo` (or on the LAN interface the user chose)
 * made the relay join 224.0.0.251 on the machine's outside interface and send IGMP membership
 * reports there (seen with tcpdump). IPv6 sockets already join on the named interface. Such an
 * IPv4 socket is made here with node:dgram, bound, sending multicast out of that interface, and
 * handed to NodeJsUdpSocket for everything else (receive, send, close); only membership is ours.
 *
 * Limits: the interface's first IPv4 address names it (an IPv4 membership is made by address);
 * an interface without IPv4 gets matter.js' NoAddressAvailableError, which its mDNS treats as
 * "no IPv4 here".
 */

import { AddressInUseError, BindError, Lifetime, NoAddressAvailableError, type UdpSocket, type UdpSocketOptions } from "@matter/main";
import { NodeJsNetwork, NodeJsUdpSocket } from "@matter/nodejs";
import { createSocket, type Socket } from "node:dgram";

export class RelayHostNetwork extends NodeJsNetwork {
    override async createUdpSocket(options: UdpSocketOptions): Promise<UdpSocket> {
        if (options.type !== "udp4" || options.netInterface === undefined) return super.createUdpSocket(options);
        const interfaceAddress = NodeJsNetwork.getMulticastInterfaceIpv4(options.netInterface);
        if (interfaceAddress === undefined) throw new NoAddressAvailableError(`No IPv4 addresses on interface "${options.netInterface}"`);
        const socket = await bound(options);
        socket.setBroadcast(true);
        socket.setMulticastInterface(interfaceAddress);
        const lifetime = (options.lifetime ?? Lifetime.process).join("relay udp4 socket", options.netInterface);
        return new InterfaceMulticastSocket(new NodeJsUdpSocket(lifetime, "udp4", socket), socket, interfaceAddress);
    }
}

/** A bound udp4 socket, or matter.js' AddressInUseError/BindError as NodeJsUdpSocket.create throws them. */
function bound(options: UdpSocketOptions): Promise<Socket> {
    const socket = createSocket({ type: "udp4", reuseAddr: options.reuseAddress === true });
    return new Promise((resolve, reject) => {
        const onError = (error: NodeJS.ErrnoException) => {
            socket.close();
            const where = `${options.listeningAddress ?? "0.0.0.0"}:${options.listeningPort ?? 0}`;
            reject(error.code === "EADDRINUSE" ? new AddressInUseError(`Cannot bind ${where} because port is already in use`) : new BindError(`Cannot bind to ${where} (code ${error.code})`));
        };
        socket.once("error", onError);
        socket.bind(options.listeningPort, options.listeningAddress, () => {
            socket.off("error", onError);
            resolve(socket);
        });
    });
}

/** NodeJsUdpSocket with IPv4 group membership on one interface address. */
class InterfaceMulticastSocket implements UdpSocket {
    readonly #inner: NodeJsUdpSocket;
    readonly #socket: Socket;
    readonly #interfaceAddress: string;

    constructor(inner: NodeJsUdpSocket, socket: Socket, interfaceAddress: string) {
        this.#inner = inner;
        this.#socket = socket;
        this.#interfaceAddress = interfaceAddress;
    }

    get maxPayloadSize(): number {
        return this.#inner.maxPayloadSize;
    }
    get port(): number {
        return this.#inner.port;
    }
    addMembership(address: string): void {
        this.#socket.addMembership(address, this.#interfaceAddress);
    }
    dropMembership(address: string): void {
        this.#socket.dropMembership(address, this.#interfaceAddress);
    }
    onData(listener: UdpSocket.Callback): ReturnType<UdpSocket["onData"]> {
        return this.#inner.onData(listener);
    }
    send(host: string, port: number, data: Parameters<UdpSocket["send"]>[2]): Promise<void> {
        return this.#inner.send(host, port, data);
    }
    close(): Promise<void> {
        return this.#inner.close();
    }
    supports(...args: Parameters<UdpSocket["supports"]>): boolean {
        return this.#inner.supports(...args);
    }
}
