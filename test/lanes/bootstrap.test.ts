// The bootstrap builder's parts the lane topology added: more listeners, virtual hosts by domain,
// clusters with several/no endpoints and health checks, aggregates, local reply mapping — as
// rendered, and the mistakes it refuses before Envoy sees them. (Envoy runs them in e2e/lanes.)
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bootstrap, type BootstrapOptions } from "../../src/envoy/bootstrap.js";

const base: BootstrapOptions = {
  filters: [],
  clusters: { app: { port: 8080 } },
  clusterSpecs: {
    "c-gray": { endpoints: [], healthCheck: { path: "/healthz", host: "c" }, panicThresholdPercent: 0, updateMergeWindowMs: 0 },
    "c-baseline": { endpoints: [{ port: 9001 }, { port: 9002 }] },
    "c-lane-gray": { aggregate: ["c-gray", "c-baseline"] },
  },
  listeners: [{
    name: "outbound", port: 7000, statPrefix: "outbound",
    virtualHosts: [{ name: "c", domains: ["c"], routes: [{ headers: { "x-mesh-tag": "gray" }, cluster: "c-lane-gray" }, { cluster: "c-baseline" }] }],
    localReplies: [{ flags: ["UH"], status: 503, body: "no %UPSTREAM_CLUSTER%\n", headers: { "x-why": "%UPSTREAM_CLUSTER%" } }],
  }],
};

const rendered = (o: BootstrapOptions) => bootstrap(o) as any;

describe("bootstrap: lane topology parts", () => {
  test("a second listener with its own virtual hosts, stat prefix and local replies; the main one unchanged", () => {
    const b = rendered(base);
    const [main, out] = b.static_resources.listeners;
    assert.equal(main.name, "main");
    assert.equal(main.filter_chains[0].filters[0].typed_config.local_reply_config, undefined);
    const hcm = out.filter_chains[0].filters[0].typed_config;
    assert.equal(out.address.socket_address.port_value, 7000);
    assert.equal(hcm.stat_prefix, "outbound");
    assert.deepEqual(hcm.route_config.virtual_hosts[0].domains, ["c"]);
    assert.equal(hcm.route_config.virtual_hosts[0].routes[0].route.cluster, "c-lane-gray");
    assert.deepEqual(hcm.local_reply_config.mappers[0].filter, { response_flag_filter: { flags: ["UH"] } });
    assert.equal(hcm.local_reply_config.mappers[0].body_format_override.text_format_source.inline_string, "no %UPSTREAM_CLUSTER%\n");
    assert.equal(hcm.http_filters.at(-1).name, "envoy.filters.http.router");
  });

  test("clusters: no endpoints, several endpoints, health check, panic threshold, merge window, aggregate", () => {
    const byName = Object.fromEntries(rendered(base).static_resources.clusters.map((c: any) => [c.name, c]));
    assert.deepEqual(byName["c-gray"].load_assignment.endpoints, [{ lb_endpoints: [] }]);
    assert.equal(byName["c-baseline"].load_assignment.endpoints[0].lb_endpoints.length, 2);
    assert.deepEqual(byName["c-gray"].common_lb_config, { healthy_panic_threshold: { value: 0 }, update_merge_window: "0s" });
    assert.equal(byName["c-gray"].health_checks[0].http_health_check.path, "/healthz");
    assert.equal(byName["c-gray"].health_checks[0].no_traffic_interval, "1s", "idle clusters are checked as often");
    assert.equal(byName["c-lane-gray"].cluster_type.name, "envoy.clusters.aggregate");
    assert.deepEqual(byName["c-lane-gray"].cluster_type.typed_config.clusters, ["c-gray", "c-baseline"]);
    assert.equal(byName["c-lane-gray"].lb_policy, "CLUSTER_PROVIDED");
  });

  test("refuses routes and aggregates naming unknown clusters, and an aggregate with endpoints", () => {
    assert.throws(() => bootstrap({ ...base, clusterSpecs: { ...base.clusterSpecs, x: { aggregate: ["c-gray", "nope"] } } }),
      /bootstrap: aggregate cluster "x": unknown cluster "nope"/);
    assert.throws(() => bootstrap({ ...base, listeners: [{ name: "o", statPrefix: "o", routes: [{ cluster: "nope" }] }] }),
      /bootstrap: listener "o": route to unknown cluster "nope"/);
    assert.throws(() => rendered({ ...base, clusterSpecs: { ...base.clusterSpecs, y: { aggregate: ["app"], endpoints: [] } } }),
      /cluster "y": an aggregate has no endpoints or health check of its own/);
  });
});
