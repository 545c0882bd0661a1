// The tagging filter driven as Envoy drives it, from a spec (proxy-wasm-as/aspect runs this module on
// the Node test host): the routing header, W3C baggage, the route cache, properties of the stream.
import "../index";
import { TestHost, TestStream } from "../../../testing";

const GRAY_BY_UID = `{"rules": [{"name": "uid", "tag": "gray",
  "match": {"source": "header", "name": "user-id", "operator": "modulo", "divisor": 100, "remainder": 20}}]}`;

function request(host: TestHost, extra: string[][] = []): TestStream {
  const s = host.newHttpStream();
  const headers: string[][] = [[":method", "GET"], [":path", "/"], [":authority", "shop.example.com"]];
  for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  s.sendRequestHeaders(headers, true);
  s.sendResponseHeaders([[":status", "200"]], true);
  s.complete();
  return s;
}

describe("tagging", () => {
  it("user-id % 100 == 20 → gray: sets the routing header and baggage, clears the route cache", () => {
    const host = TestHost.create("tagging", GRAY_BY_UID);
    expect(host.configured).toBe(true);
    const gray = request(host, [["user-id", "120"]]);
    expect(gray.requestHeader("x-mesh-tag")).toBe("gray");
    expect(gray.requestHeader("baggage")).toBe("mesh-tag=gray");
    expect(gray.routeCacheCleared).toBe(1);
  });

  it("leaves a request that matches no rule untagged", () => {
    const host = TestHost.create("tagging", GRAY_BY_UID);
    const plain = request(host, [["user-id", "121"]]);
    expect(plain.requestHeader("x-mesh-tag")).toBeNull();
    expect(plain.requestHeader("baggage")).toBeNull();
    expect(plain.routeCacheCleared).toBe(0);
  });

  it("matches on the source address the stream came from", () => {
    const host = TestHost.create("tagging", `{"rules": [{"tag": "office",
      "match": {"source": "sourceIp", "operator": "cidr", "values": ["10.1.0.0/16"]}}]}`);
    const props = new Map<string, string>();
    props.set("source.address", "10.1.2.3:5555");
    const s = host.newHttpStreamWith(props);
    s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"]], true);
    expect(s.requestHeader("x-mesh-tag")).toBe("office");
  });

  it("refuses a rule without a tag", () => {
    const host = TestHost.create("tagging", `{"rules": [{"match": {"source": "path", "operator": "prefix", "value": "/"}}]}`);
    expect(host.configured).toBe(false);
    expect(host.logged("rules[0]")).toBe(true);
  });
});
