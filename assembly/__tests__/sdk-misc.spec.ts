import { randomU64, randomBelow, randomBytes, seedRandom } from "../sdk/random";
import { encodeFilterStateArgs, FilterStateLifeSpan } from "../sdk/foreign";
import { addressHost, propertyPath } from "../sdk/properties";
import { taggedName } from "../sdk/metrics";

function byteAt(buf: ArrayBuffer, i: i32): u8 { return load<u8>(changetype<usize>(buf) + i); }

describe("random", () => {
  it("produces non-zero, distinct 64-bit values", () => {
    const seen = new Set<u64>();
    for (let i = 0; i < 1000; i++) {
      const v = randomU64();
      expect(v).not.toBe(0);
      seen.add(v);
    }
    expect(seen.size).toBe(1000);
  });
  it("differs after reseeding from the host", () => {
    const a = randomU64();
    seedRandom();
    const b = randomU64();
    expect(a).not.toBe(b);
  });
  it("stays below the bound and covers it", () => {
    const hits = new StaticArray<i32>(10);
    for (let i = 0; i < 2000; i++) {
      const v = randomBelow(10);
      expect(v).toBeLessThan(10);
      hits[<i32>v]++;
    }
    for (let i = 0; i < 10; i++) expect(hits[i]).toBeGreaterThan(100);
    expect(randomBelow(0)).toBe(0);
  });
  it("fills host random bytes", () => {
    const b = randomBytes(32);
    let nonZero = 0;
    for (let i = 0; i < 32; i++) if (byteAt(b, i) != 0) nonZero++;
    expect(nonZero).toBeGreaterThan(20);
  });
});

describe("set_envoy_filter_state arguments (protobuf)", () => {
  it("encodes path=1, value=2, span=3 as length-delimited strings and a varint", () => {
    const b = encodeFilterStateArgs("k", "vv", FilterStateLifeSpan.DownstreamRequest);
    const want: u8[] = [0x0a, 1, 0x6b, 0x12, 2, 0x76, 0x76, 0x18, 1];
    expect(b.byteLength).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(byteAt(b, i)).toBe(want[i]);
  });
  it("uses multi-byte varint lengths and UTF-8 bytes", () => {
    const value = "x".repeat(300);
    const b = encodeFilterStateArgs("é", value, FilterStateLifeSpan.DownstreamConnection);
    // key: tag, len 2, 0xc3 0xa9
    expect(byteAt(b, 0)).toBe(<u8>0x0a);
    expect(byteAt(b, 1)).toBe(<u8>2);
    expect(byteAt(b, 2)).toBe(<u8>0xc3);
    expect(byteAt(b, 3)).toBe(<u8>0xa9);
    // value: tag, varint 300 = 0xac 0x02
    expect(byteAt(b, 4)).toBe(<u8>0x12);
    expect(byteAt(b, 5)).toBe(<u8>0xac);
    expect(byteAt(b, 6)).toBe(<u8>0x02);
    expect(b.byteLength).toBe(4 + 3 + 300 + 2);
    expect(byteAt(b, b.byteLength - 2)).toBe(<u8>0x18);
    expect(byteAt(b, b.byteLength - 1)).toBe(<u8>2);
  });
  it("encodes empty strings", () => {
    const b = encodeFilterStateArgs("", "", FilterStateLifeSpan.FilterChain);
    expect(b.byteLength).toBe(6);
    expect(byteAt(b, 1)).toBe(<u8>0);
    expect(byteAt(b, 3)).toBe(<u8>0);
    expect(byteAt(b, 5)).toBe(<u8>0);
  });
});

describe("properties", () => {
  it("joins path segments with NUL", () => {
    expect(propertyPath(["source", "address"])).toBe("source\0address");
    expect(propertyPath(["plugin_name"])).toBe("plugin_name");
  });
  it("strips the port from IPv4 and bracketed IPv6 addresses", () => {
    expect(addressHost("10.0.0.1:8080")).toBe("10.0.0.1");
    expect(addressHost("[2001:db8::1]:443")).toBe("2001:db8::1");
    expect(addressHost("[::1]:80")).toBe("::1");
  });
  it("leaves addresses without a port alone", () => {
    expect(addressHost("10.0.0.1")).toBe("10.0.0.1");
    expect(addressHost("2001:db8::1")).toBe("2001:db8::1");
    expect(addressHost("[::1]")).toBe("::1");
    expect(addressHost("")).toBe("");
    expect(addressHost("[broken")).toBe("[broken");
  });
});

describe("metrics", () => {
  it("puts tags into the name and replaces dots in values", () => {
    expect(taggedName("reqs", ["route", "a.b", "code", "200"])).toBe("reqs.route.a_b.code.200");
    expect(taggedName("reqs", [])).toBe("reqs");
    expect(taggedName("reqs", ["odd"])).toBe("reqs");
  });
});
