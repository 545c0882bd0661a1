import { baggageGet, baggageSet, baggageRemove, baggageDropped } from "../baggage";

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
