/**
 * A tiny UDP probe run inside a LAN box host by lan-box.test.ts, reporting as JSON lines.
 *
 *   node udp-probe.mjs listen PORT IFACE [GROUP]   bind [::]:PORT (joining GROUP on IFACE when given),
 *                                                  print {"ready":true}, then {"got":TEXT,"from":ADDR} per datagram
 *   node udp-probe.mjs send ADDRESS PORT IFACE TEXT  send TEXT (a multicast ADDRESS leaves through IFACE),
 *                                                  print {"sent":true} or {"error":MESSAGE}, exit
 */

import { createSocket } from "node:dgram";

const [mode, ...rest] = process.argv.slice(2);
const out = value => process.stdout.write(`${JSON.stringify(value)}\n`);

if (mode === "listen") {
    const [port, iface, group] = rest;
    const socket = createSocket({ type: "udp6", reuseAddr: true });
    socket.on("message", (data, from) => out({ got: data.toString(), from: from.address }));
    socket.on("error", error => {
        out({ error: error.message });
        process.exit(1);
    });
    socket.bind(Number(port), "::", () => {
        if (group) socket.addMembership(group, `::%${iface}`);
        out({ ready: true });
    });
} else if (mode === "send") {
    const [address, port, iface, text] = rest;
    const socket = createSocket({ type: "udp6" });
    socket.bind(0, "::", () => {
        if (address.toLowerCase().startsWith("ff")) socket.setMulticastInterface(`::%${iface}`);
        const target = address.toLowerCase().startsWith("fe80") || address.toLowerCase().startsWith("ff") ? `${address}%${iface}` : address;
        socket.send(text, Number(port), target, error => {
            out(error ? { error: error.message } : { sent: true });
            socket.close();
        });
    });
} else {
    process.stderr.write("usage: udp-probe.mjs listen PORT IFACE [GROUP] | send ADDRESS PORT IFACE TEXT\n");
    process.exit(2);
}
