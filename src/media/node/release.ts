/**
 * node-datachannel runs its own threads, which keep a Node process alive after the last peer has
 * closed. A `NodeMediaHost` never stops them (other code in the process may use node-datachannel
 * too); the application does, once, when it is done with WebRTC.
 */

import nodeDataChannel from "node-datachannel";

/**
 * Stops node-datachannel's threads so the process can exit. Call it after closing every
 * `NodeMediaHost` (and any other node-datachannel peer); no peer can be made afterwards.
 */
export function releaseNodeDataChannel(): void {
    nodeDataChannel.cleanup();
}
