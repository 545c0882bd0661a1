// One test per refused configuration: the module must refuse it (Envoy would reject the plugin) and log
// an error line starting with the expected message (field path and reason).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProxyHost } from "../../../src/host/index.js";

export function testRefusals(wasm: string, rootId: string, cases: [unknown, string][]): void {
  for (const [config, message] of cases) {
    test(message, async () => {
      const h = await ProxyHost.create({ wasm, rootId, pluginConfig: config });
      assert.equal(h.configured, false);
      const errors = h.logMessages("error");
      assert.ok(errors.some((m) => m.startsWith(message)), `expected "${message}…" in ${JSON.stringify(errors)}`);
    });
  }
}
