package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
)

// networkFlags are buildx's sandbox flags of build's RUN steps.
type networkFlags struct {
	network, shmSize         string
	allow, addHosts, ulimits []string
}

func addNetworkFlags(fl *pflag.FlagSet, f *networkFlags) {
	fl.StringVar(&f.network, "network", "default", "network of the RUN steps: default, none or host (host asks for network.host itself)")
	fl.StringArrayVar(&f.allow, "allow", nil, "grant the build an `ENTITLEMENT`: network.host, security.insecure; comma separated, repeatable")
	fl.StringArrayVar(&f.addHosts, "add-host", nil, "add `HOST:IP` to /etc/hosts of the RUN steps (IPv6: HOST=::1 or HOST:[::1]); repeatable")
	fl.StringVar(&f.shmSize, "shm-size", "", "size of /dev/shm of the RUN steps, e.g. 128m")
	fl.StringArrayVar(&f.ulimits, "ulimit", nil, "ulimit of the RUN steps, `NAME=SOFT[:HARD]` (nofile=1024:2048); repeatable")
}

// apply checks the flags and sets o.Network.
func (f *networkFlags) apply(o *build.Options) error {
	var (
		n   build.Network
		err error
	)
	if n.Mode, err = build.ParseNetworkMode(f.network); err != nil {
		return fmt.Errorf("--network: %w", err)
	}
	if n.Allow, err = build.ParseEntitlements(f.allow); err != nil {
		return fmt.Errorf("--allow: %w", err)
	}
	for _, h := range f.addHosts {
		hosts, err := build.ParseAddHost(h)
		if err != nil {
			return fmt.Errorf("--add-host %q: %w", h, err)
		}
		n.AddHosts = append(n.AddHosts, hosts...)
	}
	if f.shmSize != "" {
		if n.ShmSize, err = build.ParseShmSize(f.shmSize); err != nil {
			return fmt.Errorf("--shm-size %q: %w", f.shmSize, err)
		}
	}
	for _, u := range f.ulimits {
		s, err := build.ParseUlimit(u)
		if err != nil {
			return fmt.Errorf("--ulimit %q: %w", u, err)
		}
		n.Ulimits = append(n.Ulimits, s)
	}
	o.Network = n
	return nil
}

// restartNotice says why a running embedded builder was restarted: its
// config lacked an insecure registry or the entitlements the build asks.
func restartNotice(w io.Writer, e app.EmbeddedEvent) {
	var why []string
	if len(e.Insecure) > 0 {
		why = append(why, "let it reach "+strings.Join(e.Insecure, ", ")+" over plain HTTP")
	}
	if len(e.Entitlements) > 0 {
		why = append(why, "let it grant "+strings.Join(e.Entitlements, ", "))
	}
	fmt.Fprintf(w, "restarted the embedded builder to %s\n", strings.Join(why, " and "))
}
