// `validate`: the committed manifests pass; each kind of bad manifest fails with a message naming
// the field (wrong url scheme, malformed sha256, another module's sha256, a pluginName the module
// does not register, a pluginConfig the filter refuses, an unknown phase, and more).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseAllDocuments, stringify } from "yaml";
import { ISTIO_DIR } from "../../src/istio/committed.js";
import { currentDigests } from "../../src/istio/manifests.js";
import { formatFinding, validateText } from "../../src/istio/validate.js";
import { cli } from "../oci/lib/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "istio-validate-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** One committed resource (by file and name), as an object to break. */
function resource(file: string, name: string): any {
  const docs = parseAllDocuments(readFileSync(join(ISTIO_DIR, file), "utf8")).map((d) => d.toJS()).filter(Boolean);
  return structuredClone(docs.find((d) => d.metadata.name === name));
}

async function findings(obj: unknown) {
  return (await validateText(stringify(obj), "bad.yaml")).map(formatFinding);
}

async function expectOne(obj: unknown, re: RegExp) {
  const f = await findings(obj);
  assert.ok(f.length >= 1, "a finding");
  assert.ok(f.some((l) => re.test(l)), `expected ${re} in:\n${f.join("\n")}`);
}

describe("validate: the committed manifests", () => {
  test("every WasmPlugin and TrafficExtension in envoy-config/istio passes (the command, exit 0)", async () => {
    const r = await cli(["validate"]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^ok: 16 resource\(s\) in 10 file\(s\)/);
  });
});

describe("validate: bad manifests, each named by field", () => {
  test("wrong url scheme (CEL rule of the CRD)", async () => {
    const w = resource("trace-id.yaml", "trace-id");
    w.spec.url = "docker://registry.example.com/wasm/trace-id:0.1.0";
    await expectOne(w, /^bad\.yaml: WasmPlugin istio-system\/trace-id: spec\.url: url must have schema one of \[http, https, file, oci\]$/);
    const te = resource("traffic-extension/trace-id.yaml", "trace-id");
    te.spec.wasm.url = "ftp://registry.example.com/trace-id.wasm";
    await expectOne(te, /TrafficExtension istio-system\/trace-id: spec\.wasm\.url: url must have schema one of/);
  });

  test("malformed sha256 (schema pattern)", async () => {
    const w = resource("tagging.yaml", "tagging");
    w.spec.sha256 = "sha256:" + w.spec.sha256;
    await expectOne(w, /WasmPlugin istio-system\/tagging: spec\.sha256: must match \(\^\$\|\^\[a-f0-9\]\{64\}\$\)/);
    w.spec.sha256 = "ABCDEF".repeat(10) + "ABCD";
    await expectOne(w, /spec\.sha256: must match/);
  });

  test("the sha256 of another module", async () => {
    const digests = await currentDigests();
    const w = resource("rate-limit.yaml", "rate-limit");
    w.spec.sha256 = digests["trace-id"].slice(7);
    await expectOne(w, /WasmPlugin istio-system\/rate-limit: spec\.sha256: is the image digest of module trace-id, not of rate-limit .*istio-agent would refuse/);
    w.spec.sha256 = "0".repeat(64);
    await expectOne(w, /spec\.sha256: does not match the image of module rate-limit built here \(a72f|spec\.sha256: does not match the image of module rate-limit built here/);
  });

  test("a pluginName the module does not register", async () => {
    const w = resource("trace-id.yaml", "trace-id");
    w.spec.pluginName = "trace-id";
    await expectOne(w, /WasmPlugin istio-system\/trace-id: spec\.pluginName: "trace-id" is not a root id module trace-id registers \(it registers "trace_id"\)/);
  });

  test("a pluginConfig the filter refuses (its own on_configure, in the test host)", async () => {
    const w = resource("rate-limit.yaml", "rate-limit");
    w.spec.pluginConfig.rules[0].interval = "soon";
    await expectOne(w, /WasmPlugin istio-system\/rate-limit: spec\.pluginConfig: the filter refuses it: .*rules\[0\]\.interval/);
    const t = resource("traffic-extension/trace-id.yaml", "trace-id");
    t.spec.wasm.pluginConfig.sampleRate = 1.5;
    await expectOne(t, /TrafficExtension istio-system\/trace-id: spec\.wasm\.pluginConfig: the filter refuses it: .*sampleRate/);
  });

  test("an unknown phase (schema enum)", async () => {
    const w = resource("tagging.yaml", "tagging-outbound");
    w.spec.phase = "ROUTING";
    await expectOne(w, /WasmPlugin shop\/tagging-outbound: spec\.phase: must be one of UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS$/);
    const te = resource("traffic-extension/tagging.yaml", "tagging-outbound");
    te.spec.phase = "UNSPECIFIED_PHASE"; // the WasmPlugin spelling is not TrafficExtension's
    await expectOne(te, /TrafficExtension shop\/tagging-outbound: spec\.phase: must be one of UNSPECIFIED, AUTHN, AUTHZ, STATS$/);
  });

  test("more: unknown field, selector with targetRefs (CEL), both wasm and lua (CEL), bad match mode, missing url", async () => {
    const w = resource("trace-id.yaml", "trace-id");
    w.spec.failStrategy = "FAIL_OPEN";
    w.spec.pluginconfig = {};
    await expectOne(w, /spec\.pluginconfig: unknown field/);
    const both = resource("trace-id.yaml", "trace-id");
    both.spec.targetRefs = [{ kind: "Gateway", name: "gw" }];
    await expectOne(both, /WasmPlugin istio-system\/trace-id: spec: only one of targetRefs or selector can be set/);
    const te = resource("traffic-extension/trace-id.yaml", "trace-id");
    te.spec.lua = { inlineCode: "function envoy_on_request(h) end" };
    await expectOne(te, /TrafficExtension istio-system\/trace-id: spec: exactly one of wasm or lua must be set/);
    const m = resource("tagging.yaml", "tagging-outbound");
    m.spec.match = [{ mode: "OUTBOUND" }];
    await expectOne(m, /spec\.match\[0\]\.mode: must be one of UNDEFINED, CLIENT, SERVER, CLIENT_AND_SERVER/);
    const u = resource("trace-id.yaml", "trace-id");
    delete u.spec.url;
    await expectOne(u, /spec\.url: required/);
  });

  test("the command prints FILE: KIND NS/NAME: FIELD: REASON and exits 1", async () => {
    const w = resource("trace-id.yaml", "trace-id");
    w.spec.pluginName = "nope";
    w.spec.phase = "FIRST";
    const file = join(tmp, "bad.yaml");
    writeFileSync(file, stringify(w));
    const r = await cli(["validate", file]);
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.yaml: WasmPlugin istio-system\/trace-id: spec\.phase: must be one of/);
    assert.match(r.err, /1 problem\(s\) in 1 resource\(s\)/);
    const noModule = resource("trace-id.yaml", "trace-id");
    noModule.spec.url = "oci://registry.example.com/wasm/unknown-filter:1.0";
    const f = await findings(noModule);
    assert.match(f.join("\n"), /spec\.url: no module "unknown-filter" here to check the manifest against: build it \(npm run build\) or pass --module unknown-filter=FILE\.wasm/);
  });
});
