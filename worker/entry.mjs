// The worker's entry point: the Rust build (`worker/build/index.js`, made by worker-build) plus
// the one thing it cannot declare itself.
//
// The runtime offers RPC only into Durable Object classes derived from `DurableObject`. The
// worker calls its objects by RPC (`command`, see worker/src/rpc.rs), which costs far less than
// a `fetch`: no HTTP request or response is built on either side.
import { DurableObject } from "cloudflare:workers";
import worker, { LedgerWriter, Probe, Subject } from "./build/index.js";

for (const cls of [Subject, LedgerWriter, Probe]) {
  Object.setPrototypeOf(cls.prototype, DurableObject.prototype);
  Object.setPrototypeOf(cls, DurableObject);
}

export { LedgerWriter, Probe, Subject };
export default worker;
