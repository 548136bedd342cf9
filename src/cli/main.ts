#!/usr/bin/env node
/**
 * `matter-webrtc-provider <command> [options]`: the package's one `bin`, so `npx` runs the three
 * programs from an installed package:
 *
 *   npx matter-webrtc-provider start     the relay serving the browser camera page (npm start)
 *   npx matter-webrtc-provider camera    the Node camera (npm run camera)
 *   npx matter-webrtc-provider relay     the relay alone (npm run relay)
 *
 * Each command keeps its own options and `--help`; this file only picks the program and hands it
 * the remaining arguments.
 */

const COMMANDS = {
    start: "the relay serving the browser camera page; open the printed URL and the tab is a Matter camera",
    camera: "a Matter camera in this Node process (node-datachannel, H.264 test pattern)",
    relay: "the relay alone: the page's Matter UDP/TCP over a token-protected WebSocket",
} as const;

type Command = keyof typeof COMMANDS;

const USAGE = `Usage: matter-webrtc-provider <command> [options]

Commands:
${Object.entries(COMMANDS)
    .map(([name, what]) => `  ${name.padEnd(8)} ${what}`)
    .join("\n")}

matter-webrtc-provider <command> --help lists the options of a command.`;

const command = process.argv[2];
if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    process.exit(command === undefined ? 2 : 0);
}
if (!Object.hasOwn(COMMANDS, command)) {
    console.error(`matter-webrtc-provider: unknown command "${command}"\n\n${USAGE}`);
    process.exit(2);
}
// the program reads its options from process.argv.slice(2), as when run on its own
process.argv.splice(2, 1);
const programs: Record<Command, () => Promise<unknown>> = {
    start: () => import("./start.js"),
    camera: () => import("./camera.js"),
    relay: () => import("./relay.js"),
};
await programs[command as Command]();
