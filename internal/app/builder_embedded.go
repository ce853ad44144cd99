package app

import (
	"context"
	"log/slog"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// EmbeddedBuilderOptions locate the embedded builder for up and down.
type EmbeddedBuilderOptions struct {
	// Env is the environment: the embedded builder's defaults and
	// $BUILDKIT_HOST.
	Env      Env
	Embedded EmbeddedOptions
	// Settings change the embedded builder's kept settings (up only; nil or
	// none given: keep them).
	Settings *UpSettings
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

// UpReport is what BuilderUp did.
type UpReport struct {
	Status *builder.NodeStatus
	// Started says this call started it (else it was running).
	Started bool
	// Restarted says it was running and was restarted: its config
	// changed (settings, insecure registries).
	Restarted bool
	// Settings are those it runs with, and ConfigFile its generated
	// buildkitd.toml.
	Settings   embedded.Settings
	ConfigFile string
	LogFile    string
	// Cleaned is what a killed daemon had left and was cleaned before
	// the start.
	Cleaned embedded.Cleaned
	// BuildkitHost is $BUILDKIT_HOST when it is set to another builder
	// than this one: build and test use that one, not this one.
	BuildkitHost string
}

// BuilderUp starts the embedded builder unless it runs, and waits until
// it answers; before it starts buildkitd it cleans what a killed one left
// (containers, mounts). Its failures are a *BuilderError of the embedded
// builder (a running buildkitd that does not answer: an
// *embedded.HungError).
func BuilderUp(ctx context.Context, o EmbeddedBuilderOptions) (*UpReport, error) {
	rep := &UpReport{}
	e, err := embeddedWithSettings(o, embedded.WithOnCleaned(func(c embedded.Cleaned) { rep.Cleaned = c }))
	if err != nil {
		return nil, err
	}
	rep.LogFile, rep.Settings, rep.ConfigFile = e.LogFile(), e.Settings(), e.ConfigFile()
	running := e.PID() > 0
	rep.Status, rep.Started, err = e.Up(ctx)
	rep.Restarted = running && rep.Started
	if err != nil {
		return nil, &BuilderError{Source: SourceEmbedded, Address: e.Address(), LogFile: e.LogFile(), Err: err}
	}
	if addr, ok := o.Env.Lookup(builder.EnvBuildkitHost); ok && addr != e.Address() {
		rep.BuildkitHost = addr
	}
	return rep, nil
}

// DownReport is what BuilderDown did.
type DownReport struct {
	// Stopped says buildkitd was running and was stopped.
	Stopped bool
	// Cleaned is what it (killed) or an earlier killed daemon left and
	// was cleaned.
	Cleaned embedded.Cleaned
}

// BuilderDown stops the embedded builder, a stopped or stuck one too, and
// cleans what it left.
func BuilderDown(ctx context.Context, o EmbeddedBuilderOptions) (*DownReport, error) {
	rep := &DownReport{}
	e, err := newEmbedded(o.Env, o.Embedded, o.Logger, embedded.WithOnCleaned(func(c embedded.Cleaned) { rep.Cleaned = c }))
	if err != nil {
		return nil, err
	}
	rep.Stopped, err = e.Down(ctx)
	if err != nil {
		return rep, &BuilderError{Source: SourceEmbedded, Address: e.Address(), LogFile: e.LogFile(), Err: err}
	}
	return rep, nil
}

// StatusOptions say which builder BuilderStatus reports.
type StatusOptions struct {
	// Env is the environment ResolveBuilder reads.
	Env Env
	// Builder names the builder of the store to report (default: see
	// ResolveBuilder; the embedded builder is not started).
	Builder string
	// Embedded locates the embedded builder.
	Embedded EmbeddedOptions
	// Logger gets debug detail (default: discard).
	Logger *slog.Logger
}

// StatusReport is the state of the builder ResolveBuilder picks.
type StatusReport struct {
	Source Source
	// Status is the one builder's state (all but a named builder); a
	// builder that does not answer has Reachable false.
	Status *builder.NodeStatus
	// Name and Nodes are the named builder and its nodes' states.
	Name  string
	Nodes []NodeState
	// Settings are the embedded builder's kept settings (`builder up
	// --mirror`, ...) and ConfigFile its generated buildkitd.toml.
	Settings   embedded.Settings
	ConfigFile string
}

// NodeState is one node's answer to a probe: its status, or the error
// (a *builder.NodeTLSError, *builder.UnreachableError, ...).
type NodeState struct {
	Node   builder.Node
	Status *builder.NodeStatus
	Err    error
}

// BuilderStatus reports whether the builder build would use answers and
// its workers' platforms: every node of a named one, asked at once.
func BuilderStatus(ctx context.Context, o StatusOptions) (*StatusReport, error) {
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: o.Env, Builder: o.Builder, Embedded: o.Embedded, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{Source: b.Source, Name: b.Name}
	switch b.Source {
	case SourceNamed:
		rep.Nodes = probeNodes(ctx, b.Nodes)
	case SourceBuildkitHost:
		st, err := builder.Probe(ctx, b.Address())
		if err != nil {
			st = &builder.NodeStatus{Address: b.Address()}
		}
		rep.Status = st
	default:
		if rep.Status, err = b.Embedded.Status(ctx); err != nil {
			return nil, b.wrap(err)
		}
		rep.Settings, rep.ConfigFile = b.Embedded.Settings(), b.Embedded.ConfigFile()
	}
	return rep, nil
}
