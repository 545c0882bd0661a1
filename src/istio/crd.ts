// The CRDs' OpenAPI schemas (crds/, copied from Istio's release manifests) as JSON Schema for ajv
// (MIT), with Kubernetes' semantics: unknown fields are errors (kubectl's strict field validation)
// except under x-kubernetes-preserve-unknown-fields, int32 is a range, and each node's
// x-kubernetes-validations (CEL) are collected with their schema paths for cel.ts.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const CRD_DIR = fileURLToPath(new URL("./crds/", import.meta.url));
export const KINDS = { WasmPlugin: "wasmplugin.crd.yaml", TrafficExtension: "trafficextension.crd.yaml" } as const;
export type Kind = keyof typeof KINDS;

type Schema = Record<string, any>;

export interface CrdSchema {
  kind: Kind;
  apiVersion: string;
  validate: ValidateFunction;
  /** The structural schema (for walking CEL rules). */
  schema: Schema;
}

/** Adds what Kubernetes implies: unknown fields refused where fields are declared and not preserved. */
function strictify(s: Schema): Schema {
  if (!s || typeof s !== "object") return s;
  const out: Schema = { ...s };
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, strictify(v as Schema)]));
    if (!out["x-kubernetes-preserve-unknown-fields"] && out.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (out.items) out.items = strictify(out.items);
  if (out.additionalProperties && typeof out.additionalProperties === "object") out.additionalProperties = strictify(out.additionalProperties);
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });

const cache = new Map<Kind, CrdSchema>();

export function crdSchema(kind: Kind): CrdSchema {
  let c = cache.get(kind);
  if (c) return c;
  const crd = parse(readFileSync(join(CRD_DIR, KINDS[kind]), "utf8"));
  const version = crd.spec.versions.find((v: any) => v.storage) ?? crd.spec.versions[0];
  const schema = strictify(version.schema.openAPIV3Schema);
  // The object around spec, as the API server sees it.
  schema.properties = {
    apiVersion: { type: "string", enum: [`${crd.spec.group}/${version.name}`] },
    kind: { type: "string", enum: [kind] },
    metadata: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", maxLength: 253 },
        namespace: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 },
      },
    },
    ...schema.properties,
  };
  schema.required = ["apiVersion", "kind", "metadata", ...(schema.required ?? [])];
  c = { kind, apiVersion: `${crd.spec.group}/${version.name}`, validate: ajv.compile(schema), schema };
  cache.set(kind, c);
  return c;
}

/** "/spec/match/0/mode" → "spec.match[0].mode" */
export function fieldPath(pointer: string): string {
  return pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

/** One ajv error as "field.path: reason", worded for people. */
export function describeSchemaError(e: ErrorObject): { path: string; reason: string } {
  const base = fieldPath(e.instancePath);
  const at = (child: string) => (base ? `${base}.${child}` : child);
  switch (e.keyword) {
    case "additionalProperties":
      return { path: at(e.params.additionalProperty), reason: "unknown field" };
    case "required":
      return { path: at(e.params.missingProperty), reason: "required" };
    case "enum":
      return { path: base, reason: `must be one of ${e.params.allowedValues.join(", ")}` };
    case "pattern":
      return { path: base, reason: `must match ${e.params.pattern}` };
    default:
      return { path: base || "(document)", reason: e.message ?? e.keyword };
  }
}

export interface RuleSite { path: string; rule: string; message: string; value: unknown }

/** Every CEL rule that applies to the document: walks schema and value together. */
export function ruleSites(schema: Schema, value: unknown, path = ""): RuleSite[] {
  if (value === undefined || value === null) return [];
  const out: RuleSite[] = [];
  for (const v of schema["x-kubernetes-validations"] ?? []) out.push({ path: path || "(document)", rule: v.rule, message: v.message ?? `failed rule: ${v.rule}`, value });
  if (Array.isArray(value) && schema.items) value.forEach((x, i) => out.push(...ruleSites(schema.items, x, `${path}[${i}]`)));
  else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
      const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (child) out.push(...ruleSites(child, x, path ? `${path}.${k}` : k));
    }
  }
  return out;
}
