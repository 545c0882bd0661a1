// Proof with Istio's own code (tools/istio-render): istiod's config generation turns the generated
// WasmPlugins (and TrafficExtensions) into the gateway's filter chain and ECDS resources;
// istio-agent's fetcher pulls each image from a real registry on 127.0.0.1, checks the sha256 and
// writes the module file; then Envoy runs on that chain (ECDS served from files holding what the
// agent produced) and the filters' scenarios go through it: trace header, lane, 429. The chain module's
// single WasmPlugin (chain-module.yaml) goes the same way and must pass the same scenarios.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { startStack, type Stack } from "../../src/envoy/stack.js";
import { envoyHttpFilters, ecdsNames, istioRender, type IstioRender } from "../../src/istio/istio-render.js";
import { currentDigests, manifestFiles } from "../../src/istio/manifests.js";
import { CONFIG_DIR } from "../../src/istio/plugins.js";
import { cli } from "../oci/lib/cli.js";
import { startRegistry, type RegistryHarness } from "../oci/lib/registry.js";

const FILTERS = ["trace-id", "tagging", "rate-limit"];
const ROOT_IDS: Record<string, string> = { "trace-id": "trace_id", tagging: "tagging", "rate-limit": "rate_limit" };
const GATEWAY = "test/istio/fixtures/gateway.yaml";
const tmp = mkdtempSync(join(tmpdir(), "istio-proof-"));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const config = (name: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), "utf8"));
const wasmConfigOf = (ec: any) => ec.typed_config.config;
/** The filter a rendered name belongs to: …/istio-system.<name>~istio-translated-wasmplugin or …/istio-system.<name>. */
const pluginOf = (name: string) => /istio-system\.([a-z-]+)/.exec(name)?.[1];

let reg: RegistryHarness;
let digests: Record<string, string>;
let files: Record<string, string>;
let wasmPlugins: IstioRender;
let trafficExtensions: IstioRender;
let chainModule: IstioRender;

function write(name: string, text: string) {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

before(async () => {
  reg = await startRegistry();
  for (const m of [...FILTERS, "chain"]) {
    const r = await cli(["push", m, `${reg.host}/wasm/${m}:0.1.0`, "-q"]);
    assert.equal(r.code, 0, r.err);
  }
  digests = await currentDigests();
  files = manifestFiles({ registry: `${reg.host}/wasm`, tag: "0.1.0", digests });
  const render = (manifest: string, cache: string) => istioRender({
    manifests: [GATEWAY, write(manifest, files[manifest.replace("--", "/")])],
    proxy: "gateway", namespace: "istio-system", labels: { istio: "ingressgateway" },
    fetchDir: join(tmp, cache), insecureRegistry: reg.host,
  });
  wasmPlugins = render("chain.yaml", "cache-wp");
  trafficExtensions = render("traffic-extension--chain.yaml", "cache-te");
  chainModule = render("chain-module.yaml", "cache-cm");
});
after(async () => {
  await reg?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("istiod (pilot/test/xds) renders the generated WasmPlugins for the ingress gateway", () => {
  test("the manifests for the loopback registry pass `validate` (what a user runs before kubectl apply)", async () => {
    const dir = join(tmp, "validate");
    const r = await cli(["package", "--out", join(tmp, "oci"), "--tag", "0.1.0", "--istio", dir, "--registry", `${reg.host}/wasm`]);
    assert.equal(r.code, 0, r.err);
    const v = await cli(["validate", dir]);
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^ok: 16 resource\(s\) in 10 file\(s\)/);
    assert.equal(readFileSync(join(dir, "chain.yaml"), "utf8"), files["chain.yaml"]);
  });

  test("one HTTP chain; the Wasm filters in the order trace-id → tagging → rate-limit, before the router", () => {
    assert.equal(wasmPlugins.chains.length, 1);
    const chain = wasmPlugins.chains[0];
    assert.match(chain.listener, /^0\.0\.0\.0_8080/);
    const names = chain.filters.map((f: any) => f.name);
    assert.deepEqual(ecdsNames(chain).map(pluginOf), FILTERS);
    const pos = (re: RegExp) => names.findIndex((n: string) => re.test(n));
    assert.ok(pos(/istio-system\.rate-limit/) < pos(/^envoy\.filters\.http\.router$/));
    assert.equal(names.at(-1), "envoy.filters.http.router");
  });

  test("ECDS: root_id = pluginName, failure policy, configuration = the config file, V8, remote oci code with the sha256", () => {
    const byPlugin = Object.fromEntries(wasmPlugins.extensionConfigs.map((ec) => [pluginOf(ec.name), wasmConfigOf(ec)]));
    const files: Record<string, string> = { "trace-id": "trace-id", tagging: "tagging-gateway", "rate-limit": "rate-limit" };
    for (const m of FILTERS) {
      const c = byPlugin[m];
      assert.equal(c.root_id, ROOT_IDS[m]);
      assert.equal(c.failure_policy, "FAIL_OPEN");
      assert.equal(c.configuration["@type"], "type.googleapis.com/google.protobuf.StringValue");
      assert.deepEqual(JSON.parse(c.configuration.value), config(files[m]));
      assert.equal(c.vm_config.runtime, "envoy.wasm.runtime.v8");
      assert.equal(c.vm_config.code.remote.http_uri.uri, `oci://${reg.host}/wasm/${m}:0.1.0`);
      assert.equal(c.vm_config.code.remote.sha256, digests[m].slice(7));
    }
  });

  test("a FAIL_CLOSE rate limiter renders as FAIL_CLOSED", () => {
    const closed = manifestFiles({ registry: `${reg.host}/wasm`, tag: "0.1.0", digests, rateLimitFailStrategy: "FAIL_CLOSE" });
    const r = istioRender({ manifests: [GATEWAY, write("closed.yaml", closed["rate-limit.yaml"])], labels: { istio: "ingressgateway" } });
    assert.equal(wasmConfigOf(r.extensionConfigs[0]).failure_policy, "FAIL_CLOSED");
  });

  test("pinned: on a gateway, a WasmPlugin matching mode SERVER is left out of the chain (Istio treats gateways as CLIENT)", () => {
    const doc = parseAllDocuments(files["trace-id.yaml"]).map((d) => d.toJS()).find(Boolean);
    const render = (mode: string) => {
      doc.spec.match = [{ mode }];
      return istioRender({ manifests: [GATEWAY, write(`mode-${mode}.yaml`, stringify(doc))], labels: { istio: "ingressgateway" } });
    };
    assert.deepEqual(ecdsNames(render("SERVER").chains[0]), []);
    assert.deepEqual(ecdsNames(render("CLIENT").chains[0]).map(pluginOf), ["trace-id"]);
  });

  test("tagging-outbound (mode CLIENT) lands on a shop sidecar's outbound HTTP listener only, not inbound; the gateway plugins not at all", () => {
    const r = istioRender({
      manifests: ["test/istio/fixtures/cart-service-entry.yaml", write("tagging.yaml", files["tagging.yaml"])],
      proxy: "sidecar", namespace: "shop", labels: { app: "frontend" },
    });
    const wasm = (re: RegExp) => r.chains.filter((c) => re.test(c.listener)).flatMap((c) => ecdsNames(c));
    assert.deepEqual(wasm(/^0\.0\.0\.0_80/).map((n) => /shop\.([a-z-]+)/.exec(n)?.[1]), ["tagging-outbound"]);
    assert.ok(r.chains.some((c) => /^virtualInbound/.test(c.listener)), "inbound HTTP chains exist");
    assert.deepEqual(wasm(/^virtualInbound/), []);
    assert.equal(r.extensionConfigs.length, 1);
    assert.deepEqual(JSON.parse(wasmConfigOf(r.extensionConfigs[0]).configuration.value), config("tagging-outbound"));
  });

  test("the TrafficExtension equivalents render the same chain and the same filter configurations", () => {
    assert.deepEqual(ecdsNames(trafficExtensions.chains[0]).map(pluginOf), FILTERS);
    const strip = (r: IstioRender) => r.extensionConfigs.map((ec) => {
      const { name: _n, vm_config: vm, ...rest } = wasmConfigOf(ec);
      return { plugin: pluginOf(ec.name), ...rest, code: vm.code, runtime: vm.runtime };
    }).sort((a, b) => String(a.plugin).localeCompare(String(b.plugin)));
    assert.deepEqual(strip(trafficExtensions), strip(wasmPlugins));
  });
});

describe("istio-agent (pkg/wasm) pulls the images from the loopback registry", () => {
  test("each filter's code becomes a local file: the module we built, named by its image digest", () => {
    const fetched = wasmPlugins.fetchedExtensionConfigs!;
    assert.equal(fetched.length, 3);
    for (const ec of fetched) {
      const m = pluginOf(ec.name)!;
      const c = wasmConfigOf(ec);
      const file = c.vm_config.code.local?.filename;
      assert.ok(file, `${m}: code not rewritten to a local file: ${JSON.stringify(ec).slice(0, 300)}`);
      assert.ok(file.endsWith(`${digests[m].slice(7)}.wasm`));
      assert.equal(sha(readFileSync(file)), sha(readFileSync(`build/${m}.wasm`)));
      assert.equal(c.vm_config.environment_variables, undefined, "the agent strips its ISTIO_META_ variables");
    }
  });

  test("pinned: a sha256 of another module makes the agent refuse the image; fail-open turns the filter into an allow-all RBAC", () => {
    const doc = parseAllDocuments(files["tagging.yaml"]).map((d) => d.toJS()).find(Boolean);
    doc.spec.sha256 = digests["trace-id"].slice(7);
    const r = istioRender({
      manifests: [GATEWAY, write("wrong-sha.yaml", stringify(doc))], labels: { istio: "ingressgateway" },
      fetchDir: join(tmp, "cache-wrong"), insecureRegistry: reg.host,
    });
    const ec = r.fetchedExtensionConfigs![0];
    assert.equal(ec.typed_config["@type"], "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC");
    assert.equal(ec.typed_config.rules_stat_prefix, "wasm-default-allow");
  });
});

describe("Envoy on the chain Istio rendered, modules from Istio's fetcher", () => {
  let stack: Stack;
  let dropped: string[];
  let envoyFilters: any[];
  before(async () => {
    const built = envoyHttpFilters(wasmPlugins.chains[0], wasmPlugins.fetchedExtensionConfigs!, join(tmp, "ecds"));
    dropped = built.dropped;
    envoyFilters = built.filters as any[];
    stack = await gatewayEnvoy(built.filters);
  });
  after(() => stack?.stop());

  test("pinned differences from a mesh: istio-proxy's native filters left out, ECDS read from files instead of the agent's stream", () => {
    assert.deepEqual(dropped, ["istio.metadata_exchange", "istio.alpn"]);
    const istio = wasmPlugins.chains[0].filters.filter((f) => !dropped.includes(f.name));
    assert.equal(envoyFilters.length, istio.length);
    for (const [i, f] of envoyFilters.entries()) {
      if (!f.config_discovery) { assert.deepEqual(f, istio[i], "non-Wasm filters verbatim"); continue; }
      const { path_config_source: file, ...source } = f.config_discovery.config_source;
      const { ads, ...istioSource } = istio[i].config_discovery.config_source;
      assert.deepEqual(ads, {});
      assert.deepEqual({ ...f, config_discovery: { ...f.config_discovery, config_source: source } },
        { ...istio[i], config_discovery: { ...istio[i].config_discovery, config_source: istioSource } }, "only the config source differs");
      const served = JSON.parse(readFileSync(file.path, "utf8")).resources[0];
      const { "@type": _t, ...resource } = served;
      assert.deepEqual(resource, wasmPlugins.fetchedExtensionConfigs!.find((ec) => ec.name === f.name), "the agent's resource verbatim");
    }
  });

  test("the three Wasm filters are loaded (ECDS config_reload) from the agent's files", async () => {
    const stats = await stack.envoy.stats("extension_config_discovery");
    const loaded = Object.entries(stats).filter(([k, v]) => k.endsWith("config_reload") && v >= 1).map(([k]) => pluginOf(k));
    assert.deepEqual(loaded.sort(), [...FILTERS].sort(), JSON.stringify(stats));
  });

  gatewayScenarios(() => stack);
});

describe("the chain module as one WasmPlugin: rendered, fetched and run by Envoy", () => {
  let stack: Stack;
  before(async () => {
    stack = await gatewayEnvoy(envoyHttpFilters(chainModule.chains[0], chainModule.fetchedExtensionConfigs!, join(tmp, "ecds-chain")).filters);
  });
  after(() => stack?.stop());

  test("one Wasm filter: root_id chain, the three config files as its sections, the chain module's image", () => {
    assert.deepEqual(ecdsNames(chainModule.chains[0]).map(pluginOf), ["edge-chain"]);
    const ec = chainModule.fetchedExtensionConfigs!;
    assert.equal(ec.length, 1);
    const c = wasmConfigOf(ec[0]);
    assert.equal(c.root_id, "chain");
    assert.deepEqual(JSON.parse(c.configuration.value), { traceId: config("trace-id"), tagging: config("tagging-gateway"), rateLimit: config("rate-limit") });
    assert.equal(sha(readFileSync(c.vm_config.code.local.filename)), sha(readFileSync("build/chain.wasm")));
  });

  gatewayScenarios(() => stack);
});

/** Envoy as the ingress gateway with the HTTP filters Istio rendered, routing on the lane. */
function gatewayEnvoy(httpFilters: unknown[]): Promise<Stack> {
  return startStack({
    node: { id: "router~10.0.0.1~istio-ingressgateway.istio-system~istio-system.svc.cluster.local", cluster: "istio-ingressgateway.istio-system" },
    upstreams: ["stable", "gray"],
    filters: [],
    httpFilters: httpFilters as any,
    routes: [{ headers: { "x-mesh-tag": "gray" }, cluster: "gray" }, { cluster: "stable" }],
    concurrency: 2,
  });
}

/** What the gateway chain does, whether as three plugins or as the chain module. */
function gatewayScenarios(stack: () => Stack) {
  test("trace: a new trace gets a W3C traceparent upstream and x-trace-id back; a caller's trace is continued", async () => {
    const r = await stack().request("/", {});
    assert.equal(r.status, 200);
    assert.match(r.headers["x-trace-id"] as string, /^[0-9a-f]{32}$/);
    const seen = stack().upstreams.stable.last()!;
    assert.match(seen.headers.traceparent as string, new RegExp(`^00-${r.headers["x-trace-id"]}-[0-9a-f]{16}-[0-9a-f]{2}$`));
    assert.ok(seen.headers["x-request-id"]);
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const c = await stack().request("/", { headers: { traceparent: tp } });
    assert.equal(c.headers["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  });

  test("lane: user-id % 100 == 20 and cookie beta=1 go to gray (x-mesh-tag + baggage); others and self-chosen lanes to stable", async () => {
    const gray = await stack().request("/", { headers: { "user-id": "120" } });
    assert.equal(gray.headers["x-upstream"], "gray");
    assert.equal(gray.headers["x-mesh-tag"], "gray");
    assert.match(stack().upstreams.gray.last()!.headers.baggage as string, /mesh-tag=gray/);
    const cookie = await stack().request("/", { headers: { cookie: "a=b; beta=1" } });
    assert.equal(cookie.headers["x-upstream"], "gray");
    const other = await stack().request("/", { headers: { "user-id": "121" } });
    assert.equal(other.headers["x-upstream"], "stable");
    const chosen = await stack().request("/", { headers: { "x-mesh-tag": "gray" } });
    assert.equal(chosen.headers["x-upstream"], "stable", "override=true: clients cannot pick a lane");
  });

  test("429: past the per-IP burst (20, 10/s) the gateway answers 429 with retry-after and the configured body", async () => {
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 60 && !limited; i++) {
      const r = await stack().request("/", {});
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, `no 429 in ${statuses.length} requests: ${statuses.join(" ")}`);
    assert.equal(limited.body, "rate limited\n");
    assert.match(limited.headers["retry-after"] as string, /^\d+$/);
    assert.equal(limited.headers["x-ratelimit-limit"], "20");
    assert.ok(statuses.filter((s) => s === 200).length <= 20 + 10 * 3, statuses.join(" "));
  });
}
