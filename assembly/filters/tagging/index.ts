// The tagging module: the filter (filter.ts) under root_id "tagging", with the callbacks it implements.
export * from "../../proxy-core"; // only the callbacks this filter implements (proxy-core.ts says why)
export { proxy_on_request_headers, proxy_on_response_headers } from "../../sdk/dispatcher";
import { registerRootContext } from "../../index";
import { TaggingRoot } from "./filter";

registerRootContext((id: u32) => new TaggingRoot(id), "tagging");
