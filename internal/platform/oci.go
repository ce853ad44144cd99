package platform

import (
	"github.com/containerd/platforms"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Normalize returns spec with its os, architecture and variant normalised
// as containerd/platforms does (aarch64 → arm64, arm64/v8 → arm64, arm →
// arm/v7, x86_64 → amd64), for values read from descriptors and configs,
// which need not be in the table. Compare only normalised values.
func Normalize(spec specs.Platform) specs.Platform { return platforms.Normalize(spec) }

// Format is spec's "os/arch[/variant]" as it is, not normalised ("unknown"
// when it has no os). Format(Normalize(spec)) is the name to compare.
func Format(spec specs.Platform) string { return platforms.Format(spec) }
