// deny-path, driven as Envoy drives it: the test host runs this spec's own module (proxy-wasm-as/aspect).
import "../index";
import { TestHost, Action } from "../../../../assembly/testing";

describe("deny-path", () => {
  it("answers a denied prefix from the proxy, with the configured status and body", () => {
    const host = TestHost.create("deny_path", `{"prefixes": ["/admin"], "status": 404, "body": "nope\\n"}`);
    expect(host.configured).toBe(true);
    const s = host.newHttpStream();
    expect(s.sendRequestHeaders([[":method", "GET"], [":path", "/admin/users"], [":authority", "example.com"]], true)).toBe(Action.Pause);
    const reply = s.localResponse;
    expect(reply).not.toBeNull();
    expect(reply!.status).toBe(404);
    expect(reply!.body).toBe("nope\n");
    expect(reply!.header("x-denied-by")).toBe("deny-path");
    expect(s.requestForwarded).toBe(false);
  });

  it("lets other paths through untouched", () => {
    const host = TestHost.create("deny_path", `{"prefixes": ["/admin"]}`);
    const s = host.newHttpStream();
    expect(s.sendRequestHeaders([[":method", "GET"], [":path", "/public"], [":authority", "example.com"]], true)).toBe(Action.Continue);
    expect(s.localResponse).toBeNull();
    expect(s.requestHeader(":path")).toBe("/public");
  });

  it("refuses a bad configuration with the field and the reason", () => {
    const host = TestHost.create("deny_path", `{"prefixes": ["admin"]}`);
    expect(host.configured).toBe(false);
    expect(host.logged("prefixes[0]: must start with")).toBe(true);
  });
});
