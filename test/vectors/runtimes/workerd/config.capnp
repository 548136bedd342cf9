# workerd config for the portable vector suite (see worker.js). The host starts it as
#   workerd serve test/vectors/runtimes/workerd/config.capnp --control-fd=3
# and reads the port the socket got (address 127.0.0.1:0, loopback only) from fd 3.
# Paths are relative to this file: build/ is the repository's build output
# (`npm run build:wasm`; build/vectors/runner.js is written by hosts.ts `bundleRunner`).

using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "vectors", worker = .vectorsWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "vectors") ],
);

const vectorsWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "runner.js", esModule = embed "../../../../build/vectors/runner.js"),
    # Wasm modules: a module Worker imports these as compiled WebAssembly.Module values
    # (workerd refuses `wasmModule` env bindings in module Workers; they are for service-worker syntax)
    (name = "tiny.wasm", wasm = embed "../../../../build/tiny.wasm"),
    (name = "default.wasm", wasm = embed "../../../../build/default.wasm"),
    (name = "large.wasm", wasm = embed "../../../../build/large.wasm"),
  ],
  bindings = [
    (name = "VECTORS", json = embed "../../vectors.json"),
  ],
  compatibilityDate = "2025-09-01",
);
