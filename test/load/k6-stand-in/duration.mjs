// k6 durations: a number of milliseconds, or a Go-style string ("500ms", "30s", "1m30s", "1h").
export function parseDuration(v, field) {
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === "string") {
    const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(v);
    if (m && v !== "" && m.slice(1).some((x) => x !== undefined)) {
      const [h, mi, s, ms] = m.slice(1).map((x) => Number(x ?? 0));
      return ((h * 60 + mi) * 60 + s) * 1000 + ms;
    }
  }
  throw new Error(`${field}: ${JSON.stringify(v)} is not a k6 duration (e.g. "500ms", "30s", "1m30s")`);
}
