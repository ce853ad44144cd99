// Package pipeline is `multiarch ci`'s own part: its configuration (flags,
// the classic CI script's environment, multiarch.yaml in the build
// context; flags win over the environment, the environment over the
// file), the run of its steps in order (the first failure stops the run,
// later steps are reported as skipped) and the summary (table, JSON,
// Markdown for $GITHUB_STEP_SUMMARY). A step's status is internal/status's
// (JSON "pass", "fail", "skip"). The steps themselves are the other
// packages' work, composed by the application tier. Tags are checked, and
// the registry to log in to found, through internal/registry.
//
// With tags from git, the tags, labels and annotations internal/gitmeta
// computed are added to every repository named (WithGit); a passing run's
// digest, tags, platforms and metadata are written for the CI's next steps
// ($GITHUB_OUTPUT's multi-line form, a GitLab dotenv file).
//
// It imports internal/registry, internal/platform, internal/status,
// internal/gitmeta and internal/imagetest (the test matrices the summary
// shows); never the application tier, which calls it, nor the engines
// whose steps it runs.
package pipeline
