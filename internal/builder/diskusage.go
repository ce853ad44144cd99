package builder

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
)

// DiskRecord is one record of a node's build cache, as BuildKit's
// DiskUsage and Prune report it.
type DiskRecord struct {
	ID          string     `json:"id"`
	Description string     `json:"description,omitempty"`
	Type        string     `json:"type,omitempty"`
	Size        int64      `json:"size"`
	InUse       bool       `json:"inUse,omitempty"`
	Mutable     bool       `json:"mutable,omitempty"`
	Shared      bool       `json:"shared,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
	UsageCount  int        `json:"usageCount,omitempty"`
	Parents     []string   `json:"parents,omitempty"`
}

func diskRecord(u *client.UsageInfo) DiskRecord {
	return DiskRecord{ID: u.ID, Description: u.Description, Type: string(u.RecordType), Size: u.Size,
		InUse: u.InUse, Mutable: u.Mutable, Shared: u.Shared, CreatedAt: u.CreatedAt, LastUsedAt: u.LastUsedAt,
		UsageCount: u.UsageCount, Parents: u.Parents}
}

// Reclaimable says a prune could free the record: it is not in use.
func (r DiskRecord) Reclaimable() bool { return !r.InUse }

// CheckFilters checks BuildKit's cache filters (KEY=VALUE, KEY!=VALUE,
// KEY~=VALUE, as buildctl and buildx take them) before a node is asked.
func CheckFilters(fs []string) error {
	for _, f := range fs {
		k, _, ok := strings.Cut(f, "=")
		k = strings.TrimRight(k, "!~")
		if !ok || k == "" {
			return fmt.Errorf("filter %q: write KEY=VALUE (or KEY!=VALUE, KEY~=VALUE), e.g. type=regular or description~=busybox", f)
		}
	}
	return nil
}

// DiskUsage lists the build cache of the node behind c, filtered by
// BuildKit's filters.
func DiskUsage(ctx context.Context, c *client.Client, filters []string) ([]DiskRecord, error) {
	us, err := c.DiskUsage(ctx, client.WithFilter(filters))
	if err != nil {
		return nil, err
	}
	out := make([]DiskRecord, len(us))
	for i, u := range us {
		out[i] = diskRecord(u)
	}
	return out, nil
}

// PruneOptions say what Prune frees.
type PruneOptions struct {
	// All frees every record not in use, not only the ones BuildKit
	// deems internal or unreferenced (buildctl prune --all).
	All bool
	// KeepStorage is how many bytes of cache to keep (0: none); the
	// oldest records go first. BuildKit calls it reserved space.
	KeepStorage int64
	// KeepDuration keeps records used within it (0: none).
	KeepDuration time.Duration
	Filters      []string
}

// Prune frees the build cache of the node behind c and returns the
// records it freed.
func Prune(ctx context.Context, c *client.Client, o PruneOptions) ([]DiskRecord, error) {
	opts := []client.PruneOption{client.WithFilter(o.Filters), client.WithKeepOpt(o.KeepDuration, o.KeepStorage, 0, 0)}
	if o.All {
		opts = append(opts, client.PruneAll)
	}
	ch := make(chan client.UsageInfo)
	done := make(chan []DiskRecord)
	go func() {
		var out []DiskRecord
		for u := range ch {
			out = append(out, diskRecord(&u))
		}
		done <- out
	}()
	err := c.Prune(ctx, ch, opts...)
	close(ch)
	out := <-done
	return out, err
}

// cacheTimeout bounds one node's disk usage or prune call once it has
// answered its probe: a node that then says nothing does not hang us.
const cacheTimeout = 10 * time.Minute

// NodeDiskUsage connects to n and lists its build cache (DiskUsage).
// A node that does not answer is an *UnreachableError or *NodeTLSError.
func NodeDiskUsage(ctx context.Context, n Node, filters []string) ([]DiskRecord, error) {
	return onNode(ctx, n, func(ctx context.Context, c *client.Client) ([]DiskRecord, error) {
		return DiskUsage(ctx, c, filters)
	})
}

// NodePrune connects to n and frees its build cache (Prune).
func NodePrune(ctx context.Context, n Node, o PruneOptions) ([]DiskRecord, error) {
	return onNode(ctx, n, func(ctx context.Context, c *client.Client) ([]DiskRecord, error) {
		return Prune(ctx, c, o)
	})
}

func onNode(ctx context.Context, n Node, call func(context.Context, *client.Client) ([]DiskRecord, error)) ([]DiskRecord, error) {
	cs, err := Connect(ctx, []Node{n})
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	out, err := call(ctx, cs.Clients[0])
	if err != nil {
		return out, fmt.Errorf("node %s: %w", n.Endpoint, err)
	}
	return out, nil
}
