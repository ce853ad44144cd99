package cli

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// cacheOptions reads --cache-from and --cache-to. A gha cache takes its
// token and URLs from the variables GitHub Actions sets when its
// attributes do not name them, as buildx does.
func cacheOptions(from, to []string, o *build.Options) error {
	for _, c := range from {
		spec, err := build.ParseCacheImport(c)
		if err != nil {
			return fmt.Errorf("--cache-from: %w", err)
		}
		o.CacheFrom = append(o.CacheFrom, ghaFromEnv(spec))
	}
	for _, c := range to {
		spec, err := build.ParseCacheExport(c)
		if err != nil {
			return fmt.Errorf("--cache-to: %w", err)
		}
		o.CacheTo = append(o.CacheTo, ghaFromEnv(spec))
	}
	return nil
}

// ghaFromEnv fills token, url and url_v2 of a gha cache from
// $ACTIONS_RUNTIME_TOKEN, $ACTIONS_CACHE_URL and $ACTIONS_RESULTS_URL
// (version 2 when $ACTIONS_CACHE_SERVICE_V2 is true), as buildx does.
func ghaFromEnv(c build.CacheSpec) build.CacheSpec {
	if c.Type != "gha" {
		return c
	}
	fill := func(attr, env string) {
		if _, ok := c.Attrs[attr]; ok {
			return
		}
		if v, ok := lookupEnv(env); ok {
			c.Attrs[attr] = v
		}
	}
	version := c.Attrs["version"]
	if v, ok := lookupEnv("ACTIONS_CACHE_SERVICE_V2"); ok && version == "" && (v == "true" || v == "1") {
		version = "2"
	}
	fill("token", "ACTIONS_RUNTIME_TOKEN")
	if version == "2" {
		fill("url_v2", "ACTIONS_RESULTS_URL")
	}
	fill("url", "ACTIONS_CACHE_URL")
	return c
}
