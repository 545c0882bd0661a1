// as-pect: AssemblyScript specs (assembly/**/__tests__/*.spec.ts) on the Node test host — the same
// configuration the package ships as `proxy-wasm-as/aspect`, pointed at this repository's sources.
// Specs of pure logic need no host; filter specs drive a filter through assembly/testing (TestHost).
// Run through tsx (scripts/test.mjs does), as it loads the front-end from src/.
import { aspectConfig } from "./src/host/aspect.ts";

export default aspectConfig({
  entries: ["assembly/**/__tests__/**/*.spec.ts", "examples/*/assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/**/__tests__/**/*.include.ts"],
  proxyExports: "assembly/proxy.ts",
});
