// Id generation and UUID formatting.
import { newSpanId, newTraceId, writeUuid, writeUuidV4 } from "../ids";
import { TraceContext } from "../trace";
import { nibble, parseHex64, hexOk, writeHex64, isHex } from "../hex";

function uuidV4(): string {
  const buf = new ArrayBuffer(36);
  writeUuidV4(changetype<usize>(buf));
  return String.UTF8.decode(buf);
}

describe("hex", () => {
  it("accepts only lowercase hex digits", () => {
    expect(nibble(0x30)).toBe(0);
    expect(nibble(0x66)).toBe(15);
    expect(nibble(0x41)).toBe(16); // 'A'
    expect(nibble(0x67)).toBe(16); // 'g'
    expect(nibble(0x2f)).toBe(16);
  });
  it("decodes and encodes 64-bit values", () => {
    const b = String.UTF8.encode("ffffffffffffffff");
    expect(parseHex64(changetype<usize>(b), 16)).toBe(0xffffffffffffffff);
    expect(hexOk).toBe(true);
    const bad = String.UTF8.encode("fffffffffffffffF");
    parseHex64(changetype<usize>(bad), 16);
    expect(hexOk).toBe(false);
    const out = new ArrayBuffer(16);
    writeHex64(changetype<usize>(out), 0x00f067aa0ba902b7, 16);
    expect(String.UTF8.decode(out)).toBe("00f067aa0ba902b7");
    expect(isHex(changetype<usize>(out), 16)).toBe(true);
  });
});

describe("ids", () => {
  it("never gives a zero span id or an all-zero trace id", () => {
    const t = new TraceContext();
    let zeros = 0;
    for (let i = 0; i < 10000; i++) {
      if (newSpanId() == 0) zeros++;
      newTraceId(t);
      if ((t.hi | t.lo) == 0) zeros++;
    }
    expect(zeros).toBe(0);
  });
  it("gives distinct ids", () => {
    const seen = new Set<u64>();
    for (let i = 0; i < 10000; i++) seen.add(newSpanId());
    expect(seen.size).toBe(10000);
  });
  it("formats 128 bits as a UUID", () => {
    const buf = new ArrayBuffer(36);
    expect(writeUuid(changetype<usize>(buf), 0x0af7651916cd43dd, 0x8448eb211c80319c)).toBe(36);
    expect(String.UTF8.decode(buf)).toBe("0af76519-16cd-43dd-8448-eb211c80319c");
  });
  it("makes version-4, variant-10 UUIDs", () => {
    for (let i = 0; i < 100; i++) {
      const u = uuidV4();
      expect(u.length).toBe(36);
      expect(u.charAt(8) + u.charAt(13) + u.charAt(18) + u.charAt(23)).toBe("----");
      expect(u.charAt(14)).toBe("4");
      expect("89ab".includes(u.charAt(19))).toBe(true);
    }
    expect(uuidV4()).not.toBe(uuidV4());
  });
});
