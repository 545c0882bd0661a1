// docs/api.md is the typed API reference of every package entry point, generated from the sources
// (scripts/api-docs.ts): it must be current, and every exported name must have its entry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ENTRIES, generate } from "../../scripts/api-docs.js";

const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
const { markdown, sections } = generate();

test("docs/api.md is current with the sources (else: npm run docs:api)", () => {
  assert.ok(markdown === doc, "docs/api.md differs from what the sources generate: run `npm run docs:api`");
});

test("every entry point's every export has an entry with its signature", () => {
  assert.equal(sections.length, ENTRIES.length);
  for (const s of sections) {
    assert.ok(s.names.length > 0, `${s.spec}: no exports found (module resolution broke?)`);
    for (const name of s.names) assert.ok(doc.includes(`### \`${name}\`\n\n\`\`\`ts\n`), `${s.spec}: ${name} has no entry`);
  }
  const names = (spec: string) => sections.find((s) => s.spec === spec)!.names;
  for (const n of ["RootContext", "Context", "registerRootContext", "send_local_response", "parseConfig", "Counter", "stream_context"]) {
    assert.ok(names("proxy-wasm-as/assembly").includes(n), `proxy-wasm-as/assembly documents ${n}`);
  }
  for (const n of ["TestHost", "TestStream", "HostOptions", "LocalResponse"]) assert.ok(names("proxy-wasm-as/assembly/testing").includes(n));
  for (const n of ["ProxyHost", "HttpStream", "HeaderMap"]) assert.ok(names("proxy-wasm-as/host").includes(n));
  for (const n of ["startEnvoy", "bootstrap", "startUpstream"]) assert.ok(names("proxy-wasm-as/envoy").includes(n));
  assert.ok(names("proxy-wasm-as/devproxy").includes("startDevProxy"));
});

test("signatures keep AssemblyScript types and nullability as written", () => {
  assert.match(doc, /function getHeader\(mapType: u32, key: string\): string \| null/);
  assert.match(doc, /arr\(key: string, maxItems: i32 = i32\.MAX_VALUE\): ConfigArray \| null;/);
  assert.match(doc, /function send_local_response\(response_code: u32, response_code_details: string, body: ArrayBuffer, /);
  assert.match(doc, /class Counter extends Metric \{\n {2}constructor\(name: string\);\n {2}increment\(delta: u64 = 1\): void;/);
  assert.match(doc, /get localResponse\(\): LocalResponse \| null;/);
});
