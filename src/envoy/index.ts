// Real Envoy for tests and the demo: find the binary, render bootstraps, run Envoy and upstreams.
export { envoyPath, envoyInstall, projectRoot, type EnvoyInstall } from "./binary.js";
export { ensureEnvoy, EnvoySetupError } from "./install.js";
export {
  bootstrap, wasmFilter, luaFilter, isWasmFilter, nativeRateLimitFilter, modulePath, defaultRootId,
  type BootstrapOptions, type WasmFilter, type NativeFilter, type HttpFilter, type RouteSpec, type ClusterTarget, type FailurePolicy,
  type ClusterSpec, type ListenerSpec, type VirtualHostSpec, type LocalReplySpec,
} from "./bootstrap.js";
export { freePorts } from "./ports.js";
export { toYaml } from "./yaml.js";
export { startEnvoy, expectEnvoyToFail, EnvoyStartError, errorLines, type Envoy, type EnvoyOptions } from "./process.js";
export { startUpstream, type Upstream, type RecordedRequest, type Responder, type UpstreamResponse } from "./upstream.js";
export { request, type ClientResponse, type RequestInit } from "./http.js";
export { startStack, type Stack, type StackOptions } from "./stack.js";
export { DEMO_FILTERS, DEMO_ROUTES, DEMO_PORT, DEMO_ADMIN_PORT, availableDemoFilters, chainDemoFilters, demoBootstrap, renderDemoYaml, renderChainYaml, curlLine, checkTry, startDemo, type Demo, type DemoFilter, type DemoTry } from "./demo.js";
export { CHAIN_MODULE, CHAIN_MEMBERS, chainConfig } from "./chain-module.js";
