// B3 single and multi-header parsing and formatting, with the corner cases of the B3 spec.
import { parseB3Single, parseB3TraceId, parseB3SpanId, parseB3Sampling, writeB3Single, writeB3TraceId } from "../b3";
import { Parse, TraceContext } from "../trace";

const ctx = new TraceContext();

function single(s: string): Parse {
  const b = String.UTF8.encode(s);
  return parseB3Single(changetype<usize>(b), <usize>b.byteLength, ctx);
}
function traceId(s: string): bool {
  const b = String.UTF8.encode(s);
  ctx.reset();
  return parseB3TraceId(changetype<usize>(b), <usize>b.byteLength, ctx);
}
function spanId(s: string): u64 {
  const b = String.UTF8.encode(s);
  return parseB3SpanId(changetype<usize>(b), <usize>b.byteLength);
}
function sampling(s: string): i32 {
  const b = String.UTF8.encode(s);
  return parseB3Sampling(changetype<usize>(b), <usize>b.byteLength);
}
function written(hi: u64, lo: u64, span: u64, sampled: bool, debug: bool, parent: u64): string {
  const buf = new ArrayBuffer(80);
  const n = writeB3Single(changetype<usize>(buf), hi, lo, span, sampled, debug, parent);
  return String.UTF8.decodeUnsafe(changetype<usize>(buf), n);
}

describe("b3 single header", () => {
  it("reads trace-span-sampled-parent", () => {
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")).toBe(Parse.Valid);
    expect(ctx.hi).toBe(0x80f198ee56343ba8);
    expect(ctx.lo).toBe(0x64fe8b2a57d3eff7);
    expect(ctx.span).toBe(0xe457b5a2e4d86bd1);
    expect(ctx.parent).toBe(0x05e3ac9a4f6e3b90);
    expect(ctx.sampled).toBe(1);
    expect(ctx.debug).toBe(false);
  });
  it("reads trace-span with the decision deferred", () => {
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1")).toBe(Parse.Valid);
    expect(ctx.sampled).toBe(-1);
    expect(ctx.parent).toBe(0);
  });
  it("pads a 64-bit trace id to 128 bits on the left", () => {
    expect(single("64fe8b2a57d3eff7-e457b5a2e4d86bd1-0")).toBe(Parse.Valid);
    expect(ctx.hi).toBe(0);
    expect(ctx.lo).toBe(0x64fe8b2a57d3eff7);
    expect(ctx.sampled).toBe(0);
  });
  it("reads debug as an accept with the debug mark", () => {
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d")).toBe(Parse.Valid);
    expect(ctx.sampled).toBe(1);
    expect(ctx.debug).toBe(true);
  });
  it("reads a lone sampling state as a decision without ids", () => {
    expect(single("0")).toBe(Parse.SamplingOnly);
    expect(ctx.sampled).toBe(0);
    expect(single("1")).toBe(Parse.SamplingOnly);
    expect(ctx.sampled).toBe(1);
    expect(single("d")).toBe(Parse.SamplingOnly);
    expect(ctx.debug).toBe(true);
    expect(single("x")).toBe(Parse.Invalid);
  });
  it("reads an all-zero parent as no parent", () => {
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-0000000000000000")).toBe(Parse.Valid);
    expect(ctx.parent).toBe(0);
  });
  it("rejects malformed values", () => {
    expect(single("")).toBe(Parse.Invalid);
    expect(single("80f198ee56343ba864fe8b2a57d3eff7")).toBe(Parse.Invalid);                       // no span id
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-")).toBe(Parse.Invalid);
    expect(single("80f198ee56343ba864fe8b2a57d3eff-e457b5a2e4d86bd1")).toBe(Parse.Invalid);        // 31 digits
    expect(single("80f198ee56343ba864fe8b2a57d3eff7a-e457b5a2e4d86bd1")).toBe(Parse.Invalid);      // 33 digits
    expect(single("80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1")).toBe(Parse.Invalid);       // uppercase
    expect(single("00000000000000000000000000000000-e457b5a2e4d86bd1")).toBe(Parse.Invalid);       // zero trace
    expect(single("0000000000000000-e457b5a2e4d86bd1")).toBe(Parse.Invalid);                       // zero 64-bit trace
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-0000000000000000")).toBe(Parse.Invalid);       // zero span
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd")).toBe(Parse.Invalid);        // short span
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1x")).toBe(Parse.Invalid);      // trailing junk
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2")).toBe(Parse.Invalid);     // bad state
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b9")).toBe(Parse.Invalid);  // short parent
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90-")).toBe(Parse.Invalid);
    // The parent needs a sampling state before it: trace-span-parent is not a B3 form.
    expect(single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-05e3ac9a4f6e3b90")).toBe(Parse.Invalid);
  });
});

describe("b3 multi-header fields", () => {
  it("reads 128-bit and 64-bit trace ids", () => {
    expect(traceId("463ac35c9f6413ad48485a3953bb6124")).toBe(true);
    expect(ctx.hi).toBe(0x463ac35c9f6413ad);
    expect(traceId("48485a3953bb6124")).toBe(true);
    expect(ctx.hi).toBe(0);
    expect(ctx.lo).toBe(0x48485a3953bb6124);
  });
  it("rejects bad trace ids", () => {
    expect(traceId("")).toBe(false);
    expect(traceId("48485a3953bb612")).toBe(false);
    expect(traceId("463ac35c9f6413ad48485a3953bb61240")).toBe(false);
    expect(traceId("0000000000000000")).toBe(false);
    expect(traceId("463AC35C9F6413AD48485A3953BB6124")).toBe(false);
  });
  it("reads span ids; zero, short or non-hex are invalid (0)", () => {
    expect(spanId("a2fb4a1d1a96d312")).toBe(0xa2fb4a1d1a96d312);
    expect(spanId("0000000000000000")).toBe(0);
    expect(spanId("a2fb4a1d1a96d31")).toBe(0);
    expect(spanId("a2fb4a1d1a96d31z")).toBe(0);
  });
  it("reads sampling states, leniently accepting true/false", () => {
    expect(sampling("1")).toBe(1);
    expect(sampling("0")).toBe(0);
    expect(sampling("d")).toBe(2);
    expect(sampling("true")).toBe(1);
    expect(sampling("false")).toBe(0);
    expect(sampling("yes")).toBe(-1);
    expect(sampling("")).toBe(-1);
    expect(sampling("10")).toBe(-1);
  });
});

describe("b3 formatting", () => {
  it("writes trace-span-state[-parent]", () => {
    expect(written(0x80f198ee56343ba8, 0x64fe8b2a57d3eff7, 0xe457b5a2e4d86bd1, true, false, 0x05e3ac9a4f6e3b90))
      .toBe("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90");
    expect(written(0x80f198ee56343ba8, 0x64fe8b2a57d3eff7, 0xe457b5a2e4d86bd1, false, false, 0))
      .toBe("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0");
    expect(written(0x80f198ee56343ba8, 0x64fe8b2a57d3eff7, 0xe457b5a2e4d86bd1, true, true, 0))
      .toBe("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d");
  });
  it("writes a 64-bit trace id as 16 digits", () => {
    expect(written(0, 0x64fe8b2a57d3eff7, 0xe457b5a2e4d86bd1, true, false, 0)).toBe("64fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
    const buf = new ArrayBuffer(32);
    expect(writeB3TraceId(changetype<usize>(buf), 0, 5)).toBe(16);
    expect(writeB3TraceId(changetype<usize>(buf), 1, 5)).toBe(32);
  });
  it("round-trips through the parser", () => {
    const s = "463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-1-0020000000000001";
    expect(single(s)).toBe(Parse.Valid);
    expect(written(ctx.hi, ctx.lo, ctx.span, ctx.sampled == 1, ctx.debug, ctx.parent)).toBe(s);
  });
});

describe("b3 single header bounds", () => {
  it("accepts the longest form (68 bytes) and refuses anything longer before reading its fields", () => {
    const full = "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90";
    expect(full.length).toBe(68);
    expect(single(full)).toBe(Parse.Valid);
    expect(single(full + "0")).toBe(Parse.Invalid);
    expect(single("a".repeat(60000))).toBe(Parse.Invalid);
    expect(single("-".repeat(60000))).toBe(Parse.Invalid);
  });
  it("finds the trace id's end at 16 or 32 digits only", () => {
    expect(single("48485a3953bb6124-a2fb4a1d1a96d312")).toBe(Parse.Valid);
    expect(single("48485a3953bb612-4a2fb4a1d1a96d312")).toBe(Parse.Invalid);
    expect(single("48485a3953bb61244-a2fb4a1d1a96d312")).toBe(Parse.Invalid);
  });
});
