// W3C traceparent parsing and formatting: every rule of the spec's traceparent section, one case each
// (the cases of the W3C test suite, test/test.py, plus the Level 2 random flag).
import { parseTraceparent, writeTraceparent, writeTraceId } from "../w3c";
import { Parse, TraceContext } from "../trace";

const TP = "00-12345678901234567890123456789012-1234567890123456-01";
const ctx = new TraceContext();

function parse(s: string): Parse {
  const b = String.UTF8.encode(s);
  ctx.reset();
  return parseTraceparent(changetype<usize>(b), <usize>b.byteLength, ctx);
}
function traceparent(hi: u64, lo: u64, span: u64, flags: u8): string {
  const buf = new ArrayBuffer(64);
  const n = writeTraceparent(changetype<usize>(buf), hi, lo, span, flags);
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), n);
}

describe("traceparent: valid", () => {
  it("reads version 00", () => {
    expect(parse(TP)).toBe(Parse.Valid);
    expect(ctx.hi).toBe(0x1234567890123456);
    expect(ctx.lo).toBe(0x7890123456789012);
    expect(ctx.span).toBe(0x1234567890123456);
    expect(ctx.flags).toBe(1);
    expect(ctx.sampled).toBe(1);
    expect(ctx.version).toBe(0);
  });
  it("reads an unsampled trace", () => {
    expect(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")).toBe(Parse.Valid);
    expect(ctx.sampled).toBe(0);
  });
  it("keeps every flag bit of version 00 (random flag, reserved bits)", () => {
    expect(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")).toBe(Parse.Valid);
    expect(ctx.flags).toBe(3);
    expect(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09")).toBe(Parse.Valid);
    expect(ctx.flags).toBe(9);
    expect(ctx.sampled).toBe(1);
  });
  it("ignores surrounding spaces and tabs (OWS)", () => {
    expect(parse(" " + TP)).toBe(Parse.Valid);
    expect(parse("\t" + TP)).toBe(Parse.Valid);
    expect(parse(TP + " ")).toBe(Parse.Valid);
    expect(parse("\t " + TP + " \t")).toBe(Parse.Valid);
  });
  it("parses a higher version by the forward-compatibility rule", () => {
    expect(parse("cc-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Valid);
    expect(ctx.version).toBe(0xcc);
    expect(ctx.lo).toBe(0x7890123456789012);
    expect(parse("cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like")).toBe(Parse.Valid);
    expect(ctx.span).toBe(0x1234567890123456);
  });
  it("keeps only the known flag bits of a higher version", () => {
    expect(parse("01-12345678901234567890123456789012-1234567890123456-ff")).toBe(Parse.Valid);
    expect(ctx.flags).toBe(3);
  });
});

describe("traceparent: invalid (the trace restarts)", () => {
  it("rejects an empty or short value", () => {
    expect(parse("")).toBe(Parse.Invalid);
    expect(parse("00")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-1234567890123456")).toBe(Parse.Invalid);
  });
  it("rejects extra characters after version 00", () => {
    expect(parse(TP + ".")).toBe(Parse.Invalid);
    expect(parse(TP + "-what-the-future-will-be-like")).toBe(Parse.Invalid);
  });
  it("rejects a higher version whose flags are not followed by '-' or the end", () => {
    expect(parse("cc-12345678901234567890123456789012-1234567890123456-01.what-the-future-will-be-like")).toBe(Parse.Invalid);
  });
  it("rejects version ff", () => {
    expect(parse("ff-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
  });
  it("rejects illegal characters in the version", () => {
    expect(parse(".0-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("0.-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("0A-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
  });
  it("rejects a version of the wrong length", () => {
    expect(parse("000-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("0000-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("0-12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
  });
  it("rejects an all-zero trace-id", () => {
    expect(parse("00-00000000000000000000000000000000-1234567890123456-01")).toBe(Parse.Invalid);
  });
  it("rejects illegal characters in the trace-id (including uppercase hex)", () => {
    expect(parse("00-.2345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-1234567890123456789012345678901.-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")).toBe(Parse.Invalid);
    expect(parse("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")).toBe(Parse.Invalid);
  });
  it("rejects a trace-id of the wrong length", () => {
    expect(parse("00-123456789012345678901234567890123-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-1234567890123456789012345678901-1234567890123456-01")).toBe(Parse.Invalid);
  });
  it("rejects an all-zero parent-id", () => {
    expect(parse("00-12345678901234567890123456789012-0000000000000000-01")).toBe(Parse.Invalid);
  });
  it("rejects illegal characters in the parent-id", () => {
    expect(parse("00-12345678901234567890123456789012-.234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-123456789012345.-01")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-00F067AA0BA902B7-01")).toBe(Parse.Invalid);
  });
  it("rejects a parent-id of the wrong length", () => {
    expect(parse("00-12345678901234567890123456789012-12345678901234567-01")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-123456789012345-01")).toBe(Parse.Invalid);
  });
  it("rejects illegal characters in the flags", () => {
    expect(parse("00-12345678901234567890123456789012-1234567890123456-.0")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-1234567890123456-0.")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-1234567890123456-0A")).toBe(Parse.Invalid);
  });
  it("rejects flags of the wrong length", () => {
    expect(parse("00-12345678901234567890123456789012-1234567890123456-001")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-1234567890123456-1")).toBe(Parse.Invalid);
  });
  it("rejects wrong delimiters", () => {
    expect(parse("00_12345678901234567890123456789012-1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012_1234567890123456-01")).toBe(Parse.Invalid);
    expect(parse("00-12345678901234567890123456789012-1234567890123456_01")).toBe(Parse.Invalid);
  });
  it("leaves the context untouched when invalid", () => {
    ctx.reset();
    const b = String.UTF8.encode("00-00000000000000000000000000000000-1234567890123456-01");
    parseTraceparent(changetype<usize>(b), <usize>b.byteLength, ctx);
    expect(ctx.hi | ctx.lo).toBe(0);
    expect(ctx.span).toBe(0);
  });
});

describe("traceparent: formatting", () => {
  it("writes version 00, lowercase, zero-padded", () => {
    expect(traceparent(0x4bf92f3577b34da6, 0xa3ce929d0e0e4736, 0x00f067aa0ba902b7, 1))
      .toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(traceparent(0, 1, 2, 3)).toBe("00-00000000000000000000000000000001-0000000000000002-03");
    expect(traceparent(0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff, 0))
      .toBe("00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-00");
  });
  it("round-trips", () => {
    const s = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(parse(s)).toBe(Parse.Valid);
    expect(traceparent(ctx.hi, ctx.lo, ctx.span, ctx.flags)).toBe(s);
  });
  it("writes a bare trace id", () => {
    const buf = new ArrayBuffer(32);
    expect(writeTraceId(changetype<usize>(buf), 0x0af7651916cd43dd, 0x8448eb211c80319c)).toBe(32);
    expect(String.UTF8.decode(buf)).toBe("0af7651916cd43dd8448eb211c80319c");
  });
});
