#!/usr/bin/env node
// Installs what the OCI and Istio tests need, idempotently (called by `npm test`'s setup phase):
//   - Debian `docker-registry` (the CNCF distribution registry the push/pull tests start on
//     127.0.0.1), `skopeo` (an independent OCI client that reads our images back) and `openssl`
//     (the TLS and token-signing certificates of the registry tests);
//   - tools/istio-render (Istio's own config generation and module fetcher, built from the Go
//     module proxy into .tools/bin; the first build downloads Istio's dependencies: minutes).
// Prints one line per step; exits 1 with what to do when something cannot be installed.
import { ensureApt, ensureGoTool, SetupError } from "./lib/setup-tools.mjs";

const log = (m) => console.log(`setup-istio: ${m}`);
try {
  ensureApt(["docker-registry", "skopeo", "openssl"], log);
  log("docker-registry, skopeo and openssl present");
  const bin = ensureGoTool({ name: "istio-render", dir: "tools/istio-render" }, log);
  log(`istio-render ready: ${bin}`);
} catch (e) {
  if (!(e instanceof SetupError)) throw e;
  console.error(`setup-istio: ${e.message}`);
  process.exit(1);
}
