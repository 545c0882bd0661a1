// istio-render runs Istio's own code on this project's Istio manifests, so tests can check what a
// mesh would really do with them:
//
//  1. istiod: the fake discovery server of istio.io/istio/pilot/test/xds (istiod's real config
//     generation over in-memory inputs) builds the listeners and the ECDS resources it would push
//     to one proxy (a gateway or a sidecar) for the given WasmPlugins/TrafficExtensions.
//  2. istio-agent (with -fetch): istio.io/istio/pkg/wasm's MaybeConvertWasmExtensionConfig, the
//     code the agent runs on every ECDS response, pulls each module from its registry, checks the
//     sha256 and rewrites the remote code source to the local file it wrote.
//
// Usage:
//
//	istio-render -f manifests.yaml [-f more.yaml] [-proxy gateway|sidecar] [-namespace NS]
//	             [-label k=v]... [-fetch CACHE_DIR] [-insecure-registry HOST:PORT]
//
// It prints one JSON document: for every HTTP connection manager of every listener, its filter
// chain (the Wasm ones are ECDS references), then the ECDS resources as istiod sent them and, with
// -fetch, as istio-agent hands them to Envoy. Exit status 1 with a message on any error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"istio.io/istio/pilot/pkg/model"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/constants"
	istiolog "istio.io/istio/pkg/log"
	"istio.io/istio/pkg/test"
	"istio.io/istio/pkg/util/sets"
	"istio.io/istio/pkg/wasm"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// HTTPChain is one HTTP connection manager's filter chain, in Envoy's order.
type HTTPChain struct {
	Listener string            `json:"listener"`
	Filters  []json.RawMessage `json:"filters"`
}

// Output is what the tool prints.
type Output struct {
	Proxy           string            `json:"proxy"`
	Chains          []HTTPChain       `json:"chains"`
	ExtensionConfig []json.RawMessage `json:"extensionConfigs"`
	Fetched         []json.RawMessage `json:"fetchedExtensionConfigs,omitempty"`
}

var marshal = protojson.MarshalOptions{UseProtoNames: true}

func toJSON(m proto.Message) json.RawMessage {
	b, err := marshal.Marshal(m)
	if err != nil {
		fail("marshal %T: %v", m, err)
	}
	return b
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "istio-render: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var files, labels multiFlag
	flag.Var(&files, "f", "a YAML file of Istio resources (repeatable)")
	flag.Var(&labels, "label", "a label of the proxy's workload, k=v (repeatable)")
	proxyType := flag.String("proxy", "gateway", "gateway (router) or sidecar")
	namespace := flag.String("namespace", "istio-system", "the proxy's namespace")
	fetchDir := flag.String("fetch", "", "run istio-agent's module fetcher into this cache directory")
	insecure := flag.String("insecure-registry", "", "a registry host:port the agent may reach without TLS")
	verbose := flag.Bool("v", false, "show istiod's and the agent's logs (stderr)")
	flag.Parse()
	if len(files) == 0 {
		fail("no manifests: pass -f FILE.yaml")
	}
	// stdout carries the JSON only; istiod's and the agent's logs go to stderr, errors only
	// (-v: info) — the fake server logs harmless complaints about CRD annotations at error level.
	logOpts := istiolog.DefaultOptions()
	logOpts.OutputPaths = []string{"stderr"}
	logOpts.ErrorOutputPaths = []string{"stderr"}
	level := istiolog.NoneLevel
	if *verbose {
		level = istiolog.InfoLevel
	}
	logOpts.SetDefaultOutputLevel(istiolog.OverrideScopeName, level)
	if err := istiolog.Configure(logOpts); err != nil {
		fail("log setup: %v", err)
	}

	var docs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fail("%v", err)
		}
		docs = append(docs, string(b))
	}
	lbls := map[string]string{}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			fail("-label %q: want key=value", l)
		}
		lbls[k] = v
	}

	out := Output{Proxy: *proxyType}
	var ecds []*anypb.Any
	err := test.Wrap(func(t test.Failer) {
		s := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{ConfigString: strings.Join(docs, "\n---\n")})
		p := &model.Proxy{
			Type:            model.SidecarProxy,
			ConfigNamespace: *namespace,
			Labels:          lbls,
			Metadata:        &model.NodeMetadata{Namespace: *namespace, Labels: lbls, ClusterID: constants.DefaultClusterName},
			IPAddresses:     []string{"10.0.0.1"},
		}
		if *proxyType == "gateway" {
			p.Type = model.Router
		} else if *proxyType != "sidecar" {
			t.Fatalf("-proxy %q: want gateway or sidecar", *proxyType)
		}
		p = s.SetupProxy(p)

		names := sets.New[string]()
		for _, l := range s.Listeners(p) {
			out.Chains = append(out.Chains, httpChains(t, l)...)
		}
		for _, c := range out.Chains {
			for _, f := range c.Filters {
				var hf struct {
					ConfigDiscovery *struct{} `json:"config_discovery"`
					Name            string    `json:"name"`
				}
				_ = json.Unmarshal(f, &hf)
				if hf.ConfigDiscovery != nil {
					names.Insert(hf.Name)
				}
			}
		}

		// The ECDS generator istiod serves extension configs with (pull secrets resolved there).
		gen := s.Discovery.Generators[v3.ExtensionConfigurationType]
		req := &model.PushRequest{Push: s.PushContext(), Start: time.Now(), Forced: true}
		res, _, err := gen.Generate(p, &model.WatchedResource{TypeUrl: v3.ExtensionConfigurationType, ResourceNames: names}, req)
		if err != nil {
			t.Fatalf("ECDS generation: %v", err)
		}
		for _, r := range res {
			ec := &core.TypedExtensionConfig{}
			if err := r.Resource.UnmarshalTo(ec); err != nil {
				t.Fatalf("ECDS resource %s: %v", r.Name, err)
			}
			out.ExtensionConfig = append(out.ExtensionConfig, toJSON(ec))
			ecds = append(ecds, r.Resource)
		}
	})
	if err != nil {
		fail("istiod config generation: %v", err)
	}

	if *fetchDir != "" {
		opts := wasm.Options{
			PurgeInterval:         wasm.DefaultPurgeInterval,
			ModuleExpiry:          wasm.DefaultModuleExpiry,
			InsecureRegistries:    sets.New[string](),
			HTTPRequestTimeout:    wasm.DefaultHTTPRequestTimeout,
			HTTPRequestMaxRetries: 1,
		}
		if *insecure != "" {
			opts.InsecureRegistries.Insert(*insecure)
		}
		if err := os.MkdirAll(*fetchDir, 0o755); err != nil {
			fail("%v", err)
		}
		cache := wasm.NewLocalFileCache(*fetchDir, opts)
		defer cache.Cleanup()
		// The agent rewrites the resources in place; a fetch failure turns a resource into an RBAC
		// allow/deny filter (by failStrategy), which the test sees in the output.
		if err := wasm.MaybeConvertWasmExtensionConfig(ecds, cache); err != nil {
			fail("istio-agent module conversion: %v", err)
		}
		for _, a := range ecds {
			ec := &core.TypedExtensionConfig{}
			if err := a.UnmarshalTo(ec); err != nil {
				fail("converted resource: %v", err)
			}
			out.Fetched = append(out.Fetched, toJSON(ec))
		}
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
}

// httpChains returns the HTTP filter chains of a listener's connection managers.
func httpChains(t test.Failer, l *listener.Listener) []HTTPChain {
	var chains []HTTPChain
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			if f.GetName() != "envoy.filters.network.http_connection_manager" {
				continue
			}
			m := &hcm.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(m); err != nil {
				t.Fatalf("listener %s: %v", l.GetName(), err)
			}
			c := HTTPChain{Listener: l.GetName()}
			if fc.GetName() != "" {
				c.Listener += " " + fc.GetName()
			}
			for _, hf := range m.GetHttpFilters() {
				c.Filters = append(c.Filters, toJSON(hf))
			}
			chains = append(chains, c)
		}
	}
	return chains
}
