// The trace-id filter driven as Envoy drives it, from a spec (proxy-wasm-as/aspect runs this module on
// the Node test host): W3C traceparent kept or started, the echo header, metrics, filter state.
import "../index";
import { TestHost, TestStream } from "../../../testing";

const VALID = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACE = "0af7651916cd43dd8448eb211c80319c";

function request(host: TestHost, extra: string[][] = []): TestStream {
  const s = host.newHttpStream();
  const headers: string[][] = [[":method", "GET"], [":path", "/"], [":authority", "svc"]];
  for (let i = 0; i < extra.length; i++) headers.push(extra[i]);
  s.sendRequestHeaders(headers, true);
  s.sendResponseHeaders([[":status", "200"]], true);
  return s;
}

describe("trace-id", () => {
  it("forwards a valid traceparent unchanged and echoes the trace id to the client", () => {
    const host = TestHost.create("trace_id");
    const s = request(host, [["traceparent", VALID]]);
    expect(s.requestHeader("traceparent")).toBe(VALID);
    expect(s.responseHeader("x-trace-id")).toBe(TRACE);
    s.complete();
    expect(host.metric("trace_id.traces_propagated")).toBe(1);
    expect(host.metric("trace_id.traces_started")).toBe(0);
  });

  it("starts a new sampled trace when none comes in", () => {
    const host = TestHost.create("trace_id");
    const s = request(host);
    const tp = s.requestHeader("traceparent");
    expect(tp).not.toBeNull();
    expect(tp!.length).toBe(55);
    expect(tp!.startsWith("00-")).toBe(true);
    expect(tp!.endsWith("-03")).toBe(true);
    expect(s.responseHeader("x-trace-id")).toBe(tp!.substring(3, 35));
    expect(host.metric("trace_id.traces_started")).toBe(1);
  });

  it("exposes the trace id to the access log through filter state", () => {
    const host = TestHost.create("trace_id", `{"envoyFilterStateKey": "my.key"}`);
    const s = request(host, [["traceparent", VALID]]);
    expect(s.filterState("my.key")).toBe(TRACE);
  });
});
