// The chain module: trace-id → tagging → rate-limit in one module, one VM and one filter slot
// (root_id "chain"), each filter configured from its own section and keeping its own metrics:
//   {"traceId": {...}, "tagging": {...}, "rateLimit": {...}}   (an absent section turns that filter off)
// A request pays the Wasm floor once instead of three times. See README.md in this folder.
export * from "../../proxy-core"; // only the callbacks its filters implement (proxy-core.ts says why)
export {
  proxy_on_request_headers, proxy_on_request_body, proxy_on_request_trailers, proxy_on_response_headers,
  // rate-limit's global rules: the calls to the rate-limit service
  proxy_on_grpc_receive_initial_metadata, proxy_on_grpc_receive, proxy_on_grpc_receive_trailing_metadata, proxy_on_grpc_close,
} from "../../sdk/dispatcher";
import { RootContext } from "../../sdk/context";
import { ChainMember, registerChain } from "../../sdk/chain";
import { TraceIdRoot } from "../trace-id/filter";
import { TaggingRoot } from "../tagging/filter";
import { RateLimitRoot } from "../rate-limit/filter";

// Rate-limit last: its global rules pause the request while the service answers (sdk/chain.ts says why).
registerChain("chain", [
  new ChainMember("traceId", (id: u32): RootContext => new TraceIdRoot(id)),
  new ChainMember("tagging", (id: u32): RootContext => new TaggingRoot(id)),
  new ChainMember("rateLimit", (id: u32): RootContext => new RateLimitRoot(id)),
]);
