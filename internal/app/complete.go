package app

import (
	"context"
	"strings"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// CompleteTagsDeadline bounds CompleteTags: a shell waits on completion,
// so a slow or absent registry yields no candidates rather than a hang.
const CompleteTagsDeadline = 2 * time.Second

// completeTagsLimit bounds the candidates one completion lists.
const completeTagsLimit = 200

// CompleteTags completes word, an image reference being typed, with the
// tags of its repository: "reg.example/app:v1" lists reg.example/app:v1*.
// Only a word naming a registry host (a '.' or ':' in its first path
// element, or localhost) and a ':' after the repository is completed:
// without the ':' the repository is not typed yet, and a bare Docker Hub
// name would send every keystroke to Docker Hub. Any failure is no
// candidates: completion never prints errors.
func CompleteTags(ctx context.Context, word string, opts registry.Options) []string {
	slash := strings.IndexByte(word, '/')
	colon := strings.LastIndexByte(word, ':')
	if slash < 0 || colon < slash || strings.Contains(word, "@") || registry.IsLocalPath(word) {
		return nil
	}
	if host := word[:slash]; !strings.ContainsAny(host, ".:") && host != "localhost" {
		return nil
	}
	repo, prefix := word[:colon], word[colon+1:]
	ctx, cancel := context.WithTimeout(ctx, CompleteTagsDeadline)
	defer cancel()
	opts.ResponseTimeout = min(opts.ResponseTimeout, CompleteTagsDeadline)
	if opts.ResponseTimeout <= 0 {
		opts.ResponseTimeout = CompleteTagsDeadline
	}
	tags, err := registry.ListTags(ctx, repo, prefix, completeTagsLimit, opts)
	if err != nil {
		return nil
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = repo + ":" + t
	}
	return out
}
