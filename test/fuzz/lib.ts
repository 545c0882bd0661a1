// Shared pieces of the property-based tests: how many runs and which seed (bounded inside `npm test`,
// longer with `npm run fuzz`), progress lines, adversarial header shapes, configuration mutations, and
// the invariants every filter keeps (no trap is asserted by the test host itself: a trap throws).
import fc from "fast-check";
import assert from "node:assert/strict";
import type { HeaderMap, HeaderValue } from "../../src/host/index.js";

/** The compiled module of `filter` (FUZZ_BUILD: another build folder, e.g. to fuzz an older build). */
export function wasm(filter: string): string { return `${process.env.FUZZ_BUILD ?? "build"}/${filter}.wasm`; }

/** Runs per property: FUZZ_RUNS (npm run fuzz), else a small bounded number for `npm test`. */
export function runs(quick: number): number {
  const n = Number(process.env.FUZZ_RUNS ?? "");
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : quick;
}

/** The seed: FUZZ_SEED to replay a run, else a fixed one inside `npm test` (reproducible CI). */
export const SEED = process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== "" ? Number(process.env.FUZZ_SEED) : 20261202;

const totals = new Map<string, number>();
/** Counts one run of `name`; with FUZZ_PROGRESS, prints a line every 10 % of `of`. */
export function progress(name: string, of: number): void {
  const n = (totals.get(name) ?? 0) + 1;
  totals.set(name, n);
  if (process.env.FUZZ_PROGRESS && (n % Math.max(1, Math.floor(of / 10)) === 0 || n === of)) {
    process.stderr.write(`fuzz ${name}: ${n}/${of} runs (seed ${SEED})\n`);
  }
}
/** Runs counted per property name so far (for the summary `npm run fuzz` prints). */
export function runCounts(): Map<string, number> { return totals; }

/** Milliseconds one call of `fn` takes, fastest of `reps` (noise only slows): for cost ratios within a run. */
export function fastestMs(fn: () => void, reps = 5): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

/** fc.assert with the seed and run count; a failure message carries the seed and path to replay. */
export function check<T>(name: string, quick: number, prop: fc.IProperty<T> | fc.IAsyncProperty<T>): void | Promise<void> {
  return fc.assert(prop as fc.IAsyncProperty<T>, { seed: SEED, numRuns: runs(quick), endOnFailure: true });
}

// ---------------------------------------------------------------- header shapes

/** Characters Envoy's codecs deliver in a field value: printable ASCII, HTAB, and non-ASCII. */
const valueChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant("\t") },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0x2fff }).map((c) => String.fromCharCode(c)) },
);
export const headerValue = fc.string({ unit: valueChar, maxLength: 40 });

/** Values built to hurt parsers: long runs of separators, empty members, huge lengths. */
export const adversarialValue: fc.Arbitrary<string> = fc.oneof(
  headerValue,
  fc.tuple(fc.constantFrom("a,", "a;", "a&", "=", ",", ";", "&", "a=", "%", "%2", "k=v,", " ,", "\t;"), fc.integer({ min: 1, max: 20_000 }))
    .map(([unit, n]) => unit.repeat(n)),
  fc.tuple(headerValue, fc.integer({ min: 1, max: 2_000 })).map(([v, n]) => v.repeat(n).slice(0, 60_000)),
);

/**
 * Values as bytes that are not UTF-8: stray continuation bytes, overlong encodings (0xC1 0xA7 is an
 * overlong "g"), UTF-16 surrogates, truncated sequences, bytes that never occur — mixed with ASCII. No
 * CR, LF or NUL (Envoy's codecs never deliver those in a value).
 */
const BAD_UTF8 = [[0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xa7], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xf0, 0x9f, 0x98]];
const utf8Part = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]), fc.constantFrom(...BAD_UTF8));
export const invalidUtf8: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.array(utf8Part, { maxLength: 12 }), fc.constantFrom(...BAD_UTF8), fc.array(utf8Part, { maxLength: 12 }),
).map(([a, bad, b]) => Uint8Array.from([...a.flat(), ...bad, ...b.flat()])); // at least one invalid sequence

/** Any value a header may carry: adversarial text or invalid UTF-8 bytes. */
export const anyValue: fc.Arbitrary<HeaderValue> = fc.oneof({ weight: 4, arbitrary: adversarialValue }, { weight: 1, arbitrary: invalidUtf8 });

/** Header names: a few the filters read, plus random tokens. */
export const headerName = (known: string[]) => fc.oneof(
  fc.constantFrom(...known),
  fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
);

/** A header list with repeated names (Envoy delivers each line of a repeated header as a pair). */
export function headerPairs(known: string[], value: fc.Arbitrary<HeaderValue> = anyValue): fc.Arbitrary<[string, HeaderValue][]> {
  return fc.array(fc.tuple(headerName(known), value), { maxLength: 8 });
}

// ---------------------------------------------------------------- configurations

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One mutation of a valid configuration: a value replaced, a key renamed or dropped, a field added. */
export function mutate(base: Json): fc.Arbitrary<Json> {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === "object") for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  };
  walk(base, []);
  const replacement: fc.Arbitrary<Json> = fc.oneof(
    fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.constant(-0), fc.constant(1e308),
    fc.string({ maxLength: 20 }), fc.constant(""), fc.constantFrom("\r\nx-injected: yes", "a\u0000b", "\u00e9", "\ud800"),
    fc.integer({ min: 1, max: 100_000 }).map((n) => "x".repeat(n)),
    fc.constant<Json>([]), fc.constant<Json>({}), fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  ) as fc.Arbitrary<Json>;
  const op = fc.constantFrom("replace", "rename", "drop", "add");
  return fc.tuple(fc.constantFrom(...paths), op, replacement, fc.string({ minLength: 1, maxLength: 12 })).map(([path, what, value, key]) => {
    const copy = structuredClone(base);
    if (path.length === 0) return what === "replace" ? value : copy;
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
    const last = path[path.length - 1];
    if (what === "replace") parent[last] = value;
    else if (what === "drop") { if (Array.isArray(parent)) parent.splice(last as number, 1); else delete parent[last]; }
    else if (what === "rename" && !Array.isArray(parent)) { const v = parent[last]; delete parent[last]; parent[typo(String(last), key)] = v; }
    else if (what === "add" && !Array.isArray(parent)) parent[key] = value;
    return copy;
  });
}

function typo(name: string, seed: string): string {
  if (name.length < 2) return name + seed[0];
  const i = seed.charCodeAt(0) % (name.length - 1);
  return name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2); // two neighbours swapped
}

/** Bytes of a configuration text with a few bytes replaced by invalid UTF-8 sequences. */
export function corruptBytes(text: string): fc.Arbitrary<Uint8Array> {
  const bytes = Buffer.from(text, "utf8");
  return fc.array(fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.constantFrom(0x80, 0xc0, 0xc1, 0xf5, 0xff, 0xed, 0xe0)), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const out = Uint8Array.from(bytes);
      for (const [at, b] of edits) out[at] = b;
      return out;
    });
}

// ---------------------------------------------------------------- invariants

// A path segment is plain text without spaces, or a quoted excerpt ("…" (N characters)) for odd keys.
const SEGMENT = String.raw`(?:[^\s"]|"(?:[^"\\]|\\.)*"(?: \(\d+ characters\))?)+`;
const FIELD_PATH_REFUSAL = new RegExp(String.raw`^(?:configuration (?:is not valid JSON|must be a JSON object)|${SEGMENT}: )`);

/** How a filter refuses a configuration: `<filter>: <field path>: <reason>` (or a JSON/top-level reason), one short line. */
export function assertRefusal(filter: string, errors: string[]): void {
  assert.ok(errors.length >= 1, "refused without an error line");
  const msg = errors[0];
  assert.ok(msg.startsWith(`${filter}: `), msg.slice(0, 300));
  const body = msg.slice(filter.length + 2);
  assert.match(body, FIELD_PATH_REFUSAL, body.slice(0, 300));
  assert.ok(!/[\r\n\0]/.test(msg), "a refusal has no raw CR, LF or NUL");
  assert.ok(msg.length < 64 * 1024, `a refusal of ${msg.length} characters`);
}

/** Every header the client or the upstream receives is free of CR, LF and NUL. */
export function assertCleanHeaders(...maps: (HeaderMap | Record<string, string> | undefined | null)[]): void {
  for (const m of maps) {
    if (!m) continue;
    const pairs: [string, string][] = "pairs" in m && typeof m.pairs === "function" ? (m as HeaderMap).pairs() : Object.entries(m as Record<string, string>);
    for (const [k, v] of pairs) assert.ok(!/[\r\n\0]/.test(k) && !/[\r\n\0]/.test(v), `header ${JSON.stringify(k)}: ${JSON.stringify(v).slice(0, 200)}`);
  }
}
