package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// Source is where the builder a verb uses comes from.
type Source string

const (
	// SourceNamed is a named builder of the store (ResolveOptions.Builder).
	SourceNamed Source = "named"
	// SourceBuildkitHost is the buildkitd at $BUILDKIT_HOST.
	SourceBuildkitHost Source = "buildkit-host"
	// SourceEmbedded is the embedded builder, a local buildkitd multiarch
	// starts itself.
	SourceEmbedded Source = "embedded"
)

// EmbeddedOptions locate the embedded builder. Every zero value is the
// default of the environment (embedded.DefaultStateDir, DefaultSocket,
// DefaultReadyTimeout), which honours $MULTIARCH_STATE_DIR and
// $MULTIARCH_SOCKET.
type EmbeddedOptions struct {
	StateDir, Socket string
	// ReadyTimeout is how long starting it waits for buildkitd to answer.
	ReadyTimeout time.Duration
}

// ResolveOptions say which builder a verb uses and how to get it running.
type ResolveOptions struct {
	// Env is the environment: $BUILDKIT_HOST, the store's config dir and
	// the embedded builder's defaults.
	Env Env
	// Builder names a builder of the store; it wins over everything.
	Builder string
	// Start starts the embedded builder when it is the one and does not
	// answer (build, test); doctor and status only look at it.
	Start bool
	// Insecure are the registries the embedded builder must reach over
	// plain HTTP: they go into its config, and a running one whose config
	// lacks them is restarted (with Start).
	Insecure []string
	// Entitlements are what the build asks the daemon to grant; a running
	// embedded builder whose config does not grant them is restarted.
	Entitlements []string
	// Embedded locates the embedded builder.
	Embedded EmbeddedOptions
	// OnEmbedded is told when the embedded builder is being started or was
	// restarted, which the user must hear of (nil: not told).
	OnEmbedded func(EmbeddedEvent)
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

// ResolvedBuilder is the builder a verb uses.
type ResolvedBuilder struct {
	Source Source
	// Name is the named builder's name (SourceNamed).
	Name string
	// Nodes are the named builder's nodes, else the one node at
	// $BUILDKIT_HOST or at the embedded builder's socket.
	Nodes []builder.Node
	// Embedded is the embedded builder (SourceEmbedded).
	Embedded *embedded.Builder
	// pid is the embedded builder's buildkitd once started (Start).
	pid int
}

// Address is the address of a builder of one node (all but a named one).
func (r *ResolvedBuilder) Address() string { return r.Nodes[0].Endpoint }

// wrap says which builder err is about (see BuilderError); nil stays nil.
func (r *ResolvedBuilder) wrap(err error) error {
	if err == nil {
		return nil
	}
	e := &BuilderError{Source: r.Source, Name: r.Name, Err: err}
	if r.Source != SourceNamed {
		e.Address = r.Address()
	}
	if r.Embedded != nil {
		e.LogFile = r.Embedded.LogFile()
		var lost *builder.ConnectionLostError
		if errors.As(err, &lost) && r.pid > 0 {
			// The daemon the build ran on, and whether it is gone.
			e.PID, e.Gone = r.pid, r.Embedded.PID() != r.pid
		}
	}
	return e
}

// ResolveBuilder is the one rule for which builder build, test, ci,
// doctor and builder status use: the builder named by o.Builder, else by
// $MULTIARCH_BUILDER, else by `builder use` (see chosenBuilder; an
// *builder.UnknownBuilderError when the store lacks it, "embedded" the
// embedded builder), else the buildkitd at $BUILDKIT_HOST, else the
// embedded builder, started on demand with o.Start (told to
// o.OnEmbedded).
func ResolveBuilder(ctx context.Context, o ResolveOptions) (*ResolvedBuilder, error) {
	name, err := chosenBuilder(o.Env, o.Builder)
	if err != nil {
		return nil, err
	}
	if name.name != "" && name.name != builder.EmbeddedName {
		b, err := store(o.Env).Get(name.name)
		if err != nil {
			return nil, name.wrap(err)
		}
		return &ResolvedBuilder{Source: SourceNamed, Name: b.Name, Nodes: b.Nodes}, nil
	}
	if addr, ok := o.Env.Lookup(builder.EnvBuildkitHost); ok && name.name == "" {
		return &ResolvedBuilder{Source: SourceBuildkitHost, Nodes: []builder.Node{{Endpoint: addr}}}, nil
	}
	cleaned := func(c embedded.Cleaned) {
		if c.Any() && o.OnEmbedded != nil {
			o.OnEmbedded(EmbeddedEvent{Cleaned: c})
		}
	}
	e, err := newEmbedded(o.Env, o.Embedded, o.Logger, embedded.WithInsecureRegistries(o.Insecure...), embedded.WithOnCleaned(cleaned))
	if err != nil {
		return nil, err
	}
	r := &ResolvedBuilder{Source: SourceEmbedded, Nodes: []builder.Node{{Endpoint: e.Address()}}, Embedded: e}
	if o.Start {
		r.pid, err = startEmbedded(ctx, e, o)
		return r, r.wrap(err)
	}
	return r, nil
}

// startEmbedded starts e unless it answers with the config it needs,
// telling the user when it starts or restarts it, and returns its
// buildkitd's pid.
func startEmbedded(ctx context.Context, e *embedded.Builder, o ResolveOptions) (int, error) {
	st, err := e.Status(ctx)
	if err != nil {
		return 0, err
	}
	if st.Reachable && len(o.Insecure) == 0 && len(o.Entitlements) == 0 {
		return st.PID, nil
	}
	tell := func(restarted bool) {
		if o.OnEmbedded != nil {
			o.OnEmbedded(EmbeddedEvent{Restarted: restarted, Socket: e.Socket(), LogFile: e.LogFile(), Insecure: o.Insecure, Entitlements: o.Entitlements})
		}
	}
	if !st.Reachable {
		tell(false)
	}
	up, started, err := e.Up(ctx)
	if err != nil {
		return 0, err
	}
	if st.Reachable && started {
		tell(true)
	}
	return up.PID, nil
}

// EmbeddedEvent says ResolveBuilder starts the embedded builder (it did
// not answer), restarted it (its config lacked Insecure), or, before
// starting it, cleaned what a killed daemon had left (Cleaned not zero).
type EmbeddedEvent struct {
	Restarted       bool
	Socket, LogFile string
	Insecure        []string
	Entitlements    []string
	Cleaned         embedded.Cleaned
}

// store is the named-builder store of the environment's config dir
// ($MULTIARCH_CONFIG_DIR, else builder.DefaultConfigDir's).
func store(env Env) *builder.Store {
	return builder.NewStore(builder.DefaultConfigDir(env.Get))
}

// newEmbedded is the embedded builder of the environment at o, then opts.
func newEmbedded(env Env, o EmbeddedOptions, log *slog.Logger, opts ...embedded.Option) (*embedded.Builder, error) {
	base := []embedded.Option{embedded.WithEnv(env.Get), embedded.WithStateDir(o.StateDir), embedded.WithSocket(o.Socket)}
	if o.ReadyTimeout != 0 {
		base = append(base, embedded.WithReadyTimeout(o.ReadyTimeout))
	}
	if log != nil {
		base = append(base, embedded.WithLogger(log))
	}
	return embedded.New(append(base, opts...)...)
}

// stopGrace is how long the embedded daemon may stay stopped during a
// build or test before the run is given up (see WatchStopped).
const stopGrace = 5 * time.Second

// watch returns ctx cancelled, with a *embedded.HungError as its cause,
// when the embedded daemon r started stays stopped; stop ends the watch.
// For other builders it returns ctx unchanged.
func (r *ResolvedBuilder) watch(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.Embedded == nil || r.pid <= 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	go r.Embedded.WatchStopped(ctx, r.pid, stopGrace, cancel)
	return ctx, func() { cancel(nil) }
}

// hung is the *embedded.HungError that ended ctx, in place of err (the
// cancellation it caused), else err.
func hung(ctx context.Context, err error) error {
	if h := hungCause(ctx); err != nil && h != nil {
		return fmt.Errorf("%w (the build waiting on it was stopped: %v)", h, err)
	}
	return err
}

// hungCause is the *embedded.HungError that ended ctx, if one did.
func hungCause(ctx context.Context) *embedded.HungError {
	var h *embedded.HungError
	if errors.As(context.Cause(ctx), &h) {
		return h
	}
	return nil
}
