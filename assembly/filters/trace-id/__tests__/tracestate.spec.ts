// tracestate validation (W3C Trace Context Level 1 §3.3): the key and value grammar, member count,
// duplicates, empty members, several lines, the three policies and truncation by whole entries.
import { TracestateLines, TracestateResult, Tracestate, TracestatePolicy, checkTracestate, MAX_LIST_BYTES } from "../tracestate";
import { keepableRequestId } from "../requestid";
import { parseSettings, settingsError, Settings } from "../settings";

const out = heap.alloc(MAX_LIST_BYTES);
const lines = new TracestateLines();
const res = new TracestateResult();
// Keeps the encoded lines alive while a check reads them.
let keep: ArrayBuffer[] = [];

function check(values: string[], policy: TracestatePolicy = TracestatePolicy.DropHeader, maxBytes: usize = 0): Tracestate {
  lines.reset();
  keep = [];
  for (let i = 0; i < values.length; i++) {
    const b = String.UTF8.encode(values[i]);
    keep.push(b);
    lines.add(changetype<usize>(b), <usize>b.byteLength);
  }
  return checkTracestate(lines, policy, maxBytes, out, res);
}
function written(): string { return String.UTF8.decodeUnsafe(out, res.outLen); }
function rep(s: string, n: i32): string { return s.repeat(n); }
function members(n: i32, from: i32 = 0): string {
  const parts = new Array<string>();
  for (let i = 0; i < n; i++) parts.push("k" + (from + i).toString() + "=v");
  return parts.join(",");
}

describe("tracestate keys", () => {
  it("accepts simple keys of 1 to 256 characters starting with a letter", () => {
    expect(check(["a=1"])).toBe(Tracestate.Keep);
    expect(check(["abcdefghijklmnopqrstuvwxyz0123456789_-*/=1"])).toBe(Tracestate.Keep);
    expect(check([rep("z", 256) + "=1"])).toBe(Tracestate.Keep);
    expect(check([rep("z", 257) + "=1"])).toBe(Tracestate.Remove);
    expect(res.invalid).toBe(true);
  });
  it("refuses a simple key starting with a digit or a symbol, upper case, dots and spaces", () => {
    const bad = ["1a=1", "_a=1", "*a=1", "Foo=1", "foo.bar=1", "foo =1", "=1", "foo"];
    for (let i = 0; i < bad.length; i++) {
      expect(check([bad[i]])).toBe(Tracestate.Remove, bad[i]);
      expect(res.invalid).toBe(true, bad[i]);
    }
  });
  it("accepts tenant@system: tenant 1–241 (may start with a digit), system 1–14 starting with a letter", () => {
    expect(check(["1tenant@sys=1"])).toBe(Tracestate.Keep);
    expect(check([rep("t", 241) + "@" + rep("v", 14) + "=1"])).toBe(Tracestate.Keep);
    expect(check([rep("t", 242) + "@v=1"])).toBe(Tracestate.Remove);
    expect(check(["t@" + rep("v", 15) + "=1"])).toBe(Tracestate.Remove);
    expect(check(["t@1v=1"])).toBe(Tracestate.Remove);
  });
  it("refuses malformed multi-tenant keys", () => {
    const bad = ["foo@=1", "@foo=1", "foo@@bar=1", "foo@bar@baz=1", "_t@v=1"];
    for (let i = 0; i < bad.length; i++) expect(check([bad[i]])).toBe(Tracestate.Remove, bad[i]);
  });
});

describe("tracestate values", () => {
  it("accepts 1 to 256 printable ASCII characters except ',' and '=', leading spaces included", () => {
    expect(check(["k=" + rep("v", 256)])).toBe(Tracestate.Keep);
    expect(check(["k=  x"])).toBe(Tracestate.Keep);
    expect(check(["k= !\"#$%&'()*+-./09:;<>?@AZ[\\]^_`az{|}~"])).toBe(Tracestate.Keep);
  });
  it("refuses empty, too long, '=', tabs, control and non-ASCII bytes", () => {
    const bad = ["k=", "k=" + rep("v", 257), "k=a=b", "k=a\tb", "k=a\x01", "k=a\x7f", "k=é"];
    for (let i = 0; i < bad.length; i++) expect(check([bad[i]])).toBe(Tracestate.Remove, bad[i]);
  });
  it("treats trailing spaces and tabs as optional whitespace, not value", () => {
    expect(check(["k=v \t"], TracestatePolicy.DropHeader, 0)).toBe(Tracestate.Keep);
    expect(check(["k=v \t", "x=1"])).toBe(Tracestate.Rewrite);
    expect(written()).toBe("k=v,x=1");
  });
});

describe("tracestate lists", () => {
  it("keeps 32 members and refuses a 33rd", () => {
    expect(check([members(32)])).toBe(Tracestate.Keep);
    expect(res.memberCount).toBe(32);
    expect(check([members(33)])).toBe(Tracestate.Remove);
    expect(check([members(16), members(17, 16)])).toBe(Tracestate.Remove);
  });
  it("refuses duplicate keys, on one line or across lines; prefixes are different keys", () => {
    expect(check(["a=1,a=2"])).toBe(Tracestate.Remove);
    expect(check(["a=1", "a=1"])).toBe(Tracestate.Remove);
    expect(check(["t@v=1,t@v=2"])).toBe(Tracestate.Remove);
    expect(check(["ab=1,a=2,abc=3,a@b=4,ab@b=5"])).toBe(Tracestate.Keep);
  });
  it("allows empty and whitespace-only members; a header with nothing else is removed", () => {
    expect(check(["a=1,,b=2"])).toBe(Tracestate.Keep);
    expect(check([""])).toBe(Tracestate.Remove);
    expect(res.invalid).toBe(false);
    expect(check([" , \t ,"])).toBe(Tracestate.Remove);
    expect(res.invalid).toBe(false);
  });
  it("empty members do not count toward the 32", () => {
    expect(check([members(32) + rep(",", 100)])).toBe(Tracestate.Keep);
  });
  it("combines several lines in order into one", () => {
    expect(check(["foo=1,bar=2", "rojo=1,congo=2", "baz=3"])).toBe(Tracestate.Rewrite);
    expect(written()).toBe("foo=1,bar=2,rojo=1,congo=2,baz=3");
    expect(check(["", " a=1 ", ""])).toBe(Tracestate.Rewrite);
    expect(written()).toBe("a=1");
  });
  it("refuses an input over 32 KiB before reading it", () => {
    expect(check(["a=1," + rep(" ", 32 * 1024)])).toBe(Tracestate.Remove);
    expect(res.invalid).toBe(true);
    expect(res.memberCount).toBe(0);
  });
});

describe("tracestate policies", () => {
  it("dropMembers keeps the valid members in order, the first of a duplicated key and the first 32", () => {
    expect(check(["a=1,B=2,c=3", "d=x=y,e=5"], TracestatePolicy.DropMembers)).toBe(Tracestate.Rewrite);
    expect(written()).toBe("a=1,c=3,e=5");
    expect(res.invalid).toBe(true);
    expect(check(["a=1,b=2,a=3"], TracestatePolicy.DropMembers)).toBe(Tracestate.Rewrite);
    expect(written()).toBe("a=1,b=2");
    expect(check([members(40)], TracestatePolicy.DropMembers)).toBe(Tracestate.Rewrite);
    expect(written()).toBe(members(32));
    expect(check(["A=1"], TracestatePolicy.DropMembers)).toBe(Tracestate.Remove);
  });
  it("off keeps anything as received", () => {
    expect(check(["A=1,A=1", "junk"], TracestatePolicy.Off)).toBe(Tracestate.Keep);
    expect(res.invalid).toBe(false);
  });
});

describe("tracestate truncation (§3.3.1.5)", () => {
  it("removes entries over 128 characters first, right-most first, only as many as needed", () => {
    const long1 = "l1=" + rep("x", 200), long2 = "l2=" + rep("y", 200);
    expect(check([long1 + "," + long2 + "," + members(20)], TracestatePolicy.DropHeader, 512)).toBe(Tracestate.Rewrite);
    expect(written()).toBe(long1 + "," + members(20));
  });
  it("then removes entries from the end", () => {
    expect(check([members(32)], TracestatePolicy.DropHeader, 512)).toBe(Tracestate.Keep); // 32 × 5–6 bytes fit
    const m = new Array<string>();
    for (let i = 0; i < 32; i++) m.push("k" + i.toString() + "=" + rep("v", 40));
    expect(check([m.join(",")], TracestatePolicy.DropHeader, 512)).toBe(Tracestate.Rewrite);
    expect(res.outLen <= 512).toBe(true);
    expect(written()).toBe(m.slice(0, res.memberCount).join(","));
  });
  it("a header that fits once its optional whitespace is dropped is rewritten without it", () => {
    expect(check(["a=1" + rep(" ", 600) + ",b=2"], TracestatePolicy.DropHeader, 512)).toBe(Tracestate.Rewrite);
    expect(written()).toBe("a=1,b=2");
  });
});

function ok(bytes: u8[]): bool {
  const b = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) b[i] = bytes[i];
  return keepableRequestId(b.dataStart, <usize>b.length);
}

describe("request ids", () => {
  it("keeps visible ASCII, SP, HTAB and bytes 0x80–0xFF (invalid UTF-8 included)", () => {
    expect(ok([0x61, 0x62, 0xff, 0x63, 0x64, 0xc3])).toBe(true);
    expect(ok([0x61, 0x20, 0x09, 0x7e])).toBe(true);
  });
  it("refuses control characters, DEL, empty and over 256 bytes", () => {
    expect(ok([0x61, 0x00])).toBe(false);
    expect(ok([0x0a])).toBe(false);
    expect(ok([0x0d])).toBe(false);
    expect(ok([0x7f])).toBe(false);
    expect(ok([])).toBe(false);
    const long = new Array<u8>(257).fill(0x61);
    expect(ok(long)).toBe(false);
    expect(ok(long.slice(0, 256))).toBe(true);
  });
});

describe("tracestate settings", () => {
  it("defaults to dropping an invalid header whole, without truncation", () => {
    const s = <Settings>parseSettings("");
    expect(s.tracestatePolicy).toBe(TracestatePolicy.DropHeader);
    expect(s.tracestateMaxBytes).toBe(0);
  });
  it("reads the policy and the truncation size", () => {
    const s = <Settings>parseSettings('{"tracestateValidation": "dropMembers", "tracestateMaxBytes": 512}');
    expect(s.tracestatePolicy).toBe(TracestatePolicy.DropMembers);
    expect(s.tracestateMaxBytes).toBe(512);
    expect((<Settings>parseSettings('{"tracestateValidation": "off", "tracestateMaxBytes": 16447}')).tracestatePolicy).toBe(TracestatePolicy.Off);
  });
  it("refuses an unknown policy and a size under 512, over the longest list or fractional", () => {
    const bad = ['{"tracestateValidation": "strict"}', '{"tracestateMaxBytes": 511}', '{"tracestateMaxBytes": 16448}',
      '{"tracestateMaxBytes": 600.5}', '{"tracestateMaxBytes": "512"}', '{"tracestateMaxBytes": -1}'];
    for (let i = 0; i < bad.length; i++) {
      expect(parseSettings(bad[i])).toBeNull(bad[i]);
      expect(settingsError.startsWith("tracestate")).toBe(true, settingsError);
    }
  });
});
