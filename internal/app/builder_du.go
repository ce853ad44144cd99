package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// CacheOptions say whose build cache BuilderDiskUsage and BuilderPrune
// look at: the builder ResolveBuilder picks (never started), every node
// of a named one.
type CacheOptions struct {
	Env      Env
	Builder  string
	Embedded EmbeddedOptions
	// Filters are BuildKit's cache filters (builder.CheckFilters).
	Filters []string
	// Prune says what BuilderPrune frees.
	Prune  builder.PruneOptions
	Logger *slog.Logger
}

// CacheReport is the build cache of every node of a builder: what it
// holds (disk usage) or what was freed (prune).
type CacheReport struct {
	Source Source      `json:"source"`
	Name   string      `json:"name,omitempty"`
	Nodes  []NodeCache `json:"nodes"`
}

// NodeCache is one node's records; Err when it did not answer.
type NodeCache struct {
	Name     string               `json:"name,omitempty"`
	Endpoint string               `json:"endpoint"`
	Records  []builder.DiskRecord `json:"records"`
	// Total is the records' size; Reclaimable the part not in use.
	Total       int64  `json:"total"`
	Reclaimable int64  `json:"reclaimable"`
	Err         error  `json:"-"`
	Error       string `json:"error,omitempty"`
}

// BuilderDiskUsage lists the build cache of every node of the builder.
// A node that does not answer has Err; the error returned is then those
// nodes' errors joined (after the report), as status does.
func BuilderDiskUsage(ctx context.Context, o CacheOptions) (*CacheReport, error) {
	return eachNodeCache(ctx, o, func(ctx context.Context, n builder.Node) ([]builder.DiskRecord, error) {
		return builder.NodeDiskUsage(ctx, n, o.Filters)
	})
}

// BuilderPrune frees the build cache of every node of the builder, as
// o.Prune says, and reports what it freed.
func BuilderPrune(ctx context.Context, o CacheOptions) (*CacheReport, error) {
	p := o.Prune
	p.Filters = o.Filters
	return eachNodeCache(ctx, o, func(ctx context.Context, n builder.Node) ([]builder.DiskRecord, error) {
		return builder.NodePrune(ctx, n, p)
	})
}

// eachNodeCache makes call on every node of the builder o picks, at once.
func eachNodeCache(ctx context.Context, o CacheOptions, call func(context.Context, builder.Node) ([]builder.DiskRecord, error)) (*CacheReport, error) {
	if err := builder.CheckFilters(o.Filters); err != nil {
		return nil, err
	}
	b, err := ResolveBuilder(ctx, ResolveOptions{Env: o.Env, Builder: o.Builder, Embedded: o.Embedded, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	rep := &CacheReport{Source: b.Source, Name: b.Name, Nodes: make([]NodeCache, len(b.Nodes))}
	var wg sync.WaitGroup
	for i, n := range b.Nodes {
		wg.Go(func() {
			nc := NodeCache{Endpoint: n.Endpoint}
			if b.Source == SourceNamed {
				nc.Name = n.DisplayName(i)
			}
			nc.Records, nc.Err = call(ctx, n)
			for _, r := range nc.Records {
				nc.Total += r.Size
				if r.Reclaimable() {
					nc.Reclaimable += r.Size
				}
			}
			if nc.Err != nil {
				nc.Err = b.wrap(nc.Err)
				nc.Error = nc.Err.Error()
			}
			rep.Nodes[i] = nc
		})
	}
	wg.Wait()
	var errs []error
	for _, nc := range rep.Nodes {
		if nc.Err != nil {
			errs = append(errs, nc.Err)
		}
	}
	return rep, errors.Join(errs...)
}
