package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// NonLoopbackIPv4 returns the first IPv4 address, not loopback nor
// link-local, of an interface that is up: an address plain HTTP is not
// allowed to by default. A machine without one fails the test in CI and
// skips it elsewhere.
func NonLoopbackIPv4(t testing.TB) net.IP {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip := ipn.IP.To4(); ip != nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
				return ip
			}
		}
	}
	Require(t, false, "no network interface is up with a non-loopback IPv4 address")
	return nil
}

// StartRegistryAt is StartRegistry listening on ip (any address of this
// machine) instead of 127.0.0.1, over plain HTTP: the registry a user
// reaches with --insecure-registry. WithReadyTimeout is honoured;
// WithBasicAuth is not supported. Push helpers of this package use HTTPS
// for a non-loopback host, so push to it with name.Insecure.
func StartRegistryAt(t testing.TB, ip net.IP, opts ...RegistryOption) *Registry {
	t.Helper()
	cfg := newRegistryConfig(t, opts)
	if cfg.user != "" {
		t.Fatal("StartRegistryAt: WithBasicAuth is not supported")
	}
	bin := registryBinary(t)
	dir := t.TempDir()
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		r, err := startRegistryAt(t, bin, filepath.Join(dir, strconv.Itoa(attempt)), ip, cfg)
		if err == nil {
			track(t, r)
			return r
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("start registry on %s: %v", ip, lastErr)
	return nil
}

func startRegistryAt(t testing.TB, bin, dir string, ip net.IP, cfg registryConfig) (*Registry, error) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	port, err := freePortOn(ip)
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: net.JoinHostPort(ip.String(), strconv.Itoa(port)), LogFile: filepath.Join(dir, "registry.log")}
	r.URL = "http://" + r.Host
	config := plainRegistryConfig(filepath.Join(dir, "storage"), r.Host)
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(r.LogFile)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", configPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitReady(r.URL, cfg.readyTimeout, exited); err != nil {
		stopDaemon(cmd, exited)
		return nil, fmt.Errorf("%w\nlog (%s):\n%s", err, r.LogFile, readTail(r.LogFile))
	}
	t.Cleanup(func() {
		stopDaemon(cmd, exited)
		if t.Failed() {
			t.Logf("registry %s log (%s):\n%s", r.Host, r.LogFile, readTail(r.LogFile))
		}
	})
	return r, nil
}

// plainRegistryConfig is the distribution config of an open registry
// storing in storage and listening on addr over plain HTTP.
func plainRegistryConfig(storage, addr string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: multiarch-test-secret
`, storage, addr)
}

// freePortOn returns a TCP port that was free on ip a moment ago.
func freePortOn(ip net.IP) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
