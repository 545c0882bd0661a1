import { HeaderPair, serializeHeaders, deserializeHeaders } from "../sdk/headers";

function pairs(kv: string[]): HeaderPair[] {
  const out = new Array<HeaderPair>();
  for (let i = 0; i + 1 < kv.length; i += 2) out.push(new HeaderPair(kv[i], kv[i + 1]));
  return out;
}
function roundTrip(h: HeaderPair[]): HeaderPair[] {
  const buf = serializeHeaders(h);
  return deserializeHeaders(changetype<usize>(buf), buf.byteLength);
}
/** A buffer from raw bytes, for hand-made (and broken) serializations. */
function bytes(b: u8[]): ArrayBuffer {
  const buf = new ArrayBuffer(b.length);
  for (let i = 0; i < b.length; i++) store<u8>(changetype<usize>(buf) + i, b[i]);
  return buf;
}
function parse(buf: ArrayBuffer): HeaderPair[] { return deserializeHeaders(changetype<usize>(buf), buf.byteLength); }

describe("header map serialization", () => {
  it("lays out count, lengths, then NUL-terminated keys and values (ABI map format)", () => {
    const buf = serializeHeaders(pairs(["a", "1", "bc", ""]));
    const p = changetype<usize>(buf);
    expect(buf.byteLength).toBe(4 + 2 * 8 + (1 + 1 + 1 + 1) + (2 + 1 + 0 + 1));
    expect(load<u32>(p)).toBe(2);
    expect(load<u32>(p, 4)).toBe(1);
    expect(load<u32>(p, 8)).toBe(1);
    expect(load<u32>(p, 12)).toBe(2);
    expect(load<u32>(p, 16)).toBe(0);
    expect(load<u8>(p, 20)).toBe(<u8>0x61); // 'a'
    expect(load<u8>(p, 21)).toBe(<u8>0);
    expect(load<u8>(p, 22)).toBe(<u8>0x31); // '1'
    expect(load<u8>(p, 23)).toBe(<u8>0);
    expect(load<u8>(p, 26)).toBe(<u8>0); // after "bc"
    expect(load<u8>(p, 27)).toBe(<u8>0); // empty value's terminator
  });

  it("round-trips pairs, keeping order, duplicates and empty values", () => {
    const h = roundTrip(pairs([":method", "GET", "x-dup", "1", "x-dup", "2", "x-empty", ""]));
    expect(h.length).toBe(4);
    expect(h[0].key).toBe(":method");
    expect(h[0].value).toBe("GET");
    expect(h[2].key).toBe("x-dup");
    expect(h[2].value).toBe("2");
    expect(h[3].value).toBe("");
  });

  it("round-trips an empty map (4 zero bytes)", () => {
    const buf = serializeHeaders(new Array<HeaderPair>());
    expect(buf.byteLength).toBe(4);
    expect(load<u32>(changetype<usize>(buf))).toBe(0);
    expect(roundTrip(new Array<HeaderPair>()).length).toBe(0);
  });

  it("reads the host's other empty forms: size 0 and a single 0x00 byte", () => {
    expect(deserializeHeaders(0, 0).length).toBe(0);
    expect(parse(bytes([0])).length).toBe(0);
  });

  it("round-trips UTF-8 with byte lengths, not UTF-16 lengths", () => {
    const h = roundTrip(pairs(["x-naïve", "日本語 ✓", "x-emoji", "😀"]));
    expect(h[0].key).toBe("x-naïve");
    expect(h[0].value).toBe("日本語 ✓");
    expect(h[1].value).toBe("😀");
    const buf = serializeHeaders(pairs(["k", "😀"]));
    expect(load<u32>(changetype<usize>(buf), 8)).toBe(4); // 4 UTF-8 bytes, 2 UTF-16 units
  });

  it("never traps on malformed input: keeps the pairs that fit", () => {
    // count claims 1000 pairs, buffer holds none of their lengths
    expect(parse(bytes([0xe8, 0x03, 0, 0, 1, 0, 0, 0])).length).toBe(0);
    // count 0xffffffff: the size check must not overflow into "fits"
    expect(parse(bytes([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])).length).toBe(0);
    // count 0x20000000: count * 8 wraps to 0 in 32 bits
    expect(parse(bytes([0, 0, 0, 0x20, 1, 0, 0, 0, 1, 0, 0, 0, 0x61, 0, 0x62, 0])).length).toBe(0);
    // a truncated buffer: count < 4 bytes
    expect(parse(bytes([1, 0])).length).toBe(0);
    // two pairs declared, data for only the first
    const two = bytes([2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0x61, 0, 0x62, 0]);
    const h = parse(two);
    expect(h.length).toBe(1);
    expect(h[0].key).toBe("a");
    expect(h[0].value).toBe("b");
    // a key length pointing far past the end
    expect(parse(bytes([1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0x61, 0])).length).toBe(0);
  });

  it("formats a pair as `key: value`", () => {
    expect(new HeaderPair("a", "b").toString()).toBe("a: b");
  });
});
