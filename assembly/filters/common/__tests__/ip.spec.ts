import { parseIp, ipHi, ipLo, isV4, CidrSet } from "../ip";

describe("parseIp", () => {
  it("parses IPv4 into the v4-mapped space", () => {
    expect(parseIp("10.1.2.3")).toBe(true);
    expect(ipHi).toBe(0);
    expect(ipLo).toBe(0xffff0a010203);
    expect(isV4()).toBe(true);
  });
  it("rejects malformed IPv4", () => {
    expect(parseIp("10.1.2")).toBe(false);
    expect(parseIp("10.1.2.256")).toBe(false);
    expect(parseIp("10.1.2.3.4")).toBe(false);
    expect(parseIp("10.01.2.3")).toBe(false);
    expect(parseIp("a.b.c.d")).toBe(false);
    expect(parseIp("")).toBe(false);
    expect(parseIp("10.1.2.3 ")).toBe(false);
  });
  it("parses IPv6 with and without compression", () => {
    expect(parseIp("2001:db8::1")).toBe(true);
    expect(ipHi).toBe(0x20010db800000000);
    expect(ipLo).toBe(1);
    expect(parseIp("::1")).toBe(true);
    expect(ipHi).toBe(0);
    expect(ipLo).toBe(1);
    expect(parseIp("::")).toBe(true);
    expect(ipLo).toBe(0);
    expect(parseIp("fe80::")).toBe(true);
    expect(ipHi).toBe(0xfe80000000000000);
    expect(parseIp("1:2:3:4:5:6:7:8")).toBe(true);
    expect(ipHi).toBe(0x0001000200030004);
    expect(ipLo).toBe(0x0005000600070008);
    expect(parseIp("::ffff:10.1.2.3")).toBe(true);
    expect(isV4()).toBe(true);
    expect(ipLo).toBe(0xffff0a010203);
  });
  it("rejects malformed IPv6", () => {
    expect(parseIp("1::2::3")).toBe(false);
    expect(parseIp(":1")).toBe(false);
    expect(parseIp("1:")).toBe(false);
    expect(parseIp(":::")).toBe(false);
    expect(parseIp("1:2:3:4:5:6:7:8:9")).toBe(false);
    expect(parseIp("1:2:3:4:5:6:7")).toBe(false);
    expect(parseIp("12345::")).toBe(false);
    expect(parseIp("g::1")).toBe(false);
    expect(parseIp("1:2:3:4:5:6:7::8")).toBe(false);
  });
});

describe("CidrSet", () => {
  it("matches IPv4 ranges, including v4-mapped peers", () => {
    const s = new CidrSet(2);
    expect(s.add("10.0.0.0/8")).toBe("");
    expect(s.add("192.168.1.7")).toBe("");
    expect(s.contains("10.255.0.1")).toBe(true);
    expect(s.contains("11.0.0.1")).toBe(false);
    expect(s.contains("192.168.1.7")).toBe(true);
    expect(s.contains("192.168.1.8")).toBe(false);
    expect(s.contains("::ffff:10.9.9.9")).toBe(true);
    expect(s.contains("not-an-ip")).toBe(false);
  });
  it("matches IPv6 ranges across the 64-bit boundary", () => {
    const s = new CidrSet(3);
    expect(s.add("2001:db8::/32")).toBe("");
    expect(s.add("::1/128")).toBe("");
    expect(s.add("fd00:0:0:0:8000::/65")).toBe("");
    expect(s.contains("2001:db8:ffff::5")).toBe(true);
    expect(s.contains("2001:db9::5")).toBe(false);
    expect(s.contains("::1")).toBe(true);
    expect(s.contains("::2")).toBe(false);
    expect(s.contains("fd00::8000:0:0:1")).toBe(true);
    expect(s.contains("fd00::7fff:0:0:1")).toBe(false);
    expect(s.contains("10.0.0.1")).toBe(false);
  });
  it("treats /0 as everything of that family and masks host bits", () => {
    const s = new CidrSet(1);
    expect(s.add("10.1.2.3/0")).toBe("");
    expect(s.contains("200.1.1.1")).toBe(true);
    expect(s.contains("2001:db8::1")).toBe(false);
  });
  it("explains bad ranges", () => {
    const s = new CidrSet(1);
    expect(s.add("10.0.0.0/33")).toBe("\"10.0.0.0/33\": prefix length must be 0–32");
    expect(s.add("::/129")).toBe("\"::/129\": prefix length must be 0–128");
    expect(s.add("10.0.0/8")).toBe("\"10.0.0/8\" is not an IP address or CIDR range");
    expect(s.add("10.0.0.0/")).toBe("\"10.0.0.0/\": prefix length must be 0–32");
    expect(s.add("10.0.0.0/x")).toBe("\"10.0.0.0/x\": prefix length must be 0–32");
  });
});
