// Package gitmeta computes an image's tags, OCI labels and annotations
// from the git repository it is built from and the CI run building it, as
// docker/metadata-action does for GitHub: a release tag v1.2.3 gives
// 1.2.3, 1.2 and 1 (and latest when it is the highest release of the
// repository), a pre-release only itself, a branch its sanitised name
// (edge for the default branch), a pull or merge request pr-N, and every
// commit sha-<7 hex>. Labels say where the image comes from
// (org.opencontainers.image.source, revision, version, created, title),
// with the commit's time, not the build's, so a rebuild of one commit
// gives one config.
//
// The facts come from GitHub's (GITHUB_REF, GITHUB_SHA, ...) or GitLab's
// (CI_COMMIT_TAG, CI_COMMIT_BRANCH, ...) environment when a run is in
// one, else from the checkout itself, read by running the git binary with
// a deadline. The package reads no environment: the caller lends it one
// (Options.Getenv). Rules is the pure part, tested by table.
//
// It imports only the standard library and golang.org/x/mod/semver.
package gitmeta
