package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
)

// Secret is one secret the build's RUN steps may mount (buildx --secret,
// `RUN --mount=type=secret,id=ID`). It is lent to the builder through the
// build's session when a RUN asks for it and never becomes part of the
// build's options sent to the daemon, its images, caches or output.
type Secret struct {
	// ID is the name the Dockerfile mounts it by.
	ID string
	// File is read when a RUN asks for it (checked beforehand: a regular
	// file of at most MaxSecretSize bytes); empty when Value is set.
	File string
	// Value is the secret itself (e.g. an environment variable's, read by
	// the caller: libraries read no environment).
	Value []byte
}

// String names the secret and its source, never its value, so that a
// logged or printed Options carries none.
func (s Secret) String() string {
	if s.File != "" {
		return fmt.Sprintf("secret %s (file %s)", s.ID, s.File)
	}
	return fmt.Sprintf("secret %s (value redacted)", s.ID)
}

// GoString is String, so that %#v shows no value either.
func (s Secret) GoString() string { return s.String() }

// MaxSecretSize is the largest secret BuildKit hands to a RUN.
const MaxSecretSize = secretsprovider.MaxSecretSize

// SSHAgent is one SSH agent the build's RUN steps may reach (buildx --ssh,
// `RUN --mount=type=ssh[,id=ID]`): the agent listening on one socket, or
// an agent BuildKit's session serves holding private keys read from
// files (unencrypted PEM or OpenSSH keys).
type SSHAgent struct {
	// ID is what the mount names ("default" when it names none).
	ID string
	// Paths is one agent socket, or one or more key files; never empty
	// (the caller resolves $SSH_AUTH_SOCK: libraries read no environment).
	Paths []string
}

// SecretInputError says a --secret or --ssh source cannot be used: what is
// wrong with which ID. It is found before any builder is contacted.
type SecretInputError struct {
	// Kind is "secret" or "ssh".
	Kind string
	ID   string
	Err  error
}

func (e *SecretInputError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Kind, e.ID, e.Err)
}

func (e *SecretInputError) Unwrap() error { return e.Err }

// checkSecrets checks every secret and SSH source as the session will use
// them: IDs given and unique, files readable and small enough, sockets
// and keys usable (BuildKit's own sshprovider parses them).
func (o Options) checkSecrets() error {
	seen := map[string]bool{}
	for _, s := range o.Secrets {
		if err := checkSecret(s, seen); err != nil {
			return &SecretInputError{Kind: "secret", ID: s.ID, Err: err}
		}
	}
	seen = map[string]bool{}
	for _, a := range o.SSH {
		if a.ID == "" || seen[a.ID] {
			return &SecretInputError{Kind: "ssh", ID: a.ID, Err: fmt.Errorf("%w: empty or duplicate id", ErrInvalidOptions)}
		}
		seen[a.ID] = true
		if len(a.Paths) == 0 {
			return &SecretInputError{Kind: "ssh", ID: a.ID, Err: fmt.Errorf("%w: no agent socket or key file", ErrInvalidOptions)}
		}
		if _, err := sshprovider.NewSSHAgentProvider([]sshprovider.AgentConfig{{ID: a.ID, Paths: a.Paths}}); err != nil {
			return &SecretInputError{Kind: "ssh", ID: a.ID, Err: fmt.Errorf("%s: %w: want one agent socket, or private key files without a passphrase", strings.Join(a.Paths, ","), rootCause(err))}
		}
	}
	return nil
}

func checkSecret(s Secret, seen map[string]bool) error {
	switch {
	case s.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidOptions)
	case seen[s.ID]:
		return fmt.Errorf("%w: given twice", ErrInvalidOptions)
	case s.File != "" && s.Value != nil:
		return fmt.Errorf("%w: both a file and a value", ErrInvalidOptions)
	case len(s.Value) > MaxSecretSize:
		return fmt.Errorf("%w: %d bytes, more than BuildKit's limit of %d", ErrInvalidOptions, len(s.Value), MaxSecretSize)
	}
	seen[s.ID] = true
	if s.File == "" {
		return nil
	}
	fi, err := os.Stat(s.File)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrInvalidOptions, s.File)
	}
	if fi.Size() > MaxSecretSize {
		return fmt.Errorf("%w: %s has %d bytes, more than BuildKit's limit of %d", ErrInvalidOptions, s.File, fi.Size(), MaxSecretSize)
	}
	f, err := os.Open(s.File)
	if err != nil {
		return err
	}
	return f.Close()
}

// rootCause is the innermost error of err's chain: sshprovider wraps its
// reason in two layers that repeat the config.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// sessionSecrets returns the session attachables that lend o's secrets
// and SSH agents to a solve (none without them, so a build without them
// sends what it sent before). Each node's session gets its own.
func (o Options) sessionSecrets() ([]session.Attachable, error) {
	var out []session.Attachable
	if len(o.Secrets) > 0 {
		out = append(out, secretsprovider.NewSecretProvider(secretStore(o.Secrets)))
	}
	if len(o.SSH) > 0 {
		confs := make([]sshprovider.AgentConfig, len(o.SSH))
		for i, a := range o.SSH {
			confs[i] = sshprovider.AgentConfig{ID: a.ID, Paths: a.Paths}
		}
		p, err := sshprovider.NewSSHAgentProvider(confs)
		if err != nil {
			return nil, fmt.Errorf("ssh: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// secretStore serves values from memory and files when asked (a file
// changed since the check is read as it is then).
type secretStore []Secret

func (st secretStore) GetSecret(_ context.Context, id string) ([]byte, error) {
	for _, s := range st {
		if s.ID != id {
			continue
		}
		if s.File == "" {
			return s.Value, nil
		}
		return os.ReadFile(s.File)
	}
	return nil, fmt.Errorf("secret %s: %w", id, secrets.ErrNotFound)
}

// MissingSecretError says a RUN step mounts a secret (Kind "secret") or an
// SSH agent (Kind "ssh") as required that the build was not given, so
// the step could not run and nothing was exported.
type MissingSecretError struct {
	Kind string
	ID   string
	// Err is BuildKit's answer, as text.
	Err error
}

func (e *MissingSecretError) Error() string {
	if e.Kind == "ssh" {
		return fmt.Sprintf("a RUN step mounts the SSH agent %q (--mount=type=ssh), and the build forwards none by that id: %v", e.ID, e.Err)
	}
	return fmt.Sprintf("a RUN step mounts the secret %q (--mount=type=secret), and the build was given none by that id: %v", e.ID, e.Err)
}

func (e *MissingSecretError) Unwrap() error { return e.Err }

// BuildKit v0.34 says a required mount's source is missing in these words,
// as text through the solve's gRPC status (session/secrets/secrets.go,
// solver/llbsolver/mounts/mount.go, session/sshforward/sshprovider). This
// is the one place that reads them.
var (
	secretMissingRE = regexp.MustCompile(`secret (\S+): not found`)
	sshMissingRE    = regexp.MustCompile(`no SSH key "([^"]*)" forwarded from the client|unset ssh forward key (\S+)`)
)

// withSecretError replaces the error of the node solve that failed in err
// (a *NodeBuildError) by a *MissingSecretError when a RUN step asked for a
// secret or SSH agent the build was not given.
func withSecretError(err error) error {
	var ne *NodeBuildError
	if !errors.As(err, &ne) {
		return err
	}
	msg := ne.Err.Error()
	if m := secretMissingRE.FindStringSubmatch(msg); m != nil {
		ne.Err = &MissingSecretError{Kind: "secret", ID: m[1], Err: errors.New(m[0])}
	} else if m := sshMissingRE.FindStringSubmatch(msg); m != nil {
		id := strings.TrimSpace(m[1] + m[2])
		if id == "" { // a mount without id= asks for the default agent
			id = sshforward.DefaultID
		}
		ne.Err = &MissingSecretError{Kind: "ssh", ID: id, Err: errors.New(m[0])}
	}
	return err
}
