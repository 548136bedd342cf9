// Builds the WASM core profiles when build/<profile>.wasm is missing or older than the sources
// (assembly/*.ts, asconfig.json), so `npm start` and `npm run camera` work on a fresh checkout
// without rebuilding every time. `npm test` always rebuilds.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../../", import.meta.url);
const sources = [new URL("asconfig.json", root), ...readdirSync(new URL("assembly/", root)).map(f => new URL(`assembly/${f}`, root))];
const newestSource = Math.max(...sources.map(u => statSync(u).mtimeMs));
const stale = ["tiny", "default", "large"].some(profile => {
    const out = new URL(`build/${profile}.wasm`, root);
    return !existsSync(out) || statSync(out).mtimeMs < newestSource;
});
if (stale) {
    console.log("building the WASM core profiles...");
    execSync("npm run build:wasm --silent", { cwd: root, stdio: "inherit" });
}
