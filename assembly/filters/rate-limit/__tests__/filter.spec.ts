// The rate-limit filter driven as Envoy drives it, from a spec (proxy-wasm-as/aspect runs this module
// on the Node test host): local replies, metrics, a virtual clock, shared data across two workers.
import "../index";
import { TestHost, TestStream, Action } from "../../../testing";

function request(host: TestHost, vm: i32 = -1): TestStream {
  const s = host.newHttpStream(vm);
  const a = s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "svc"]], true);
  if (a == Action.Continue) s.sendResponseHeaders([[":status", "200"]], true);
  s.complete();
  return s;
}

function admitted(host: TestHost, n: i32): i32 {
  let ok = 0;
  for (let i = 0; i < n; i++) if (request(host).localResponse === null) ok++;
  return ok;
}

describe("rate-limit", () => {
  it("admits the burst, then answers 429 with retry-after and x-ratelimit-*, and counts both", () => {
    const host = TestHost.create("rate_limit", `{"rules": [{"name": "all", "tokens": 5, "interval": "1s", "burst": 8}]}`);
    expect(host.configured).toBe(true);
    expect(admitted(host, 8)).toBe(8);
    const limited = request(host).localResponse;
    expect(limited).not.toBeNull();
    expect(limited!.status).toBe(429);
    expect(limited!.body).toBe("rate limited\n");
    expect(limited!.header("retry-after")).toBe("1");
    expect(limited!.header("x-ratelimit-limit")).toBe("8");
    expect(limited!.header("x-ratelimit-remaining")).toBe("0");
    expect(host.metric("ratelimit.all.allowed")).toBe(8);
    expect(host.metric("ratelimit.all.limited")).toBe(1);
  });

  it("refills from the virtual clock: 600 ms at 5/s gives 3 tokens back", () => {
    const host = TestHost.create("rate_limit", `{"rules": [{"name": "all", "tokens": 5, "interval": "1s", "burst": 8}]}`);
    expect(admitted(host, 9)).toBe(8);
    host.advanceTime(600);
    expect(admitted(host, 10)).toBe(3);
  });

  it("is exact across two worker VMs sharing the buckets", () => {
    const host = TestHost.create("rate_limit", `{"rules": [{"name": "all", "tokens": 4, "interval": "1m"}]}`, 2);
    let ok = 0;
    for (let i = 0; i < 10; i++) if (request(host, i % 2).localResponse === null) ok++;
    expect(ok).toBe(4);
    expect(host.metric("ratelimit.all.allowed")).toBe(4);
    expect(host.metric("ratelimit.all.limited")).toBe(6);
  });

  it("refuses a bad configuration, naming the rule and the field", () => {
    const host = TestHost.create("rate_limit", `{"rules": [{"name": "a", "tokens": 0}]}`);
    expect(host.configured).toBe(false);
    expect(host.logged("rules[0].tokens")).toBe(true);
  });
});
