package testenv

import (
	"net"
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
// reaches with --insecure-registry. Push helpers of this package use HTTPS
// for a non-loopback host, so push to it with name.Insecure.
func StartRegistryAt(t testing.TB, ip net.IP, opts ...RegistryOption) *Registry {
	t.Helper()
	return startRegistry(t, ip, opts)
}
