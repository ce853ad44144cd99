package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// envSSHAuthSock is the agent socket `--ssh default` (or an ID without
// paths) forwards, as buildx does.
const envSSHAuthSock = "SSH_AUTH_SOCK"

// secretFlags are build's --secret and --ssh, in buildx's spellings.
type secretFlags struct {
	secrets, ssh []string
}

func addSecretFlags(fl *pflag.FlagSet, f *secretFlags) {
	fl.StringArrayVar(&f.secrets, "secret", nil, "id=ID[,src=FILE|,env=VAR] (or type=file|env) secret a RUN --mount=type=secret reads; never stored in the image, cache or output; repeatable")
	fl.StringArrayVar(&f.ssh, "ssh", nil, "default|ID[=SOCKET|KEY[,KEY]] SSH agent a RUN --mount=type=ssh reaches (default: $"+envSSHAuthSock+"); repeatable")
}

// apply parses the flags into o, reading the environment variables and
// checking the files they name before any builder is contacted. No
// secret's value is ever part of an error.
func (f *secretFlags) apply(o *build.Options) error {
	seen := map[string]bool{}
	for _, s := range f.secrets {
		sec, err := parseSecret(s)
		if err != nil {
			return fmt.Errorf("--secret %q: %w", s, err)
		}
		if seen[sec.ID] {
			return fmt.Errorf("--secret %q: id %s is given twice; give each id once", s, sec.ID)
		}
		seen[sec.ID] = true
		o.Secrets = append(o.Secrets, sec)
	}
	seen = map[string]bool{}
	for _, s := range f.ssh {
		a, err := parseSSH(s)
		if err != nil {
			return fmt.Errorf("--ssh %q: %w", s, err)
		}
		if seen[a.ID] {
			return fmt.Errorf("--ssh %q: id %s is given twice; give each id once", s, a.ID)
		}
		seen[a.ID] = true
		o.SSH = append(o.SSH, a)
	}
	return nil
}

// secretSpec is one --secret's attributes as written.
type secretSpec struct {
	typ, id, src, env string
}

// parseSecret reads --secret as buildx does (util/buildflags/secrets.go):
// comma separated key=value fields (CSV quoting allowed), keys type
// (file|env), id, src or source, env; type=env takes src as the variable's
// name. With id alone the secret is $ID when that is set, else the file
// ID. The value is read here from the environment, files are checked
// here and read when a RUN asks.
func parseSecret(s string) (build.Secret, error) {
	sp, err := secretFields(s)
	if err != nil {
		return build.Secret{}, err
	}
	if sp.id == "" {
		return build.Secret{}, errors.New("no id: write id=ID,src=FILE or id=ID,env=VAR")
	}
	if sp.typ == "env" && sp.env == "" {
		sp.env, sp.src = sp.src, ""
	}
	switch {
	case sp.src != "" && sp.env != "":
		return build.Secret{}, errors.New("both src and env: give one source, id=ID,src=FILE or id=ID,env=VAR")
	case sp.typ == "file" && sp.env != "":
		return build.Secret{}, errors.New("type=file takes src=FILE, not env=")
	case sp.env == "" && sp.src == "":
		return defaultSecret(sp)
	case sp.env != "":
		return envSecret(sp.id, sp.env)
	}
	return fileSecret(sp.id, sp.src)
}

// secretFields splits s into its attributes, refusing unknown keys and
// types.
func secretFields(s string) (secretSpec, error) {
	var sp secretSpec
	r := csv.NewReader(strings.NewReader(s))
	fields, err := r.Read()
	if err != nil {
		return sp, fmt.Errorf("not comma separated key=value fields: %v", err)
	}
	for _, field := range fields {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return sp, fmt.Errorf("%q is not key=value; write id=ID,src=FILE or id=ID,env=VAR", field)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "type":
			if v != "file" && v != "env" {
				return sp, fmt.Errorf("unsupported type %q: type=file (src=FILE) or type=env (env=VAR)", v)
			}
			sp.typ = v
		case "id":
			sp.id = v
		case "src", "source":
			sp.src = v
		case "env":
			sp.env = v
		default:
			return sp, fmt.Errorf("unknown key %q: the keys are id, src (or source), env and type", k)
		}
	}
	return sp, nil
}

// defaultSecret is --secret id=ID with no source: $ID when set (unless
// type=file), else the file ID (unless type=env), as BuildKit's store
// resolves it for buildx.
func defaultSecret(sp secretSpec) (build.Secret, error) {
	if _, ok := lookupEnv(sp.id); ok && sp.typ != "file" || sp.typ == "env" {
		return envSecret(sp.id, sp.id)
	}
	if _, err := os.Stat(sp.id); err != nil && sp.typ == "" {
		return build.Secret{}, fmt.Errorf("no source: $%s is not set and there is no file %s; give id=%s,src=FILE or id=%s,env=VAR", sp.id, sp.id, sp.id, sp.id)
	}
	return fileSecret(sp.id, sp.id)
}

func envSecret(id, name string) (build.Secret, error) {
	v, ok := lookupEnv(name)
	if !ok {
		return build.Secret{}, fmt.Errorf("environment variable %s is not set; export it or give id=%s,src=FILE", name, id)
	}
	return build.Secret{ID: id, Value: []byte(v)}, nil
}

func fileSecret(id, path string) (build.Secret, error) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return build.Secret{}, fmt.Errorf("src %s: %w; give an existing file or id=%s,env=VAR", path, errors.Unwrap(err), id)
	case !fi.Mode().IsRegular():
		return build.Secret{}, fmt.Errorf("src %s is not a regular file", path)
	case fi.Size() > build.MaxSecretSize:
		return build.Secret{}, fmt.Errorf("src %s has %d bytes; BuildKit lends at most %d", path, fi.Size(), build.MaxSecretSize)
	}
	return build.Secret{ID: id, File: path}, nil
}

// parseSSH reads --ssh as buildx does (util/buildflags/ssh.go): ID, or
// ID=PATH[,PATH...] with one agent socket or private key files. Without
// paths the agent is $SSH_AUTH_SOCK's, which must be set. Every path must
// exist; BuildKit's sshprovider then checks keys parse (build.Validate).
func parseSSH(s string) (build.SSHAgent, error) {
	id, rest, hasPaths := strings.Cut(s, "=")
	id = strings.TrimSpace(id)
	if id == "" {
		return build.SSHAgent{}, errors.New("no id: write default, default=SOCKET|KEY or ID=SOCKET|KEY[,KEY]")
	}
	a := build.SSHAgent{ID: id}
	if !hasPaths {
		sock := getenv(envSSHAuthSock)
		if sock == "" {
			return a, fmt.Errorf("$%s is not set: start an agent (eval $(ssh-agent) && ssh-add KEY) or give %s=SOCKET or %s=KEYFILE", envSSHAuthSock, id, id)
		}
		a.Paths = []string{sock}
	} else {
		for p := range strings.SplitSeq(rest, ",") {
			if p == "" {
				return a, fmt.Errorf("empty path: write %s=SOCKET or %s=KEY[,KEY]", id, id)
			}
			a.Paths = append(a.Paths, p)
		}
	}
	for _, p := range a.Paths {
		if _, err := os.Stat(p); err != nil {
			return a, fmt.Errorf("%s: %w: give a running agent's socket or a private key file", p, errors.Unwrap(err))
		}
	}
	return a, nil
}
