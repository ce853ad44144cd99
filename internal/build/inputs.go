package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/upload/uploadprovider"
	"github.com/tonistiigi/fsutil"
)

// StdinName is the ContextDir or Dockerfile that means "read it from
// Options.Stdin", as in buildx.
const StdinName = "-"

// contextForms is what a build context may be, for errors.
const contextForms = "a directory, a git URL (https://HOST/REPO.git#REF:SUBDIR, git://HOST/REPO#REF, git@HOST:REPO#REF), an http(s) URL of a tarball, or - (a tar of the context, or a Dockerfile, on standard input)"

// remote reports whether the context is fetched by the builder itself.
func (o Options) remote() bool { return IsRemoteContext(o.ContextDir) }

// localContext reports whether the context is a directory of this host
// (as given, or standard input once spooled).
func (o Options) localContext() bool { return !o.remote() && o.ContextDir != StdinName }

// validateInputs checks the context, the Dockerfile and the named
// contexts before any builder is contacted; standard input is not read
// here (spoolStdin reads it).
func (o Options) validateInputs() error {
	if o.ContextDir == StdinName && o.Dockerfile == StdinName {
		return fmt.Errorf("%w: the context and the Dockerfile cannot both be read from standard input; give a tar of the context on it (its Dockerfile inside), or a Dockerfile with a context directory", ErrUnsupportedInput)
	}
	if (o.ContextDir == StdinName || o.Dockerfile == StdinName) && o.Stdin == nil {
		return fmt.Errorf("%w: - reads standard input, and none was given", ErrUnsupportedInput)
	}
	switch {
	case o.remote():
		if err := checkRemote(o.ContextDir); err != nil {
			return fmt.Errorf("build context: %w", err)
		}
	case o.ContextDir == StdinName:
	case strings.Contains(o.ContextDir, "://"):
		scheme, _, _ := strings.Cut(o.ContextDir, "://")
		return fmt.Errorf("%w: build context %s: scheme %s:// is not supported; a context is %s", ErrUnsupportedInput, o.ContextDir, scheme, contextForms)
	default:
		if fi, err := os.Stat(o.ContextDir); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("build context %s: no such directory; a context is %s: %w", o.ContextDir, contextForms, err)
		} else if err != nil {
			return fmt.Errorf("build context: %w", err)
		} else if !fi.IsDir() {
			return fmt.Errorf("%w: build context %s is not a directory; a context is %s", ErrInvalidOptions, o.ContextDir, contextForms)
		}
	}
	if o.Dockerfile != StdinName && (o.localContext() || filepath.IsAbs(o.Dockerfile)) {
		if fi, err := os.Stat(o.Dockerfile); err != nil {
			return fmt.Errorf("dockerfile: %w", err)
		} else if !fi.Mode().IsRegular() {
			return fmt.Errorf("dockerfile %s: %w", o.Dockerfile, fs.ErrInvalid)
		}
	}
	return o.validateNamed()
}

// dockerfileDefault is the Dockerfile of a build that names none: in the
// context directory, or "Dockerfile" inside a remote or tar context.
func (o Options) dockerfileDefault() string {
	if o.localContext() {
		return filepath.Join(o.ContextDir, "Dockerfile")
	}
	return ""
}

// spoolStdin reads Stdin when the context or the Dockerfile is "-", into
// a temp dir (memory stays bounded whatever its size) that release
// removes: a tar (or gzip, bzip2, xz) on it is the context, uploaded to
// every node's solve; anything else is a Dockerfile, with an empty
// context unless a context directory is given. As buildx does.
func (o Options) spoolStdin() (_ Options, release func(), err error) {
	release = func() {}
	if o.ContextDir != StdinName && o.Dockerfile != StdinName {
		return o, release, nil
	}
	dir, err := os.MkdirTemp("", "multiarch-stdin-")
	if err != nil {
		return o, release, err
	}
	release = func() { os.RemoveAll(dir) }
	defer func() {
		if err != nil {
			release()
		}
	}()
	br := bufio.NewReaderSize(o.Stdin, 64<<10)
	head, _ := br.Peek(1024)
	if len(head) == 0 {
		return o, release, fmt.Errorf("%w: standard input is empty; give a tar of the context or a Dockerfile on it", ErrUnsupportedInput)
	}
	if o.ContextDir == StdinName && isArchive(head) {
		o.contextTar = filepath.Join(dir, "context.tar")
		return o, release, spool(br, o.contextTar)
	}
	if o.ContextDir == StdinName {
		if o.Dockerfile != "" {
			return o, release, fmt.Errorf("%w: standard input holds a Dockerfile (not a tar), and a Dockerfile is named too: give one of them", ErrUnsupportedInput)
		}
		o.ContextDir = filepath.Join(dir, "context")
		if err := os.Mkdir(o.ContextDir, 0o700); err != nil {
			return o, release, err
		}
	}
	o.Dockerfile = filepath.Join(dir, "Dockerfile")
	return o, release, spool(br, o.Dockerfile)
}

func spool(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("read standard input: %w", err)
	}
	return f.Close()
}

// isArchive reports whether head starts a tar, or a gzip, bzip2 or xz
// stream (BuildKit unpacks those), as buildx detects it.
func isArchive(head []byte) bool {
	for _, m := range [][]byte{{0x42, 0x5A, 0x68}, {0x1F, 0x8B, 0x08}, {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00}} {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	_, err := tar.NewReader(bytes.NewReader(head)).Next()
	return err == nil
}

// addInputs puts the context, the Dockerfile and the named contexts into
// so: local directories as local mounts, a remote context as the
// frontend's context attribute (the builder fetches it), a tar from
// standard input uploaded through the session (one upload per solve, so
// every node gets it).
func (o Options) addInputs(so *client.SolveOpt) error {
	so.LocalMounts = map[string]fsutil.FS{}
	switch {
	case o.contextTar != "":
		up := uploadprovider.New()
		so.FrontendAttrs["context"] = up.Add(&lazyFile{path: o.contextTar})
		so.Session = append(so.Session, session.Attachable(up))
	case o.remote():
		so.FrontendAttrs["context"] = o.ContextDir
	default:
		ctxFS, err := fsutil.NewFS(o.ContextDir)
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		so.LocalMounts["context"] = ctxFS
	}
	switch {
	case o.Dockerfile == "":
		so.FrontendAttrs["filename"] = "Dockerfile"
	case o.localContext() || filepath.IsAbs(o.Dockerfile):
		dfFS, err := fsutil.NewFS(filepath.Dir(o.Dockerfile))
		if err != nil {
			return fmt.Errorf("dockerfile dir: %w", err)
		}
		so.LocalMounts["dockerfile"] = dfFS
		so.FrontendAttrs["filename"] = filepath.Base(o.Dockerfile)
		if !o.localContext() {
			so.FrontendAttrs["dockerfilekey"] = "dockerfile"
		}
	default: // a path inside the remote or tar context
		so.FrontendAttrs["filename"] = o.Dockerfile
	}
	return o.addNamedContexts(so)
}

// lazyFile opens path on first read, so a solve that never asks for its
// upload holds no file open.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.f == nil {
		f, err := os.Open(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Read(p)
}

func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
