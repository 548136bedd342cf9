/**
 * `npm run camera -- [options]`: the Node camera. A Matter camera (device type 0x0142) with real
 * sockets and file storage, streaming a looped H.264 test pattern and Opus silence through
 * node-datachannel when a controller asks for a WebRTC session.
 *
 * It prints the pairing codes while uncommissioned, one line per session change, and stops
 * cleanly on SIGINT/SIGTERM. Options are in `camera-args.ts`; bad ones print a readable message
 * and exit with status 2.
 */

import { rmSync } from "node:fs";
import { ArgumentError, USAGE, parseCameraArgs, type CameraArgs } from "./camera-args.js";
import { onStopSignals, parseOrExit } from "./process.js";

const args: CameraArgs = parseOrExit("camera", USAGE, () => parseCameraArgs(process.argv.slice(2)), error => error instanceof ArgumentError);
if (args.help) {
    console.log(USAGE);
    process.exit(0);
}
if (args.ignored.length > 0) console.log(`camera: ignoring ${args.ignored.join(" ")}`);
if (args.factoryReset) rmSync(args.storagePath, { recursive: true, force: true });

// loaded only now, so --help and bad options answer at once
const { Environment } = await import("@matter/main");
const { CameraNode } = await import("../matter/camera-node.js");
const { ClipSnapshots, NodeMediaHost, testPatternClip } = await import("../media/node/index.js");
// matter.js also reads argv, as `--name=value` only: our space-separated `--storage PATH` reaches
// it as `storage=true`, so the whole "storage" variable is replaced rather than one of its keys.
Environment.default.vars.set("storage", { path: args.storagePath });
// one stop path: ours (onStopSignals below). matter.js's own SIGINT/SIGTERM handler would close
// the node at the same time, and our exit cut its close short (no mDNS goodbye, storage left open)
Environment.default.vars.set("runtime.signals", false);

// snapshots show the frame the clip is at, on the clip's own clock
const snapshots = new ClipSnapshots();
const media = new NodeMediaHost({
    video: testPatternClip(),
    snapshots,
    bindAddress: args.webrtcBind ?? null,
    ...(args.deferredOffer ? { deferredOfferDelayMs: 1500 } : {}),
});
const camera = await CameraNode.create({
    media,
    core: args.profile,
    port: args.port,
    passcode: args.passcode,
    discriminator: args.discriminator,
    vendorId: args.vendorId,
    productId: args.productId,
    certification: args.certification,
    onError: (error, context) => console.error(`camera: ${context}: ${error instanceof Error ? error.message : String(error)}`),
});
camera.engine.subscribe(change => {
    const detail = change.kind === "removed" ? ` (reason ${change.reason}, by ${change.cause})` : "";
    console.log(`camera: session ${change.sessionId} ${change.kind}${detail}`);
});
await camera.start();
// installed before the first line a supervisor (or a test) may act on: a SIGTERM that arrives
// before a handler exists kills the process outright, with no clean stop
// a peer that is gone can hold matter.js's close for its session timeouts: the stop is bounded (20 s)
onStopSignals("camera", async () => {
    await camera.close();
    media.close();
    await snapshots.close();
});

const caps = camera.engine.capacities;
console.log(
    `camera: online on port ${args.port}, core profile ${args.profile} (${caps.sessions} sessions, SDP ${caps.sdpLen} B), ${args.certification ? "certification mode (no default streams)" : "default mode (video and audio stream 0 always allocated)"}`,
);
if (camera.commissioned) {
    console.log("camera: commissioned; waiting for controllers");
} else {
    const codes = camera.pairingCodes;
    console.log(`camera: manual pairing code: ${codes.manualPairingCode}`);
    console.log(`camera: QR code payload: ${codes.qrPairingCode}`);
}
