package build

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// checkPlatforms returns an *UnsupportedPlatformError for the requested
// platforms no worker of st runs. A worker that runs any variant of an
// architecture has its emulator (or CPU), so variants are not compared:
// BuildKit lists arm/v7 and arm/v6 for an ARM emulator but builds arm/v5
// with it just as well.
func checkPlatforms(st *NodeStatus, want []platform.Platform) error {
	have := map[string]bool{}
	for _, s := range st.Platforms() {
		p, err := platforms.Parse(s)
		if err != nil {
			continue
		}
		have[p.OS+"/"+p.Architecture] = true
	}
	var missing []platform.Platform
	for _, p := range want {
		if !have[p.OS+"/"+p.Arch] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &UnsupportedPlatformError{Address: st.Address, Platforms: missing, Supported: st.Platforms()}
}

// checkPush asks each tag's registry whether we may push there, before
// any build time is spent: 401/403 is a *PushRefusedError, a network
// failure a *RegistryUnreachableError. The check runs from this machine;
// a remote builder is assumed to reach the same registries.
func checkPush(ctx context.Context, tags []string, kc authn.Keychain) error {
	seen := map[string]bool{}
	for _, t := range tags {
		ref, err := name.ParseReference(t)
		if err != nil {
			return err
		}
		repo := ref.Context().String()
		if seen[repo] {
			continue
		}
		seen[repo] = true
		if err := classifyRegistryErr(t, ref.Context().RegistryStr(), checkPushRef(ctx, ref, kc)); err != nil {
			return err
		}
	}
	return nil
}

func checkPushRef(ctx context.Context, ref name.Reference, kc authn.Keychain) error {
	tr := transportWithContext(ctx)
	return remote.CheckPushPermission(ref, kc, tr)
}

// transportWithContext makes requests of code that takes no context
// (remote.CheckPushPermission) end with ctx.
func transportWithContext(ctx context.Context) http.RoundTripper {
	return ctxTransport{ctx: ctx, next: remote.DefaultTransport}
}

type ctxTransport struct {
	ctx  context.Context
	next http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(r.WithContext(t.ctx))
}

func classifyRegistryErr(ref, registry string, err error) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return &PushRefusedError{Ref: ref, StatusCode: terr.StatusCode, Err: err}
	}
	var nerr net.Error
	if errors.As(err, &nerr) {
		return &RegistryUnreachableError{Registry: registry, Err: err}
	}
	return err
}
