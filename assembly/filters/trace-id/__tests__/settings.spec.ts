// Configuration: defaults, every field, and the refusal messages (field path + reason).
import { RawName } from "../../../sdk/rawheaders";
import { parseSettings, settingsError, Settings, Mode, Format, RequestIdFormat, StateValue, SAMPLE_SCALE } from "../settings";

function ok(json: string): Settings {
  const s = parseSettings(json);
  if (s === null) { trace("unexpected error: " + settingsError); return new Settings(); }
  return <Settings>s;
}
function err(json: string): string {
  const s = parseSettings(json);
  return s === null ? settingsError : "(accepted)";
}

describe("trace-id settings", () => {
  it("has defaults for an empty configuration", () => {
    const s = ok("");
    expect(s.mode).toBe(Mode.Propagate);
    expect(s.extract.length).toBe(3);
    expect(s.emitW3c).toBe(true);
    expect(s.emitB3).toBe(false);
    expect(s.emitB3Multi).toBe(false);
    expect(s.sampleThreshold).toBe(<u64>SAMPLE_SCALE);
    expect((s.requestIdHeader as RawName).name).toBe("x-request-id");
    expect(s.preserveRequestId).toBe(true);
    expect(s.requestIdFormat).toBe(RequestIdFormat.Uuid4);
    expect((s.echoTraceIdHeader as RawName).name).toBe("x-trace-id");
    expect(s.echoRequestIdHeader).toBeNull();
    expect(s.filterStateProperty).toBeNull();
    expect(s.envoyFilterStateKey).toBeNull();
    expect(s.statPrefix).toBe("trace_id");
    expect(ok("{}").emitW3c).toBe(true);
  });
  it("reads every field", () => {
    const s = ok('{"mode": "span", "extract": ["b3", "w3c"], "emit": ["w3c", "b3multi", "b3"], "sampleRate": 0.25,' +
      '"requestIdHeader": "X-Correlation-ID", "preserveRequestId": false, "requestIdFormat": "traceIdUuid",' +
      '"echoTraceIdHeader": "", "echoRequestIdHeader": "x-request-id", "filterStateProperty": "trace_id",' +
      '"envoyFilterStateKey": "envoy.string", "filterStateValue": "traceparent", "statPrefix": "edge.trace"}');
    expect(s.mode).toBe(Mode.Span);
    expect(s.extract.length).toBe(2);
    expect(s.extract[0]).toBe(Format.B3);
    expect(s.extract[1]).toBe(Format.W3C);
    expect(s.emitW3c && s.emitB3 && s.emitB3Multi).toBe(true);
    expect(s.sampleThreshold).toBe(<u64>(SAMPLE_SCALE / 4));
    expect((s.requestIdHeader as RawName).name).toBe("x-correlation-id");
    expect(s.preserveRequestId).toBe(false);
    expect(s.requestIdFormat).toBe(RequestIdFormat.TraceIdUuid);
    expect(s.echoTraceIdHeader).toBeNull();
    expect((s.echoRequestIdHeader as RawName).name).toBe("x-request-id");
    expect((s.filterStateProperty as RawName).name).toBe("trace_id");
    expect((s.envoyFilterStateKey as RawName).name).toBe("envoy.string");
    expect(s.filterStateValue).toBe(StateValue.Traceparent);
    expect(s.statPrefix).toBe("edge.trace");
    expect(s.needsRequestId).toBe(true);
  });
  it("accepts an empty emit or extract list and a rate of 0", () => {
    const s = ok('{"emit": [], "extract": [], "sampleRate": 0}');
    expect(s.emitW3c).toBe(false);
    expect(s.extract.length).toBe(0);
    expect(s.sampleThreshold).toBe(0);
  });
  it("refuses an unknown format, naming the item", () => {
    expect(err('{"emit": ["w3c", "jaeger"]}')).toBe('emit[1]: unknown format "jaeger" (expected one of: w3c, b3, b3multi)');
    expect(err('{"extract": ["W3C"]}')).toBe('extract[0]: unknown format "W3C"; did you mean "w3c"? (expected one of: w3c, b3, b3multi)');
    expect(err('{"extract": ["b3", "b3"]}')).toBe('extract[1]: format "b3" is listed twice');
    expect(err('{"emit": "zipkin"}')).toBe('emit[0]: unknown format "zipkin" (expected one of: w3c, b3, b3multi)');
    expect(err('{"emit": 3}')).toBe("emit: expected array of strings, got number");
  });
  it("refuses a bad sampling rate", () => {
    expect(err('{"sampleRate": 1.5}')).toBe("sampleRate: must be a number between 0 and 1 (a fraction of new traces)");
    expect(err('{"sampleRate": -0.1}')).toBe("sampleRate: must be a number between 0 and 1 (a fraction of new traces)");
    expect(err('{"sampleRate": "50%"}')).toBe("sampleRate: expected number, got string");
  });
  it("refuses a bad header name", () => {
    expect(err('{"requestIdHeader": "x request id"}')).toBe('requestIdHeader: "x request id" is not a valid header name');
    expect(err('{"echoTraceIdHeader": "x-trace:id"}')).toBe('echoTraceIdHeader: "x-trace:id" is not a valid header name');
  });
  it("refuses unknown values, unknown fields and inconsistent settings", () => {
    expect(err('{"mode": "hop"}')).toBe('mode: unknown value "hop" (expected one of: propagate, span)');
    expect(err('{"requestIdFormat": "ulid"}')).toBe('requestIdFormat: unknown value "ulid" (expected one of: uuid4, traceId, traceIdUuid)');
    expect(err('{"sampleRates": 0.5}')).toBe("sampleRates: unknown field; did you mean \"sampleRate\"?");
    expect(err('{"requestIdHeader": "", "echoRequestIdHeader": "x-request-id"}'))
      .toBe("echoRequestIdHeader: needs requestIdHeader (there is no request id to echo)");
    expect(err('{"filterStateProperty": "a b"}')).toBe("filterStateProperty: \"a b\" may only contain letters, digits, '.', '_' and '-'");
    expect(err('{"statPrefix": ""}')).toBe("statPrefix: must not be empty");
    expect(err("[1]")).toBe("configuration must be a JSON object, got array");
    expect(err("{").startsWith("configuration is not valid JSON")).toBe(true);
  });
});

describe("trace-id settings: strict (D4, D8)", () => {
  it("refuses null with the field path", () => {
    expect(err('{"sampleRate": null}')).toBe("sampleRate: expected number, got null");
    expect(err('{"requestIdHeader": null}')).toBe("requestIdHeader: expected string, got null");
    expect(err('{"emit": null}')).toBe("emit: expected array of strings, got null");
    expect(err('{"mode": null}')).toBe("mode: expected string, got null");
  });
  it("reports every problem, with escaped excerpts and suggestions", () => {
    expect(err('{"mode": "spam", "emit": ["w3", "b3"], "echoTraceIdHeader": "a\\r\\nb", "sampelRate": 1}'))
      .toBe('mode: unknown value "spam"; did you mean "span"? (expected one of: propagate, span); ' +
        'emit[0]: unknown format "w3"; did you mean "w3c"? (expected one of: w3c, b3, b3multi); ' +
        'echoTraceIdHeader: "a\\r\\nb" is not a valid header name; sampelRate: unknown field; did you mean "sampleRate"?');
  });
});
