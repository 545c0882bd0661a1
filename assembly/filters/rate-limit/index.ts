// The rate-limit module: the filter (filter.ts) under root_id "rate_limit", with the callbacks it implements.
export * from "../../proxy-core"; // only the callbacks this filter implements (proxy-core.ts says why)
export {
  proxy_on_request_headers, proxy_on_request_body, proxy_on_request_trailers, proxy_on_response_headers,
  // the global rules' calls to the rate-limit service
  proxy_on_grpc_receive_initial_metadata, proxy_on_grpc_receive, proxy_on_grpc_receive_trailing_metadata, proxy_on_grpc_close,
} from "../../sdk/dispatcher";
import { registerRootContext } from "../../index";
import { RateLimitRoot } from "./filter";

registerRootContext((id: u32) => new RateLimitRoot(id), "rate_limit");
