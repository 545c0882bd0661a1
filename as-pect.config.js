// as-pect: AssemblyScript specs (assembly/**/__tests__/*.spec.ts, examples/*/assembly/__tests__) on the
// Node test host — the configuration the package ships as `proxy-wasm-as/aspect`, pointed at this
// repository's sources. Specs of pure logic need no host; filter specs drive a filter through
// assembly/testing (TestHost). The front-end is TypeScript in src/: tsx loads it.
//   npx asp --config as-pect.config.js                      every spec
//   PROXY_WASM_SPECS=assembly/filters/tagging/__tests__/filter.spec.ts npx asp --config as-pect.config.js
import { register } from "tsx/esm/api";

register();
const { aspectConfig } = await import("./src/host/aspect.ts");

export default aspectConfig({
  entries: ["assembly/**/__tests__/**/*.spec.ts", "examples/*/assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/**/__tests__/**/*.include.ts"],
  proxyExports: "assembly/proxy.ts",
});
