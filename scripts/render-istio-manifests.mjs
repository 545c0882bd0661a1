#!/usr/bin/env node
// `npm run istio:manifests`: regenerates envoy-config/istio/ (WasmPlugins and TrafficExtensions of
// the filters, for registry.example.com/wasm/<module>:<version>, sha256 of the images of the modules
// in build/). Run it after changing a filter, its config (envoy-config/plugin-config/) or the plan
// (src/istio/plugins.ts); a test fails while the files are stale.
import { register } from "tsx/esm/api";

register();
const { writeCommittedManifests } = await import("../src/istio/committed.ts");
for (const f of await writeCommittedManifests()) console.log(`wrote ${f}`);
