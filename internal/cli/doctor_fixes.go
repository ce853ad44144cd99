package cli

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/doctor"
)

// wordFixes returns rep with every check's Fix worded (fixText), for the
// text report, --json and ci's failed checks; rep itself is unchanged.
func wordFixes(rep *doctor.Report) *doctor.Report {
	out := *rep
	out.Checks = make([]doctor.Check, len(rep.Checks))
	for i, c := range rep.Checks {
		c.Fix = fixText(c)
		out.Checks[i] = c
	}
	return &out
}

// fixText is the one place a doctor check's typed remedy becomes the
// command line to run; a check without a remedy keeps its plain Fix.
func fixText(c doctor.Check) string {
	r := c.Remedy
	if r == nil {
		return c.Fix
	}
	switch r.Action {
	case doctor.RemedyDoctorAsRoot:
		return "sudo multiarch doctor"
	case doctor.RemedyInstall:
		return "sudo multiarch binfmt install " + r.Platform
	case doctor.RemedyAptInstall:
		return aptInstall + " && sudo multiarch binfmt install " + r.Platform
	case doctor.RemedyAptInstallAll:
		return aptInstall + " && sudo multiarch binfmt install all"
	case doctor.RemedyInstallForce:
		return "sudo multiarch binfmt install --force " + r.Platform
	case doctor.RemedyAptInstallForce:
		return aptInstall + " && sudo multiarch binfmt install --force " + r.Platform
	case doctor.RemedyReregisterCF:
		return "sudo multiarch binfmt reregister --flags CF"
	case doctor.RemedyReregisterArgv0:
		return "sudo multiarch binfmt reregister " + r.Platform + " (adds P where the emulator honours it; else install QEMU 6 or newer and run it again)"
	case doctor.RemedyBinfmtLs:
		return "check which handler matches " + r.Arch + " binaries: multiarch binfmt ls"
	}
	return builderFixText(r, c.Fix)
}

const aptInstall = "sudo apt-get install qemu-user-static"

// builderFixText words the builder checks' remedies; fallback is for an
// action it does not know.
func builderFixText(r *doctor.Remedy, fallback string) string {
	switch r.Action {
	case doctor.RemedyRunAsRoot:
		return "run build, test and ci with sudo, or point " + builder.EnvBuildkitHost + " at a running buildkitd"
	case doctor.RemedyRestartEmbedded:
		return "sudo multiarch builder down && sudo multiarch builder up"
	case doctor.RemedyNodeTLS:
		return nodeTLSFix(r)
	case doctor.RemedyStartNode:
		return startNodeFix(r)
	case doctor.RemedyAddNode:
		return fmt.Sprintf("add a %s node (multiarch builder create NAME --node ENDPOINT ...), or register QEMU on a node: sudo multiarch binfmt install %s", r.Arch, r.Platform)
	}
	return fallback
}

func nodeTLSFix(r *doctor.Remedy) string {
	if r.Builder == "" {
		return fmt.Sprintf("%s; %s carries no TLS options: create a named builder with them (multiarch builder create NAME --node %s --tls-ca FILE ...) and use --builder NAME",
			tlsAdvice(r.TLS), builder.EnvBuildkitHost, r.Endpoint)
	}
	return fmt.Sprintf("%s; to change them: multiarch builder rm %s && multiarch builder create %s --node %s --tls-ca FILE ...",
		tlsAdvice(r.TLS), r.Builder, r.Builder, r.Endpoint)
}

func startNodeFix(r *doctor.Remedy) string {
	if r.Builder == "" {
		return fmt.Sprintf("start buildkitd at %s, or unset %s to use the embedded builder", r.Endpoint, builder.EnvBuildkitHost)
	}
	return fmt.Sprintf("start buildkitd at %s (check its TLS files), or fix the endpoint: multiarch builder rm %s && multiarch builder create %s --node ...",
		r.Endpoint, r.Builder, r.Builder)
}

// tlsAdvice says what to check when TLS with a node failed: it answered,
// so starting it is not it. It names the node's TLS options as `builder
// create` spells them; doctor's fix for a node and the hints for a failed
// node use the same words.
func tlsAdvice(e *builder.NodeTLSError) string {
	if e.Plain() {
		return "the node does not use TLS: create the builder again without --tls-* options for it"
	}
	return "the node uses TLS: --tls-ca must be the CA that signed the node's certificate, whose SAN must match " +
		"the endpoint's host (or give --tls-server-name NAME), and if the node requires client certificates, " +
		"--tls-cert and --tls-key must be a certificate and key signed by a CA it trusts"
}
