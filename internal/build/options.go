package build

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Options configure one multi-platform build.
type Options struct {
	// ContextDir is the build context (default ".").
	ContextDir string
	// Dockerfile is the Dockerfile path (default <ContextDir>/Dockerfile).
	Dockerfile string
	// ContextDir may also be a git or http(s) URL the builder fetches
	// (IsRemoteContext; Dockerfile then is a path inside it, unless
	// absolute), and ContextDir or Dockerfile may be "-" (StdinName): read
	// from Stdin, a tar of the context or a Dockerfile (see spoolStdin).
	// NamedContexts are buildx's --build-context, given to every node.
	Stdin         io.Reader
	NamedContexts []NamedContext
	// contextTar is the spooled tar of a "-" context.
	contextTar string
	// Platforms to build; at least one.
	Platforms []platform.Platform
	// Tags name the image; all of them are pushed in one export.
	Tags []string
	// Push pushes the index under every tag (needs Tags).
	Push bool
	// OCIDest writes the index as an OCI layout tarball to this file:
	// into a temp file in the same directory, renamed into place only when
	// the build succeeded and removed on any failure or cancel, so a
	// failed build leaves no file. It is checked before any builder is
	// contacted (CheckOutputPath): not a directory or other non-regular
	// file, in a directory that exists and takes new files.
	OCIDest string
	// OCIStream, when set (and OCIDest is not), receives the OCI layout
	// tarball instead of a file, e.g. standard output. The tarball is
	// spooled to a temp file and copied to OCIStream only after the build
	// succeeded: a failed build writes nothing to it.
	OCIStream io.Writer
	// Export is an output other than the push and the OCI tarball above:
	// an OCI layout directory, a docker archive, a filesystem tarball or
	// directory, or an index built without push (see Export). It is
	// checked before any builder is contacted, as OCIDest is.
	Export *Export
	// BuildArgs are passed as --build-arg K=V.
	BuildArgs map[string]string
	// Target is the stage to build (default: the last one).
	Target string
	// NoCache rebuilds every step, reusing nothing of the builder's cache
	// (buildx --no-cache); NoCacheFilter rebuilds only the steps of these
	// stages (--no-cache-filter). Both map to the frontend's no-cache
	// attribute, set only when asked, so a build without them sends what
	// it sent before.
	NoCache       bool
	NoCacheFilter []string
	// Pull resolves every FROM image from its registry again instead of
	// using the builder's copy (buildx --pull: image-resolve-mode=pull).
	Pull bool
	// Labels are set on every image config, like LABEL K=V.
	Labels map[string]string
	// Annotations go on the platform manifests and/or the index.
	Annotations []Annotation
	// CacheFrom and CacheTo are caches to import and export. In a
	// multi-node build every node exports a registry cache to the ref's
	// tag suffixed with -node<N> (its place in the builder), a local one
	// to the subdirectory node<N>, and imports both that and the shared
	// one; an inline cache is refused there. A local cache-to directory
	// the build created is removed when it fails.
	CacheFrom, CacheTo []CacheSpec
	// Secrets and SSH are lent to the RUN steps that mount them
	// (--mount=type=secret / type=ssh) through each node's build session;
	// they are checked before any builder is contacted (*SecretInputError)
	// and a required one the build lacks fails it (*MissingSecretError).
	Secrets []Secret
	SSH     []SSHAgent
	// Attests are the attestations to make (buildx --attest, --provenance,
	// --sbom; the last of a type wins). A push without a provenance entry
	// gets provenance mode=min, as in buildx; a Disabled entry turns a
	// type off. BuildKit adds them to the index as attestation manifests
	// (platform unknown/unknown) next to each platform image.
	Attests []Attest
	// Network is the RUN steps' sandbox: network mode, entitlements,
	// extra hosts, /dev/shm size, ulimits (buildx's flags).
	Network Network
	// Test, when set, is called inside each node's build session with a
	// container of every platform that node built, after the solve and
	// before anything is exported (the solve runs as a gateway build
	// then). When it returns an error the build fails with it (wrapped in
	// a *NodeBuildError): no node exports, no tag is pushed or moved, no
	// OCI file is written. Nodes call it concurrently.
	Test TestFunc
	// Registry is how this process reaches registries (push check,
	// read-back, index merge) and which credentials the daemon is lent:
	// its Keychain (default docker's config and credential helpers) and
	// Insecure, the registries (host or host:port) reached over plain HTTP
	// (loopback registries always are; the exporter is told to as well).
	// The daemon needs its own entry: the embedded builder gets one through
	// embedded.WithInsecureRegistries, a remote node in its buildkitd.toml.
	// Its Logger defaults to Logger.
	Registry registry.Options
	// Display draws progress (nil: none).
	Display *Display
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

// Validate checks opts as Build does before it contacts any builder: the
// context and Dockerfile exist, platforms and tags are well formed.
func Validate(opts Options) error {
	_, err := opts.withDefaults()
	return err
}

// ErrInvalidOptions is wrapped by errors of Validate about option values.
var ErrInvalidOptions = errors.New("invalid build options")

// withDefaults fills the defaults and checks what can be checked without
// a builder: the Dockerfile exists, platforms and tags are well formed.
func (o Options) withDefaults() (Options, error) {
	if o.ContextDir == "" {
		o.ContextDir = "."
	}
	if o.Dockerfile == "" {
		o.Dockerfile = o.dockerfileDefault()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry.Logger == nil {
		o.Registry.Logger = o.Logger
	}
	if err := o.validate(); err != nil {
		return o, err
	}
	return o, nil
}

func (o Options) validate() error {
	if err := o.validateInputs(); err != nil {
		return err
	}
	if len(o.Platforms) == 0 {
		return fmt.Errorf("%w: no platform given", ErrInvalidOptions)
	}
	if o.Push && len(o.Tags) == 0 {
		return fmt.Errorf("%w: push needs at least one tag", ErrInvalidOptions)
	}
	if o.Push && o.ociOut() {
		return fmt.Errorf("%w: choose push or an OCI output, not both", ErrInvalidOptions)
	}
	if o.OCIDest != "" && o.OCIStream != nil {
		return fmt.Errorf("%w: an OCI output goes to a file or a stream, not both", ErrInvalidOptions)
	}
	if err := o.checkCaches(); err != nil {
		return err
	}
	if o.OCIDest != "" {
		if err := CheckOutputPath(o.OCIDest); err != nil {
			return err
		}
	}
	if err := o.validateExport(); err != nil {
		return err
	}
	for _, t := range o.Tags {
		if err := registry.CheckReference(t); err != nil {
			return fmt.Errorf("%w: tag %q: %v", ErrInvalidOptions, t, err)
		}
	}
	return o.checkSecrets()
}

// ociOut reports whether the build writes an OCI tarball (to a file or a
// stream).
func (o Options) ociOut() bool { return o.OCIDest != "" || o.OCIStream != nil }
