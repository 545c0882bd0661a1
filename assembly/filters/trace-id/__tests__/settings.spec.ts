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
    const s = ok('{"mode": "span", "extract": ["b3", "w3c"], "emit": ["w3c", "b3multi", "b3"], "sample_rate": 0.25,' +
      '"request_id_header": "X-Correlation-ID", "preserve_request_id": false, "request_id_format": "trace_id_uuid",' +
      '"echo_trace_id_header": "", "echo_request_id_header": "x-request-id", "filter_state_property": "trace_id",' +
      '"envoy_filter_state_key": "envoy.string", "filter_state_value": "traceparent", "stat_prefix": "edge.trace"}');
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
    const s = ok('{"emit": [], "extract": [], "sample_rate": 0}');
    expect(s.emitW3c).toBe(false);
    expect(s.extract.length).toBe(0);
    expect(s.sampleThreshold).toBe(0);
  });
  it("refuses an unknown format, naming the item", () => {
    expect(err('{"emit": ["w3c", "jaeger"]}')).toBe('emit[1]: unknown format "jaeger" (expected one of: w3c, b3, b3multi)');
    expect(err('{"extract": ["W3C"]}')).toBe('extract[0]: unknown format "W3C" (expected one of: w3c, b3, b3multi)');
    expect(err('{"extract": ["b3", "b3"]}')).toBe('extract[1]: format "b3" is listed twice');
    expect(err('{"emit": "zipkin"}')).toBe('emit[0]: unknown format "zipkin" (expected one of: w3c, b3, b3multi)');
    expect(err('{"emit": 3}')).toBe("emit: expected array of strings, got number");
  });
  it("refuses a bad sampling rate", () => {
    expect(err('{"sample_rate": 1.5}')).toBe("sample_rate: must be a number between 0 and 1 (a fraction of new traces)");
    expect(err('{"sample_rate": -0.1}')).toBe("sample_rate: must be a number between 0 and 1 (a fraction of new traces)");
    expect(err('{"sample_rate": "50%"}')).toBe("sample_rate: expected number, got string");
  });
  it("refuses a bad header name", () => {
    expect(err('{"request_id_header": "x request id"}')).toBe('request_id_header: "x request id" is not a valid header name');
    expect(err('{"echo_trace_id_header": "x-trace:id"}')).toBe('echo_trace_id_header: "x-trace:id" is not a valid header name');
  });
  it("refuses unknown values, unknown fields and inconsistent settings", () => {
    expect(err('{"mode": "hop"}')).toBe('mode: unknown value "hop" (expected one of: propagate, span)');
    expect(err('{"request_id_format": "ulid"}')).toBe('request_id_format: unknown value "ulid" (expected one of: uuid4, trace_id, trace_id_uuid)');
    expect(err('{"sample_rates": 0.5}')).toBe("sample_rates: unknown field");
    expect(err('{"request_id_header": "", "echo_request_id_header": "x-request-id"}'))
      .toBe("echo_request_id_header: needs request_id_header (there is no request id to echo)");
    expect(err('{"filter_state_property": "a b"}')).toBe("filter_state_property: \"a b\" may only contain letters, digits, '.', '_' and '-'");
    expect(err('{"stat_prefix": ""}')).toBe("stat_prefix: must not be empty");
    expect(err("[1]")).toBe("configuration must be a JSON object, got array");
    expect(err("{").startsWith("configuration is not valid JSON")).toBe(true);
  });
});

