// typed-config over its compiled module in the test host: an empty configuration means defaults;
// malformed JSON, a wrong field type, an unknown field or a bad value is refused (on_configure returns
// false, so Envoy rejects the plugin) with a log line naming the field and the reason — never a trap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../src/host/index.js";

const wasm = "build/typed-config.wasm";
const rootId = "typed_config";

async function configure(pluginConfig: unknown) {
  // No failurePolicy: any trap throws here and fails the test.
  const host = await ProxyHost.create({ wasm, rootId, pluginConfig });
  assert.equal(host.traps.length, 0);
  return host;
}

function request(host: ProxyHost, headers: Record<string, string> = {}) {
  const s = host.newHttpStream();
  const r = s.sendRequestHeaders({ ":method": "GET", ":path": "/", ":authority": "example.com", ...headers }, { endOfStream: true });
  assert.equal(r.action, "continue");
  assert.equal(r.trap, null);
  s.complete();
  return s;
}

async function refusal(pluginConfig: unknown): Promise<string> {
  const host = await configure(pluginConfig);
  assert.equal(host.configured, false, `configuration ${JSON.stringify(pluginConfig)} should be refused`);
  const errors = host.logMessages("error");
  assert.equal(errors.length, 1, `one error line, got ${JSON.stringify(host.logs)}`);
  return errors[0];
}

test("an empty configuration means the defaults", async () => {
  for (const empty of ["", "  \n", "{}"]) {
    const host = await configure(empty);
    assert.equal(host.configured, true);
    assert.deepEqual(host.logMessages("info"), ["typed_config: header=x-typed-config value=on mode=replace enabled=true skip_paths="]);
    assert.equal(request(host).requestHeaders.get("x-typed-config"), "on");
  }
});

test("a full configuration is read once and applied to every request", async () => {
  const host = await configure({ header: "X-Env", value: "staging", mode: "append", enabled: true, skip_paths: ["/healthz", "/ready"] });
  assert.equal(host.configured, true);
  assert.deepEqual(host.logMessages("info"), ["typed_config: header=x-env value=staging mode=append enabled=true skip_paths=/healthz,/ready"]);
  assert.deepEqual(request(host, { "x-env": "prod" }).requestHeaders.getAll("x-env"), ["prod", "staging"]);
  assert.deepEqual(request(host, { ":path": "/healthz" }).requestHeaders.getAll("x-env"), []);
  assert.equal((await configure({ enabled: false })).configured, true);
  assert.equal(request(await configure({ enabled: false })).requestHeaders.get("x-typed-config"), undefined);
  assert.equal(request(await configure({ mode: "replace" }), { "x-typed-config": "old" }).requestHeaders.getAll("x-typed-config").join(), "on");
});

test("malformed JSON is refused with the parser's reason and offset", async () => {
  assert.equal(await refusal('{"header": "x",}'),
    "typed_config: invalid configuration: configuration is not valid JSON: expected a string key at offset 15");
  assert.equal(await refusal("{\"header\": "),
    "typed_config: invalid configuration: configuration is not valid JSON: unexpected end of input at offset 11");
  assert.equal(await refusal("hello"),
    "typed_config: invalid configuration: configuration is not valid JSON: unexpected character 'h' at offset 0");
  assert.equal(await refusal("[1, 2]"), "typed_config: invalid configuration: configuration must be a JSON object, got array");
});

test("a wrong field type is refused naming the field", async () => {
  assert.equal(await refusal({ enabled: "yes" }), "typed_config: invalid configuration: enabled: expected boolean, got string");
  assert.equal(await refusal({ value: 5 }), "typed_config: invalid configuration: value: expected string, got number");
  assert.equal(await refusal({ skip_paths: ["/a", 7] }), "typed_config: invalid configuration: skip_paths[1]: expected string, got number");
  assert.equal(await refusal({ skip_paths: { a: 1 } }), "typed_config: invalid configuration: skip_paths: expected array of strings, got object");
});

test("bad values and unknown fields are refused naming the field and the reason", async () => {
  assert.equal(await refusal({ mode: "prepend" }),
    "typed_config: invalid configuration: mode: unknown value \"prepend\" (expected one of: replace, append)");
  assert.equal(await refusal({ header: "x bad" }), "typed_config: invalid configuration: header: \"x bad\" is not a valid header name");
  assert.equal(await refusal({ hedaer: "x-env" }), "typed_config: invalid configuration: hedaer: unknown field; did you mean \"header\"?");
});

test("a refused reconfiguration keeps the VM alive and the last good settings", async () => {
  const host = await configure({ value: "first" });
  assert.equal(await host.reconfigure({ value: 1 }), false);
  assert.equal(host.traps.length, 0);
  assert.equal(await host.reconfigure({ value: "second" }), true);
  assert.equal(request(host).requestHeaders.get("x-typed-config"), "second");
});
