package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gatewayapi "github.com/moby/buildkit/frontend/gateway/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// gatewayContainer is a Container over a solved root file system in a
// gateway session: an image pulled by RunInImage or, later, a build
// result before export.
type gatewayContainer struct {
	gc       gateway.Client
	ref      gateway.Reference
	platform platform.Platform
	env      []string
	dir      string
	user     string
	// holder holds the container as its PID 1, when there is one: see Run
	// and setHolder.
	holder *holder
	// shared, when set, holds the one container every Run uses (see
	// Shared).
	shared *sharedContainer
	// unlisted remembers the directories of the root file system that
	// could not be listed; copies share it.
	unlisted *dirSet
}

func newGatewayContainer(gc gateway.Client, ref gateway.Reference, p platform.Platform, cfg ocispecs.ImageConfig) *gatewayContainer {
	return &gatewayContainer{gc: gc, ref: ref, platform: p, env: cfg.Env, dir: cfg.WorkingDir, user: cfg.User, unlisted: &dirSet{}}
}

// dirSet is a set of directory paths, safe for concurrent use.
type dirSet struct {
	mu sync.Mutex
	m  map[string]bool
}

func (s *dirSet) has(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[dir]
}

func (s *dirSet) add(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]bool{}
	}
	s.m[dir] = true
}

func (g *gatewayContainer) Env() []string               { return append([]string(nil), g.env...) }
func (g *gatewayContainer) Platform() platform.Platform { return g.platform }

// Run runs p in a new container of the root file system and waits for it.
//
// The first process of a container is its PID 1, and PID 1 of a PID
// namespace ignores signals it sends itself. QEMU dies of a guest's fatal
// signal (SIGILL under a strict CPU model) by resetting the handler and
// killing itself, so as PID 1 it would wait forever. So a holder (see
// setHolder: the node's native one, else the image's sleep) is PID 1 and
// p runs beside it, where its signals kill it as they would anywhere.
func (g *gatewayContainer) Run(ctx context.Context, p Process) (*ProcessResult, error) {
	if len(p.Args) == 0 {
		return nil, errors.New("no command to run")
	}
	ctr, release, err := g.container(ctx)
	if err != nil {
		return nil, err
	}
	defer release()

	out := newCapture(p.OutputLimit)
	start := time.Now()
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args:   p.Args,
		Env:    mergeEnv(g.env, p.Env),
		Cwd:    orDefault(g.dir, "/"),
		User:   g.user,
		Stdout: out.stdout(),
		Stderr: out.stderr(),
	})
	if err != nil {
		return nil, fmt.Errorf("start %q: %w", p.Args[0], err)
	}
	err = proc.Wait()
	res := out.result(time.Since(start))
	if ctx.Err() != nil {
		return res, context.Cause(ctx)
	}
	var ee *gatewayapi.ExitError
	if errors.As(err, &ee) {
		if x := exitError(int(ee.ExitCode)); x != nil {
			return res, x
		}
		return res, nil
	}
	return res, err
}

// ReadFile reads the head of a file of the root file system.
func (g *gatewayContainer) ReadFile(ctx context.Context, name string, limit int) ([]byte, error) {
	if !path.IsAbs(name) {
		return nil, fmt.Errorf("read %s: %w", name, fs.ErrInvalid)
	}
	req := gateway.ReadRequest{Filename: name}
	if limit > 0 {
		req.Range = &gateway.FileRange{Length: limit}
	}
	b, err := g.ref.ReadFile(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// LookPath finds file as the container's PATH lookup would: a name with a
// slash as it is (relative to the working directory), else in each PATH
// directory of the image (or BuildKit's default PATH). A file found by
// neither is an error wrapping fs.ErrNotExist.
func (g *gatewayContainer) LookPath(ctx context.Context, file string) (string, error) {
	var candidates []string
	if strings.Contains(file, "/") {
		candidates = []string{path.Join(orDefault(g.dir, "/"), file)}
	} else {
		for _, d := range strings.Split(g.pathEnv(), ":") {
			if path.IsAbs(d) {
				candidates = append(candidates, path.Join(d, file))
			}
		}
	}
	for _, c := range candidates {
		if g.exists(ctx, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: %w in the image", file, fs.ErrNotExist)
}

// exists lists the parent directory for the name: a directory that cannot
// be listed does not hold it, whatever the reason. The root file system
// does not change, so such a directory is not asked about again (most
// PATH directories of a small image do not exist, and each question is a
// round trip to the builder).
func (g *gatewayContainer) exists(ctx context.Context, p string) bool {
	dir, base := path.Split(p)
	if g.unlisted.has(dir) {
		return false
	}
	sts, err := g.ref.ReadDir(ctx, gateway.ReadDirRequest{Path: dir, IncludePattern: base})
	if err != nil {
		if ctx.Err() == nil {
			g.unlisted.add(dir)
		}
		return false
	}
	for _, st := range sts {
		if path.Base(st.Path) == base {
			return true
		}
	}
	return false
}

func (g *gatewayContainer) pathEnv() string {
	dirs := defaultPath
	for _, kv := range g.env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = v
		}
	}
	return dirs
}

// defaultPath is BuildKit's PATH for containers whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// mergeEnv returns base with extra applied: same keys replaced, new ones
// appended.
func mergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, b := range out {
			if bk, _, _ := strings.Cut(b, "="); bk == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
