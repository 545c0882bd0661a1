// Wire-level cases of the rate-limit protocol codec that are awkward to produce with a real protobuf
// encoder (non-canonical and hostile bytes). The round trip against the reference implementation is in
// test/filters/rate-limit-global.test.ts.
import { ProtoWriter, RequestEncoder, RlsResponse, encodeStringField, varintSize } from "../global/rls-codec";

function bytes(list: u8[]): ArrayBuffer {
  const b = new ArrayBuffer(list.length);
  for (let i = 0; i < list.length; i++) store<u8>(changetype<usize>(b) + <usize>i, list[i]);
  return b;
}
function decode(r: RlsResponse, list: u8[]): bool {
  const b = bytes(list);
  return r.decode(changetype<usize>(b), <usize>b.byteLength);
}
function written(w: ProtoWriter): u8[] {
  const out = new Array<u8>();
  for (let i: usize = 0; i < w.len; i++) out.push(load<u8>(w.ptr + i));
  return out;
}

describe("rls codec: writing", () => {
  it("varints at their boundaries", () => {
    expect(varintSize(0)).toBe(1);
    expect(varintSize(127)).toBe(1);
    expect(varintSize(128)).toBe(2);
    expect(varintSize(u64.MAX_VALUE)).toBe(10);
    const w = new ProtoWriter(1); // grows from one byte
    w.varint(300);
    w.varint(u64.MAX_VALUE);
    const b = written(w);
    expect(b.length).toBe(12);
    expect(b[0]).toBe(0xac);
    expect(b[1]).toBe(0x02);
    expect(b[11]).toBe(0x01);
  });

  it("a request: domain, one descriptor with one entry and a hits_addend, the request's hits_addend", () => {
    const e = new RequestEncoder();
    e.begin(encodeStringField(1, "d"));
    e.beginDescriptor();
    const v = String.UTF8.encode("v");
    e.entry(encodeStringField(1, "k"), changetype<usize>(v), 1);
    e.endDescriptor(5);
    e.finish(2);
    const b = written(e.out);
    // 0a 01 'd' | 12 0c [0a 06 (0a 01 'k' 12 01 'v') 1a 02 (08 05)] | 18 02
    const want: u8[] = [0x0a, 1, 0x64, 0x12, 12, 0x0a, 6, 0x0a, 1, 0x6b, 0x12, 1, 0x76, 0x1a, 2, 0x08, 5, 0x18, 2];
    expect(b.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(b[i]).toBe(want[i]);
    expect(e.descriptors).toBe(1);
    // hits_addend 0 is sent as a present, empty UInt64Value; -1 sends none
    e.begin(encodeStringField(1, "d"));
    e.beginDescriptor();
    e.entry(encodeStringField(1, "k"), changetype<usize>(v), 1);
    e.endDescriptor(0);
    e.beginDescriptor();
    e.entry(encodeStringField(1, "k"), changetype<usize>(v), 1);
    e.endDescriptor(-1);
    const c = written(e.out);
    expect(c.length).toBe(3 + 2 + 8 + 2 + 2 + 8);
    expect(c[13]).toBe(0x1a);
    expect(c[14]).toBe(0);
  });
});

describe("rls codec: reading", () => {
  it("non-canonical varints are accepted (as protobuf requires)", () => {
    const r = new RlsResponse();
    expect(decode(r, [0x08, 0x82, 0x80, 0x00])).toBe(true);
    expect(r.overall).toBe(2);
  });

  it("an empty message is OK with nothing set", () => {
    const r = new RlsResponse();
    expect(decode(r, [])).toBe(true);
    expect(r.overall).toBe(0);
    expect(r.statusCount).toBe(0);
  });

  it("refuses field number 0, groups, overlong varints, lengths past the end", () => {
    const r = new RlsResponse();
    expect(decode(r, [0x00, 0x01])).toBe(false);
    expect(decode(r, [0x0b, 0x0c])).toBe(false);
    expect(decode(r, [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).toBe(false);
    expect(decode(r, [0x12, 0x05, 0x08, 0x02])).toBe(false);
    expect(decode(r, [0x12, 0x02, 0x22, 0x09])).toBe(false); // a nested duration longer than its status
    expect(r.problem.length > 0).toBe(true);
  });

  it("skips unknown fields of every wire type", () => {
    const r = new RlsResponse();
    // field 15 fixed64, field 14 fixed32, field 13 varint, field 12 bytes, then overall_code 2
    expect(decode(r, [0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x75, 1, 2, 3, 4, 0x68, 0x96, 0x01, 0x62, 0x01, 0x00, 0x08, 0x02])).toBe(true);
    expect(r.overall).toBe(2);
  });

  it("durations round up to milliseconds; negative ones count as none", () => {
    const r = new RlsResponse();
    // statuses { code 2, duration_until_reset { seconds 1, nanos 1 } }
    expect(decode(r, [0x12, 0x08, 0x08, 0x02, 0x22, 0x04, 0x08, 0x01, 0x10, 0x01])).toBe(true);
    expect(r.statuses[0].resetMs).toBe(1001);
    // seconds -1 (ten-byte two's complement varint)
    expect(decode(r, [0x12, 0x0f, 0x22, 0x0d, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10, 0x00])).toBe(true);
    expect(r.statuses[0].resetMs).toBe(0);
  });

  it("the object is reused: a second answer leaves nothing of the first", () => {
    const r = new RlsResponse();
    // overall 2, a status with code 2, a response header "a: b", raw_body "x"
    expect(decode(r, [0x08, 0x02, 0x12, 0x02, 0x08, 0x02, 0x1a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x2a, 0x01, 0x78])).toBe(true);
    expect(r.statusCount).toBe(1);
    expect(r.responseHeaders.length).toBe(1);
    expect(r.rawBody !== null).toBe(true);
    expect(decode(r, [0x08, 0x01])).toBe(true);
    expect(r.overall).toBe(1);
    expect(r.statusCount).toBe(0);
    expect(r.responseHeaders.length).toBe(0);
    expect(r.rawBody === null).toBe(true);
  });
});
