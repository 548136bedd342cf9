# workerd config for the footprint probe (see worker.js). The bench host starts it as
#   workerd serve test/runtimes/footprint/workerd/config.capnp --control-fd=3
# and reads the port (127.0.0.1:0, loopback only) from fd 3. build/footprint/probe.js is written
# by test/bench/runtimes-footprint.ts (esbuild bundle of probe.ts); build/default.wasm by
# `npm run build:wasm`. --expose-gc gives the Worker a gc() so held-instance steps start clean.

using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "footprint", worker = .footprintWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "footprint") ],
  v8Flags = [ "--expose-gc" ],
);

const footprintWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "probe.js", esModule = embed "../../../../build/footprint/probe.js"),
    (name = "default.wasm", wasm = embed "../../../../build/default.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
