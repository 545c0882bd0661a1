// shared-counter, driven as Envoy drives it with two worker VMs: shared data seen by both, ticks on
// the virtual clock.
import "../index";
import { TestHost, TestStream } from "../../../../assembly/testing";

function count(host: TestHost, vm: i32): TestStream {
  const s = host.newHttpStream(vm);
  s.sendRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"]], true);
  s.sendResponseHeaders([[":status", "200"]], true);
  s.complete();
  return s;
}

function u64At(b: ArrayBuffer | null): u64 {
  return b === null ? u64.MAX_VALUE : load<u64>(changetype<usize>(b));
}

describe("shared-counter", () => {
  it("counts requests across two workers in shared data", () => {
    const host = TestHost.create("shared_counter", `{"tick_ms": 1000}`, 2);
    expect(count(host, 0).responseHeader("x-request-count")).toBe("1");
    expect(count(host, 1).responseHeader("x-request-count")).toBe("2");
    const third = count(host, 1);
    expect(third.responseHeader("x-request-count")).toBe("3");
    expect(third.responseHeader("x-vm-request-count")).toBe("2");
    expect(u64At(host.sharedDataBytes("shared-counter.requests"))).toBe(3);
  });

  it("counts ticks of both workers as the virtual clock advances", () => {
    const host = TestHost.create("shared_counter", `{"tick_ms": 1000}`, 2);
    expect(host.tick(3000)).toBe(6); // 3 ticks on each of the 2 VMs
    expect(u64At(host.sharedDataBytes("shared-counter.ticks"))).toBe(6);
    const s = host.newHttpStream(0);
    s.sendRequestHeaders([[":method", "GET"], [":path", "/shared-counter"], [":authority", "a"]], true);
    expect(s.localResponse!.body).toBe("{\"requests\": 0, \"ticks\": 6, \"vm_requests\": 0, \"vm_ticks\": 3}\n");
  });
});
