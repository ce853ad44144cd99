package build

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
)

func TestParseCacheDirections(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := map[string]func(string) (CacheSpec, error){
		"type=local,dest=" + dir + ",mode=max":       ParseCacheExport,
		"type=local,src=" + dir:                      ParseCacheImport,
		"type=inline":                                ParseCacheExport,
		"type=gha,scope=x,token=t":                   ParseCacheExport,
		"type=s3,region=r,bucket=b":                  ParseCacheImport,
		"type=azblob,account_url=u,name=n":           ParseCacheExport,
		"type=registry,ref=127.0.0.1:5000/a:c":       ParseCacheImport,
		"127.0.0.1:5000/a:c":                         ParseCacheExport,
		"type=local,src=" + filepath.Join(dir, "no"): ParseCacheImport, // a first run has none yet, as in buildx
	}
	for s, parse := range good {
		if _, err := parse(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	bad := map[string]struct {
		parse func(string) (CacheSpec, error)
		want  string
	}{
		"type=local,src=" + dir:          {ParseCacheExport, "needs dest=DIR"},
		"type=local,dest=" + dir:         {ParseCacheImport, "needs src=DIR"},
		"type=local,dest=" + file:        {ParseCacheExport, "not a directory"},
		"type=inline":                    {ParseCacheImport, "type=registry,ref=IMAGE"},
		"type=nfs,path=/x":               {ParseCacheExport, "supported: registry, local, inline, gha, s3, azblob"},
		"mode=max":                       {ParseCacheExport, "no type"},
		"type=registry":                  {ParseCacheExport, "ref"},
		"type=local,dest=" + dir + ",mo": {ParseCacheExport, "not key=value"},
		"type=local,dest=x,mode=all":     {ParseCacheExport, "mode=min or mode=max"},
	}
	for s, c := range bad {
		_, err := c.parse(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", s, err, c.want)
		}
	}
}

func TestLocalCachePerNode(t *testing.T) {
	to, _ := ParseCacheExport("type=local,dest=/c/out,mode=max")
	from, _ := ParseCacheImport("type=local,src=/c/in")
	o := Options{CacheTo: []CacheSpec{to}, CacheFrom: []CacheSpec{from}}
	im, ex := o.cacheEntries("node1")
	if len(ex) != 1 || ex[0].Attrs["dest"] != "/c/out/node1" || ex[0].Attrs["mode"] != "max" {
		t.Errorf("export %+v", ex)
	}
	if len(im) != 2 || im[0].Attrs["src"] != "/c/in" || im[1].Attrs["src"] != "/c/in/node1" {
		t.Errorf("imports %+v", im)
	}
	im, ex = o.cacheEntries("")
	if len(im) != 1 || im[0].Attrs["src"] != "/c/in" || ex[0].Attrs["dest"] != "/c/out" {
		t.Errorf("single node %+v %+v", im, ex)
	}
	if to.Attrs["dest"] != "/c/out" {
		t.Error("entry changed the spec")
	}
}

func TestInlineCacheChecks(t *testing.T) {
	in, _ := ParseCacheExport("type=inline")
	o := Options{CacheTo: []CacheSpec{in}}
	if err := o.checkCaches(); err == nil || !strings.Contains(err.Error(), "exports none") {
		t.Errorf("inline without export: %v", err)
	}
	o.Export = &Export{Type: ExportTar, Dest: "x.tar"}
	if err := o.checkCaches(); err == nil {
		t.Error("inline cache with a filesystem tarball output accepted")
	}
	o.Export = &Export{Type: ExportOCIDir, Dest: "x"}
	if err := o.checkCaches(); err != nil {
		t.Errorf("inline cache with an OCI directory: %v", err)
	}
	o.Export, o.Push = nil, true
	if err := o.checkCaches(); err != nil {
		t.Error(err)
	}
	if err := o.checkMultiNodeCache(1); err != nil {
		t.Error(err)
	}
	if err := o.checkMultiNodeCache(2); err == nil || !strings.Contains(err.Error(), "2 nodes") {
		t.Errorf("multi-node inline: %v", err)
	}
}

func TestFreshCacheDirs(t *testing.T) {
	dir := t.TempDir()
	old, _ := ParseCacheExport("type=local,dest=" + dir)
	fresh, _ := ParseCacheExport("type=local,dest=" + filepath.Join(dir, "new"))
	o := Options{CacheTo: []CacheSpec{old, fresh}, Logger: slog.New(slog.DiscardHandler)}
	got := o.freshCacheDirs()
	if len(got) != 1 || got[0] != filepath.Join(dir, "new") {
		t.Fatalf("fresh %v", got)
	}
	if err := os.MkdirAll(filepath.Join(got[0], "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	o.discardCacheDirs(got)
	if _, err := os.Stat(got[0]); !os.IsNotExist(err) {
		t.Errorf("half-written cache dir kept: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("existing cache dir removed: %v", err)
	}
}

func TestNetworkParse(t *testing.T) {
	for in, want := range map[string]string{"": "", "default": "", "none": "none", "host": "host"} {
		if got, err := ParseNetworkMode(in); err != nil || got != want {
			t.Errorf("network %q: %q %v", in, got, err)
		}
	}
	if _, err := ParseNetworkMode("bridge"); err == nil || !strings.Contains(err.Error(), "default, none or host") {
		t.Errorf("bridge: %v", err)
	}
	if got, err := ParseEntitlements([]string{"network.host,security.insecure", "network.host"}); err != nil || strings.Join(got, " ") != "network.host security.insecure" {
		t.Errorf("allow: %v %v", got, err)
	}
	for _, bad := range []string{"network.hots", "", "network.host,"} {
		if _, err := ParseEntitlements([]string{bad}); err == nil {
			t.Errorf("allow %q accepted", bad)
		}
	}
	hosts := map[string]string{
		"db:10.0.0.1": "db=10.0.0.1", "db=10.0.0.1": "db=10.0.0.1", "v6=::1": "v6=::1",
		"v6:[::1]": "v6=::1", "v6:::1": "v6=::1", "v6=[2001:db8::1]": "v6=2001:db8::1", "m=10.0.0.1,10.0.0.2": "m=10.0.0.1,m=10.0.0.2",
	}
	for in, want := range hosts {
		got, err := ParseAddHost(in)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("add-host %q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"db", "db:", ":1.2.3.4", "db:notanip", "db:host-gateway"} {
		if _, err := ParseAddHost(bad); err == nil {
			t.Errorf("add-host %q accepted", bad)
		}
	}
	if n, err := ParseShmSize("128m"); err != nil || n != 128<<20 {
		t.Errorf("shm 128m: %d %v", n, err)
	}
	for _, bad := range []string{"lots", "-1", "0"} {
		if _, err := ParseShmSize(bad); err == nil {
			t.Errorf("shm %q accepted", bad)
		}
	}
	if u, err := ParseUlimit("nofile=1024:2048"); err != nil || u != "nofile=1024:2048" {
		t.Errorf("ulimit: %q %v", u, err)
	}
	for _, bad := range []string{"nofile", "nofiles=1", "nofile=2048:1024", "nofile=x"} {
		if _, err := ParseUlimit(bad); err == nil {
			t.Errorf("ulimit %q accepted", bad)
		}
	}
}

func TestNetworkApply(t *testing.T) {
	so := client.SolveOpt{FrontendAttrs: map[string]string{}}
	Network{}.apply(&so)
	if len(so.FrontendAttrs) != 0 || so.AllowedEntitlements != nil {
		t.Errorf("unset network changed the solve: %v %v", so.FrontendAttrs, so.AllowedEntitlements)
	}
	n := Network{Mode: "host", Allow: []string{"security.insecure"}, AddHosts: []string{"a=1.2.3.4", "b=::1"}, ShmSize: 1 << 27, Ulimits: []string{"nofile=1:2"}}
	n.apply(&so)
	want := map[string]string{"force-network-mode": "host", "add-hosts": "a=1.2.3.4,b=::1", "shm-size": "134217728", "ulimit": "nofile=1:2"}
	for k, v := range want {
		if so.FrontendAttrs[k] != v {
			t.Errorf("%s = %q, want %q", k, so.FrontendAttrs[k], v)
		}
	}
	if strings.Join(so.AllowedEntitlements, ",") != "security.insecure,network.host" {
		t.Errorf("entitlements %v", so.AllowedEntitlements)
	}
}

func TestEntitlementError(t *testing.T) {
	err := entitlementError(errorString("rpc error: code = Unknown desc = granting entitlement network.host is not allowed by build daemon configuration"), "tcp://n:1234")
	ee, ok := err.(*EntitlementError)
	if !ok || ee.Entitlement != "network.host" || !strings.Contains(ee.Hint(), "--allow-insecure-entitlement network.host") {
		t.Fatalf("%T %v", err, err)
	}
	if other := errorString("x"); entitlementError(other, "n") != other {
		t.Error("other error changed")
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestCacheBackendError(t *testing.T) {
	err := cacheBackendError(errorString("failed to solve: failed to configure gha cache exporter: token not set for github actions cache"))
	ce, ok := err.(*CacheBackendError)
	if !ok || ce.Type != "gha" || !strings.Contains(ce.Hint(), "ACTIONS_RUNTIME_TOKEN") {
		t.Fatalf("%T %v", err, err)
	}
	if other := errorString("failed to configure something else"); cacheBackendError(other) != other {
		t.Error("other error changed")
	}
}
