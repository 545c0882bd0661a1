// Module resolution for scripts run under the stand-in: `k6`, `k6/http` and `k6/execution` resolve to
// the stand-in modules; any other k6 module is refused; a `?k6run=N` query on the script is carried
// to its relative imports, so every run evaluates the script's module graph afresh (as k6's init
// context does).
const here = new URL("./", import.meta.url);
const modules = { "k6": "k6.mjs", "k6/http": "http.mjs", "k6/execution": "execution.mjs" };

export async function resolve(specifier, context, next) {
  if (specifier === "k6" || specifier.startsWith("k6/")) {
    const file = modules[specifier];
    if (!file) throw new Error(`${specifier} is not implemented by the k6 stand-in (test/load/k6-stand-in): implement it or do not use it`);
    return { url: new URL(file, here).href, shortCircuit: true };
  }
  const parent = context.parentURL ? new URL(context.parentURL) : null;
  const run = parent?.searchParams.get("k6run");
  if (run && (specifier.startsWith("./") || specifier.startsWith("../"))) {
    const url = new URL(specifier, parent);
    url.search = `?k6run=${run}`;
    return next(url.href, context);
  }
  return next(specifier, context);
}
