#!/usr/bin/env node
// Generates docs/api.md — the typed API reference — from the sources, with the TypeScript compiler
// API: every export of the package's entry points, with its signature AS WRITTEN (AssemblyScript's
// u32/usize/i64 and `T | null` stay as they are; TypeDoc resolves u32 to `number`) and its doc comment.
//   node --import tsx scripts/api-docs.ts           writes docs/api.md
//   node --import tsx scripts/api-docs.ts --check   exits 1 when docs/api.md is out of date
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(root, "docs", "api.md");

export interface Entry {
  /** The import path users write. */
  spec: string;
  file: string;
  intro: string;
}

export const ENTRIES: Entry[] = [
  { spec: "proxy-wasm-as/assembly", file: "assembly/index.ts", intro: "The SDK filters import (AssemblyScript). Every filter's entry file also has `export * from \"proxy-wasm-as/assembly/proxy\";` (the ABI exports Envoy calls)." },
  { spec: "proxy-wasm-as/assembly/testing", file: "assembly/testing/index.ts", intro: "Drive a filter from an as-pect spec on the test host (AssemblyScript). Needs `as-pect.config.js`: `export { default } from \"proxy-wasm-as/aspect\";` — see [testing.md](testing.md)." },
  { spec: "proxy-wasm-as/host", file: "src/host/index.ts", intro: "The Node test host (TypeScript): run the compiled module as Envoy would. Guide: [src/host/README.md](../src/host/README.md)." },
  { spec: "proxy-wasm-as/aspect", file: "src/host/aspect.ts", intro: "The as-pect front-end of the test host: the configuration your `as-pect.config.js` re-exports." },
  { spec: "proxy-wasm-as/envoy", file: "src/envoy/index.ts", intro: "The Envoy harness for your own end-to-end tests: find or install Envoy, render a bootstrap, start Envoy with your modules in front of recording upstreams, wait until it is ready." },
  { spec: "proxy-wasm-as/devproxy", file: "src/devproxy/index.ts", intro: "The development proxy: plugins in the Node test host in front of an upstream (not Envoy; for trying filters without it)." },
];

function program(files: string[]): ts.Program {
  const asStd = join(root, "node_modules/assemblyscript/std/assembly/index.d.ts");
  return ts.createProgram(files.map((f) => join(root, f)).concat(asStd), {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowJs: false, noEmit: true, skipLibCheck: true, experimentalDecorators: true, types: [],
  });
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();

function docOf(node: ts.Node, sf: ts.SourceFile): string {
  const tags = ts.getJSDocCommentsAndTags(node);
  const text = tags.map((t) => (ts.isJSDoc(t) && typeof t.comment === "string" ? t.comment : ts.isJSDoc(t) ? ts.getTextOfJSDocComment(t.comment) ?? "" : "")).join(" ").trim();
  if (text) return oneLine(text);
  // Fall back to the `//` comment right above the declaration (the SDK's style in places).
  const lines = sf.text.slice(0, node.getStart(sf)).split("\n");
  lines.pop();
  const above: string[] = [];
  while (lines.length && /^\s*\/\/(?!\s*@ts-)/.test(lines[lines.length - 1])) above.unshift(lines.pop()!.replace(/^\s*\/\/\s?/, ""));
  return oneLine(above.join(" "));
}

const isPublic = (m: ts.ClassElement | ts.TypeElement) => {
  const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
  if (mods.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
  const name = m.name?.getText() ?? "";
  return !name.startsWith("_") && !name.startsWith("#");
};

function params(ps: ts.NodeArray<ts.ParameterDeclaration>, sf: ts.SourceFile): string {
  return ps.map((p) => oneLine(p.getText(sf).replace(/^(public|private|protected|readonly)\s+/, ""))).join(", ");
}

function memberLine(m: ts.ClassElement | ts.TypeElement, sf: ts.SourceFile): string | null {
  if (!isPublic(m)) return null;
  const name = m.name?.getText(sf) ?? "";
  const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []).filter((x) => [ts.SyntaxKind.StaticKeyword, ts.SyntaxKind.ReadonlyKeyword].includes(x.kind)).map((x) => x.getText(sf) + " ").join("") : "";
  const type = (t: ts.TypeNode | undefined) => (t ? `: ${oneLine(t.getText(sf))}` : "");
  if (ts.isConstructorDeclaration(m)) return `constructor(${params(m.parameters, sf)})`;
  if (ts.isMethodDeclaration(m) || ts.isMethodSignature(m)) return `${mods}${name}${m.questionToken ? "?" : ""}(${params(m.parameters, sf)})${type(m.type)}`;
  if (ts.isGetAccessor(m)) return `get ${name}()${type(m.type)}`;
  if (ts.isSetAccessor(m)) return `set ${name}(${params(m.parameters, sf)})`;
  if (ts.isPropertyDeclaration(m) || ts.isPropertySignature(m)) return `${mods}${name}${m.questionToken ? "?" : ""}${type(m.type)}`;
  if (ts.isIndexSignatureDeclaration(m)) return oneLine(m.getText(sf));
  return null;
}

/** Constructor parameter properties (`constructor(public key: string)`) are members too. */
function parameterProperties(c: ts.ClassDeclaration, sf: ts.SourceFile): { line: string; doc: string }[] {
  const ctor = c.members.find(ts.isConstructorDeclaration);
  if (!ctor) return [];
  return ctor.parameters.filter((p) => (ts.getModifiers(p) ?? []).some((x) => x.kind === ts.SyntaxKind.PublicKeyword || x.kind === ts.SyntaxKind.ReadonlyKeyword))
    .filter((p) => !(ts.getModifiers(p) ?? []).some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword))
    .map((p) => ({ line: `${(ts.getModifiers(p) ?? []).some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword) ? "readonly " : ""}${p.name.getText(sf)}${p.type ? `: ${oneLine(p.type.getText(sf))}` : ""}`, doc: "" }));
}

function block(lines: string[]): string {
  return "```ts\n" + lines.join("\n") + "\n```";
}

function render(name: string, decl: ts.Declaration, sf: ts.SourceFile): { kind: string; text: string } | null {
  const doc = docOf(decl, sf);
  const from = relative(root, sf.fileName);
  const tp = (d: { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }) => (d.typeParameters ? `<${d.typeParameters.map((t) => t.getText(sf)).join(", ")}>` : "");
  const out = (kind: string, code: string[], extra = "") => ({ kind, text: `### \`${name}\`\n\n${block(code)}\n\n${doc ? doc + "\n\n" : ""}${extra}<sub>${from}</sub>\n` });
  if (ts.isFunctionDeclaration(decl)) {
    return out("function", [`function ${name}${tp(decl)}(${params(decl.parameters, sf)})${decl.type ? `: ${oneLine(decl.type.getText(sf))}` : ""}`]);
  }
  if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) {
    const heritage = (decl.heritageClauses ?? []).map((h) => oneLine(h.getText(sf))).join(" ");
    const kind = ts.isClassDeclaration(decl) ? (decl.modifiers?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword) ? "abstract class" : "class") : "interface";
    const lines = [`${kind} ${name}${tp(decl)}${heritage ? " " + heritage : ""} {`];
    const members: { line: string; doc: string }[] = ts.isClassDeclaration(decl) ? parameterProperties(decl, sf) : [];
    for (const m of decl.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>) {
      const line = memberLine(m, sf);
      if (line) members.push({ line, doc: docOf(m, sf) });
    }
    for (const m of members) {
      if (m.doc) lines.push(`  /** ${m.doc} */`);
      lines.push(`  ${m.line};`);
    }
    lines.push("}");
    return out(kind.replace("abstract ", ""), lines);
  }
  if (ts.isEnumDeclaration(decl)) {
    return out("enum", [`enum ${name} {`, ...decl.members.map((m) => `  ${oneLine(m.getText(sf))},`), "}"]);
  }
  if (ts.isTypeAliasDeclaration(decl)) return out("type", [`type ${name}${tp(decl)} = ${oneLine(decl.type.getText(sf))}`]);
  if (ts.isVariableDeclaration(decl)) {
    const list = decl.parent;
    const kw = list.flags & ts.NodeFlags.Const ? "const" : "let";
    const type = decl.type ? `: ${oneLine(decl.type.getText(sf))}` : decl.initializer && decl.initializer.getText(sf).length < 80 ? ` = ${oneLine(decl.initializer.getText(sf))}` : "";
    return out("const", [`${kw} ${name}${type}`]);
  }
  return null;
}

export interface Documented { spec: string; names: string[]; text: string }

export function generate(): { markdown: string; sections: Documented[] } {
  const prog = program(ENTRIES.map((e) => e.file));
  const checker = prog.getTypeChecker();
  const sections: Documented[] = [];
  for (const e of ENTRIES) {
    const sf = prog.getSourceFile(join(root, e.file));
    if (!sf) throw new Error(`api-docs: ${e.file} not found`);
    const mod = checker.getSymbolAtLocation(sf);
    if (!mod) throw new Error(`api-docs: ${e.file} has no exports`);
    const exports = checker.getExportsOfModule(mod).filter((s) => s.escapedName !== "default").sort((a, b) => a.name.localeCompare(b.name));
    const parts: string[] = [];
    const names: string[] = [];
    for (const sym of exports) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      const decls = (target.declarations ?? []).filter((d) => !ts.isModuleDeclaration(d));
      // A function with overloads or a class merged with an interface: document the first declaration that renders.
      let r: ReturnType<typeof render> = null;
      for (const d of decls) if ((r = render(sym.name, d, d.getSourceFile()))) break;
      if (!r) continue;
      names.push(sym.name);
      parts.push(r.text);
    }
    sections.push({ spec: e.spec, names, text: `## \`${e.spec}\`\n\n${e.intro}\n\n${names.length} exports: ${names.map((n) => `[\`${n}\`](#${n.toLowerCase()})`).join(", ")}\n\n${parts.join("\n")}` });
  }
  const head = `# API reference\n\n<!-- Generated by scripts/api-docs.ts from the sources; \`npm run docs:api\` rewrites it, test/sdk/api-docs.test.ts checks it is current. -->\n\n` +
    `Signatures as written in the sources: AssemblyScript integer types (\`u32\`, \`i64\`, \`usize\`) are what they say, and \`T | null\` is the only way a value can be absent. ` +
    `The how-to is in [sdk.md](sdk.md) (filters), [testing.md](testing.md) (specs and the test host) and the package [README](../README.md).\n\n` +
    sections.map((s) => `- [\`${s.spec}\`](#${s.spec.replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")}) — ${s.names.length} exports`).join("\n") + "\n\n";
  return { markdown: head + sections.map((s) => s.text).join("\n"), sections };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { markdown, sections } = generate();
  if (process.argv.includes("--check")) {
    const current = readFileSync(OUT, "utf8");
    if (current !== markdown) {
      console.error("docs/api.md is out of date: run `npm run docs:api`");
      process.exit(1);
    }
    console.log("docs/api.md is current");
  } else {
    writeFileSync(OUT, markdown);
    console.log(`wrote docs/api.md: ${sections.map((s) => `${s.spec} ${s.names.length}`).join(", ")}`);
  }
}
