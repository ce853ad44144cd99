package doctor

import "github.com/multiarch-dev/multiarch/internal/builder"

// Action is what a check's remedy does. The library names no commands or
// flags: the CLI words each Action (with the Remedy's data) as the
// command line to run.
type Action string

// The remedies a check can carry.
const (
	// RemedyDoctorAsRoot: run doctor again as root.
	RemedyDoctorAsRoot Action = "doctor-as-root"
	// RemedyInstall: register QEMU for Platform.
	RemedyInstall Action = "install"
	// RemedyAptInstall: install the emulators, then register QEMU for
	// Platform.
	RemedyAptInstall Action = "apt-install"
	// RemedyAptInstallAll: install the emulators, then register QEMU for
	// every platform.
	RemedyAptInstallAll Action = "apt-install-all"
	// RemedyInstallForce: register QEMU for Platform again, replacing the
	// handler.
	RemedyInstallForce Action = "install-force"
	// RemedyAptInstallForce: install the emulators, then register QEMU
	// for Platform again, replacing the handler.
	RemedyAptInstallForce Action = "apt-install-force"
	// RemedyReregisterCF: register the handlers again with the C and F
	// flags.
	RemedyReregisterCF Action = "reregister-cf"
	// RemedyReregisterArgv0: register Platform's handler again, adding P
	// where a trial shows its emulator honours it.
	RemedyReregisterArgv0 Action = "reregister-argv0"
	// RemedyBinfmtLs: see which handler matches QEMUArch binaries.
	RemedyBinfmtLs Action = "binfmt-ls"
	// RemedyRunAsRoot: run the embedded builder's verbs as root, or use
	// a running buildkitd.
	RemedyRunAsRoot Action = "run-as-root"
	// RemedyRestartEmbedded: stop and start the embedded builder.
	RemedyRestartEmbedded Action = "restart-embedded"
	// RemedyNodeTLS: fix the TLS options of node Endpoint (of Builder, or
	// of $BUILDKIT_HOST when Builder is ""); TLS is what failed.
	RemedyNodeTLS Action = "node-tls"
	// RemedyStartNode: start buildkitd at Endpoint (of Builder, or of
	// $BUILDKIT_HOST when Builder is ""), or fix the endpoint.
	RemedyStartNode Action = "start-node"
	// RemedyAddNode: add a node for Platform (architecture Arch), or
	// register QEMU for it on a node.
	RemedyAddNode Action = "add-node"
)

// Remedy is a check's fix when it is a command of this tool: the Action
// and the data its words need. A check whose fix names no command of
// this tool carries it as plain text in Fix instead.
type Remedy struct {
	Action Action
	// Platform is the platform the action is about ("linux/arm64").
	Platform string
	// Arch is the architecture: GOARCH for RemedyAddNode, the QEMU
	// architecture for RemedyBinfmtLs.
	Arch string
	// Builder is the named builder, "" for $BUILDKIT_HOST.
	Builder string
	// Endpoint is the node's address.
	Endpoint string
	// TLS is what failed, for RemedyNodeTLS.
	TLS *builder.NodeTLSError
}

func warnDo(c Check, msg string, r Remedy) Check {
	c = warn(c, msg, "")
	c.Remedy = &r
	return c
}

func failDo(c Check, msg string, r Remedy) Check {
	c = fail(c, msg, "")
	c.Remedy = &r
	return c
}
