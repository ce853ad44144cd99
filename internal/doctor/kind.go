package doctor

// Kind is what a check checks. Its spelling is the "kind" of --json and
// stable; --fix, ci and the text report branch on it, never on IDs.
type Kind string

// The host's checks.
const (
	KindKernel    Kind = "kernel"
	KindBinfmt    Kind = "binfmt_misc"
	KindEmulators Kind = "emulators"
	// KindHostEmulation: the builder's nodes need nothing of this host's
	// QEMU, so no host check ran.
	KindHostEmulation Kind = "host-emulation"
)

// A platform's checks (Check.Platform says which).
const (
	KindNative      Kind = "native"
	KindHandler     Kind = "handler"
	KindEnabled     Kind = "enabled"
	KindFlagF       Kind = "flag-F"
	KindFlagC       Kind = "flag-C"
	KindInterpreter Kind = "interpreter"
	KindQEMUVersion Kind = "qemu-version"
	KindProbe       Kind = "probe"
	KindStrictCPU   Kind = "strict-cpu"
	// KindArgv0: a program run through the handler sees the argv[0] it
	// was started with (flag P, honoured by the emulator).
	KindArgv0 Kind = "argv0"
)

// The builder's checks.
const (
	KindBuildkitd Kind = "builder-buildkitd"
	KindRunc      Kind = "builder-runc"
	KindRoot      Kind = "builder-root"
	KindDaemon    Kind = "builder-daemon"
	// KindNode: one node answers (Check.Node says which).
	KindNode Kind = "builder-node"
	// KindRoute: which node runs Check.Platform; without a platform, that
	// routing itself failed.
	KindRoute Kind = "builder-route"
)

// builderNames name the builder's checks in IDs and the text report.
var builderNames = map[Kind]string{
	KindBuildkitd: "buildkitd",
	KindRunc:      "runc",
	KindRoot:      "root",
	KindDaemon:    "daemon",
	KindNode:      "node",
	KindRoute:     "route",
}

// Builder reports whether k is a check of the builder rather than of
// this host.
func (k Kind) Builder() bool {
	_, ok := builderNames[k]
	return ok
}
