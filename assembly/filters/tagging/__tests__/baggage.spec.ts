import { baggageGet, baggageSet, baggageRemove, baggageDropped, baggageFind, baggageWrite, ByteOut, foundValueStart, foundValueEnd } from "../baggage";
import { isTagBytes } from "../tag";

describe("baggageGet", () => {
  it("finds a member among others, with OWS and properties", () => {
    expect(baggageGet("a=1,mesh-tag=gray,b=2", "mesh-tag")).toBe("gray");
    expect(baggageGet("a=1 ,  mesh-tag = gray ;ttl=5, b=2", "mesh-tag")).toBe("gray");
    expect(baggageGet("mesh-tag=gray", "mesh-tag")).toBe("gray");
    expect(baggageGet("x-mesh-tag=gray,mesh-tagx=blue", "mesh-tag")).toBeNull();
    expect(baggageGet("", "mesh-tag")).toBeNull();
    expect(baggageGet("mesh-tag", "mesh-tag")).toBeNull();
  });
  it("percent-decodes the value and keeps '+' literal", () => {
    expect(baggageGet("mesh-tag=gr%61y", "mesh-tag")).toBe("gray");
    expect(baggageGet("k=DF%2028", "k")).toBe("DF 28");
    expect(baggageGet("k=a+b", "k")).toBe("a+b");
  });
  it("returns the first of duplicates and allows '=' in values", () => {
    expect(baggageGet("k=1,k=2", "k")).toBe("1");
    expect(baggageGet("k=a=b", "k")).toBe("a=b");
  });
});

describe("baggageSet", () => {
  it("creates a header", () => {
    expect(baggageSet(null, "mesh-tag", "gray", 8192, 180)).toBe("mesh-tag=gray");
  });
  it("puts our member first, keeps the others whole and in order, replaces ours", () => {
    expect(baggageSet("a=1;p, b = 2", "mesh-tag", "gray", 8192, 180)).toBe("mesh-tag=gray,a=1;p,b = 2");
    expect(baggageSet("a=1, mesh-tag=blue;ttl=3, b=2, mesh-tag=x", "mesh-tag", "gray", 8192, 180)).toBe("mesh-tag=gray,a=1,b=2");
    expect(baggageSet(" , a=1,,", "mesh-tag", "gray", 8192, 180)).toBe("mesh-tag=gray,a=1");
  });
  it("drops whole members to stay within the byte limit, never ours", () => {
    // 256-byte limit: "mesh-tag=gray" (13) + ",a=<100>" (103) + ",b=<200>" would exceed; ",c=1" fits.
    const a = "a=" + "x".repeat(100), b = "b=" + "y".repeat(200);
    const out = baggageSet(a + "," + b + ",c=1", "mesh-tag", "gray", 256, 180);
    expect(out).toBe("mesh-tag=gray," + a + ",c=1");
    expect(baggageDropped).toBe(1);
    expect(out.length).toBeLessThanOrEqual(256);
  });
  it("keeps at most maxMembers members", () => {
    const parts = new Array<string>();
    for (let i = 0; i < 70; i++) parts.push("k" + i.toString() + "=v");
    const out = baggageSet(parts.join(","), "mesh-tag", "gray", 8192, 64);
    expect(out.split(",").length).toBe(64);
    expect(out.startsWith("mesh-tag=gray,k0=v,k1=v")).toBe(true);
    expect(baggageDropped).toBe(7);
  });
  it("counts bytes, not UTF-16 units", () => {
    const out = baggageSet("a=€€", "k", "v", 10, 180); // "k=v" (3) + ",a=€€" (1 + 2 + 6 bytes) = 12 > 10
    expect(out).toBe("k=v");
  });
});

describe("baggageRemove", () => {
  it("removes our members only", () => {
    expect(baggageRemove("a=1, mesh-tag=gray;p, b=2", "mesh-tag")).toBe("a=1,b=2");
    expect(baggageRemove("mesh-tag=gray", "mesh-tag")).toBe("");
    expect(baggageRemove("a=1", "mesh-tag")).toBe("a=1");
  });
});

function count(header: string, key: string): i32 {
  const h = String.UTF8.encode(header), k = String.UTF8.encode(key);
  return baggageFind(changetype<usize>(h), h.byteLength, changetype<usize>(k), k.byteLength);
}

function bytesOf(list: u8[]): Uint8Array {
  const b = new Uint8Array(list.length);
  for (let i = 0; i < list.length; i++) b[i] = list[i];
  return b;
}

describe("baggageFind (bytes, one pass)", () => {
  it("counts every member named the key, across what were several lines", () => {
    expect(count("a=1,mesh-tag=gray", "mesh-tag")).toBe(1);
    expect(count("mesh-tag=gray,a=1,mesh-tag = beta;p", "mesh-tag")).toBe(2);
    expect(count("a,a,a,=,==,mesh-tag", "mesh-tag")).toBe(0);
  });
  it("records the first value's range without OWS or properties", () => {
    const h = String.UTF8.encode("x=1, mesh-tag =  gray ;ttl=1"), k = String.UTF8.encode("mesh-tag");
    expect(baggageFind(changetype<usize>(h), h.byteLength, changetype<usize>(k), k.byteLength)).toBe(1);
    expect(foundValueEnd - foundValueStart).toBe(4);
    expect(String.UTF8.decodeUnsafe(changetype<usize>(h) + <usize>foundValueStart, 4)).toBe("gray");
  });
  it("handles 100,000 empty, key-less and '='-only members (linear: this would take minutes if quadratic)", () => {
    expect(count("a,".repeat(50000) + "=,".repeat(50000) + "mesh-tag=gray", "mesh-tag")).toBe(1);
    const out = baggageSet("a,".repeat(100000), "mesh-tag", "gray", 8192, 180);
    expect(out.split(",").length).toBe(180);
    expect(baggageDropped).toBe(100000 - 179);
  });
});

describe("baggageWrite keeps other members' bytes", () => {
  it("copies invalid UTF-8 byte for byte and drops only our key", () => {
    const h = bytesOf([0x61, 0x3d, 0xff, 0xc3, 0x2c, 0x6b, 0x3d, 0xc1, 0xa7, 0x2c, 0x62, 0x3d, 0x80]); // a=\xff\xc3,k=\xc1\xa7,b=\x80
    const k = String.UTF8.encode("k"), m = String.UTF8.encode("k=v");
    const out = new ByteOut();
    baggageWrite(h.dataStart, h.length, changetype<usize>(k), 1, changetype<usize>(m), 3, 8192, 180, out);
    const want: u8[] = [0x6b, 0x3d, 0x76, 0x2c, 0x61, 0x3d, 0xff, 0xc3, 0x2c, 0x62, 0x3d, 0x80]; // k=v,a=\xff\xc3,b=\x80
    expect(out.len).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(load<u8>(out.ptr + <usize>i)).toBe(want[i]);
  });
});

describe("isTagBytes", () => {
  it("accepts unreserved ASCII only: overlong, stray and truncated UTF-8 never read as a tag", () => {
    const gray = bytesOf([0x67, 0x72, 0x61, 0x79]);
    expect(isTagBytes(gray.dataStart, 4)).toBe(true);
    const overlong = bytesOf([0xc1, 0xa7, 0xc1, 0xb2, 0xc1, 0xa1, 0xc1, 0xb9]);
    expect(isTagBytes(overlong.dataStart, 8)).toBe(false);
    const stray = bytesOf([0x67, 0x72, 0x61, 0x79, 0x80]);
    expect(isTagBytes(stray.dataStart, 5)).toBe(false);
    const truncated = bytesOf([0x67, 0x72, 0x61, 0x79, 0xc3]);
    expect(isTagBytes(truncated.dataStart, 5)).toBe(false);
    expect(isTagBytes(gray.dataStart, 0)).toBe(false);
  });
});
