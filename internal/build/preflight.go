package build

import (
	"context"
	"errors"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// checkPush asks each tag's registry whether we may push there, before
// any build time is spent, under internal/registry's transport policy. The
// check runs from this machine; a remote builder is assumed to reach the
// same registries.
func checkPush(ctx context.Context, o Options) error {
	return pushCheckError(registry.CheckPush(ctx, o.Tags, o.Registry))
}

// pushCheckError gives the registry's refusal and unreachability this
// package's own types (*PushRefusedError, *RegistryUnreachableError),
// which callers map to what to do next; other errors pass unchanged, among
// them registry.ErrInsecure (a registry that serves plain HTTP and is not
// listed), whose Host tells the caller which registry to list as insecure.
func pushCheckError(err error) error {
	var re *registry.Error
	if !errors.As(err, &re) {
		return err
	}
	// The wrapped error drops its reference: the outer message names it.
	inner := *re
	inner.Ref = ""
	code := registry.StatusCode(err)
	switch {
	case errors.Is(err, registry.ErrUnauthorized) && code != 0:
		return &PushRefusedError{Ref: re.Ref, StatusCode: code, Err: &inner}
	case errors.Is(err, registry.ErrUnreachable):
		return &RegistryUnreachableError{Registry: registry.Host(re.Ref), Err: &inner}
	}
	return err
}
