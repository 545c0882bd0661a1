// A small YAML writer for Envoy bootstraps: block maps and lists, strings plain when unambiguous,
// else double-quoted (JSON string syntax is valid YAML), so no value is misread as a number, bool or anchor.
type Value = string | number | boolean | null | undefined | Value[] | { [k: string]: Value };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;
const key = (k: string) => (PLAIN_KEY.test(k) ? k : JSON.stringify(k));

// Plain (unquoted) only when YAML cannot read it as anything but this string.
const PLAIN_VALUE = /^[A-Za-z_/][A-Za-z0-9_.\/-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n)$/i;

function scalar(v: Value): string {
  if (typeof v === "string") return PLAIN_VALUE.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  return String(v);
}

const isBlock = (v: Value) => typeof v === "object" && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);

function emit(v: Value, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isBlock(item) && !Array.isArray(item)) {
        // First key on the dash line, the rest aligned under it.
        const lines: string[] = [];
        emit(item, indent + "  ", lines);
        out.push(indent + "- " + lines[0].slice(indent.length + 2), ...lines.slice(1));
      } else if (isBlock(item)) {
        out.push(indent + "-");
        emit(item, indent + "  ", out);
      } else {
        out.push(indent + "- " + inline(item));
      }
    }
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, Value>)) {
    if (val === undefined) continue;
    if (isBlock(val)) {
      out.push(`${indent}${key(k)}:`);
      emit(val, Array.isArray(val) ? indent : indent + "  ", out);
    } else {
      out.push(`${indent}${key(k)}: ${inline(val)}`);
    }
  }
}

function inline(v: Value): string {
  if (Array.isArray(v)) return "[]";
  if (typeof v === "object" && v !== null) return "{}";
  return scalar(v);
}

/** YAML text for a JSON-like value (a map or list at the top). */
export function toYaml(v: Value): string {
  const out: string[] = [];
  emit(v, "", out);
  return out.join("\n") + "\n";
}

export type YamlValue = Value;
