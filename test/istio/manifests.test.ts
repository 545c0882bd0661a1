// The generated Istio manifests: committed files are what the generator produces now, and the
// parameters (registry, tag, digests, rate-limit fail strategy, pull secret) land where they should.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { committedManifests, ISTIO_DIR, yamlFilesIn } from "../../src/istio/committed.js";
import { currentDigests, manifestFiles } from "../../src/istio/manifests.js";
import { CONFIG_DIR } from "../../src/istio/plugins.js";

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);

describe("envoy-config/istio/", () => {
  test("the committed files are what `npm run istio:manifests` generates from the current build", async () => {
    const want = await committedManifests();
    assert.deepEqual(yamlFilesIn().sort(), Object.keys(want).sort(), "files to add or remove: run `npm run istio:manifests`");
    for (const [f, text] of Object.entries(want)) {
      assert.equal(readFileSync(join(ISTIO_DIR, f), "utf8"), text, `envoy-config/istio/${f} is stale: run \`npm run build && npm run istio:manifests\``);
    }
  });
});

describe("manifest generation", () => {
  test("registry, tag, image digests, pull secret and the rate limiter's fail strategy are parameters", async () => {
    const digests = await currentDigests();
    const files = manifestFiles({ registry: "r.example:5000/team/wasm/", tag: "2.0.0", digests, imagePullSecret: "regcred", rateLimitFailStrategy: "FAIL_CLOSE" });
    const chain = docs(files["chain.yaml"]);
    assert.deepEqual(chain.map((d) => d.metadata.name), ["trace-id", "tagging", "rate-limit"]);
    for (const d of chain) {
      assert.equal(d.kind, "WasmPlugin");
      assert.equal(d.spec.url, `oci://r.example:5000/team/wasm/${d.metadata.name}:2.0.0`);
      assert.equal(`sha256:${d.spec.sha256}`, digests[d.metadata.name]);
      assert.equal(d.spec.imagePullSecret, "regcred");
    }
    assert.deepEqual(chain.map((d) => d.spec.failStrategy), ["FAIL_OPEN", "FAIL_OPEN", "FAIL_CLOSE"]);
    assert.deepEqual(chain.map((d) => d.spec.pluginName), ["trace_id", "tagging", "rate_limit"]);
    const te = docs(files["traffic-extension/chain.yaml"]);
    assert.deepEqual(te.map((d) => [d.kind, d.spec.wasm.url, d.spec.wasm.failStrategy]), chain.map((d) => ["TrafficExtension", d.spec.url, d.spec.failStrategy]));
    assert.deepEqual(te.map((d) => [d.spec.phase, d.spec.priority]), chain.map((d) => [d.spec.phase, d.spec.priority]));
  });

  test("the order trace-id → tagging → rate-limit follows from phase, then priority (highest first)", async () => {
    const chain = docs((await committedManifests())["chain.yaml"]);
    const rank: Record<string, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED_PHASE: 3 };
    const sorted = [...chain].sort((a, b) => rank[a.spec.phase] - rank[b.spec.phase] || (b.spec.priority ?? 0) - (a.spec.priority ?? 0));
    assert.deepEqual(sorted.map((d) => d.metadata.name), ["trace-id", "tagging", "rate-limit"]);
  });

  test("pluginConfig is the config file the tests use; gateway plugins select the gateway, the outbound one is CLIENT", async () => {
    const files = await committedManifests();
    const tagging = docs(files["tagging.yaml"]);
    const cfg = (n: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${n}.json`), "utf8"));
    assert.deepEqual(tagging[0].spec.pluginConfig, cfg("tagging-gateway"));
    assert.deepEqual(tagging[1].spec.pluginConfig, cfg("tagging-outbound"));
    assert.deepEqual(docs(files["trace-id.yaml"])[0].spec.pluginConfig, cfg("trace-id"));
    assert.deepEqual(docs(files["rate-limit.yaml"])[0].spec.pluginConfig, cfg("rate-limit"));
    assert.deepEqual(tagging[0].spec.selector, { matchLabels: { istio: "ingressgateway" } });
    assert.equal(tagging[0].spec.match, undefined, "on a gateway a SERVER match would drop the plugin");
    assert.deepEqual(tagging[1].spec.match, [{ mode: "CLIENT" }]);
    assert.equal(tagging[1].metadata.namespace, "shop");
  });
});
