// The filter, driven as Envoy drives it: this spec runs on the proxy-wasm test host
// (as-pect.config.js: `export { default } from "proxy-wasm-as/aspect";`).
import "../index";
import { TestHost, Action } from "proxy-wasm-as/assembly/testing";

const CONFIG = `{"header": "x-api-key", "keys": ["s3cret"]}`;

describe("__NAME__", () => {
  it("answers 401 itself when the key is missing", () => {
    const host = TestHost.create("__ROOT_ID__", CONFIG);
    const s = host.newHttpStream();
    expect(s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "example.com"]], true)).toBe(Action.Pause);
    const reply = s.localResponse;
    expect(reply).not.toBeNull();
    expect(reply!.status).toBe(401);
    expect(reply!.body).toBe("missing or invalid API key\n");
    expect(reply!.header("www-authenticate")).toBe("ApiKey");
    expect(s.requestForwarded).toBe(false);
    expect(host.metric("__ROOT_ID__.denied")).toBe(1);
  });

  it("lets a valid key through and hides it from the upstream", () => {
    const host = TestHost.create("__ROOT_ID__", CONFIG);
    const s = host.newHttpStream();
    expect(s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "example.com"], ["x-api-key", "s3cret"]], true)).toBe(Action.Continue);
    expect(s.localResponse).toBeNull();
    expect(s.requestHeader("x-api-key")).toBeNull();
    s.sendResponseHeaders([[":status", "200"]], true);
    expect(s.responseHeader(":status")).toBe("200");
    expect(host.metric("__ROOT_ID__.allowed")).toBe(1);
  });

  it("refuses a configuration without keys, naming the field", () => {
    const host = TestHost.create("__ROOT_ID__", `{"header": "x-api-key"}`);
    expect(host.configured).toBe(false);
    expect(host.logged("keys: is required")).toBe(true);
  });
});
