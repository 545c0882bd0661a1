// http-callout, driven as Envoy drives it: the spec answers the filter's callout to the auth service.
import "../index";
import { TestHost, TestStream, Action } from "../../../../assembly/testing";

const CONFIG = `{"cluster": "auth", "path": "/check", "timeout_ms": 1000}`;

function start(host: TestHost): TestStream {
  const s = host.newHttpStream();
  expect(s.sendRequestHeaders([[":method", "GET"], [":path", "/orders"], [":authority", "shop"], ["authorization", "Bearer t"]], true)).toBe(Action.Pause);
  return s;
}

describe("http-callout", () => {
  it("pauses the request, asks the auth cluster, and resumes it with the user on a 200", () => {
    const host = TestHost.create("http_callout", CONFIG);
    const s = start(host);
    expect(s.requestPaused).toBe(true);
    expect(host.httpCalls).toBe(1);
    const call = host.httpCall(0);
    expect(call.cluster).toBe("auth");
    expect(call.header(":path")).toBe("/check");
    expect(call.header("authorization")).toBe("Bearer t");
    expect(call.header("x-original-path")).toBe("/orders");
    call.respond(200, [["x-user", "alice"]]);
    expect(s.requestPaused).toBe(false);
    expect(s.requestForwarded).toBe(true);
    expect(s.requestHeader("x-auth-user")).toBe("alice");
  });

  it("answers 403 with the auth service's body when it says no", () => {
    const host = TestHost.create("http_callout", CONFIG);
    const s = start(host);
    host.httpCall(0).respond(403, [], "no entry\n");
    expect(s.localResponse!.status).toBe(403);
    expect(s.localResponse!.body).toBe("no entry\n");
    expect(s.requestForwarded).toBe(false);
  });

  it("answers 503 when the auth service does not answer in time (virtual clock)", () => {
    const host = TestHost.create("http_callout", CONFIG);
    const s = start(host);
    host.tick(999);
    expect(s.localResponse).toBeNull();
    host.tick(1); // Envoy answers the timed-out callout with its own 504
    expect(s.localResponse!.status).toBe(503);
    expect(host.httpCalls).toBe(0);
  });
});
