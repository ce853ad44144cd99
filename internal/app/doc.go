// Package app is multiarch's application tier: one ctx-first function per
// verb — ResolveBuilder, Build, Test, Verify, Inspect, CreateIndex, Login,
// Doctor, RunCI and the builder and binfmt verbs — each taking an options
// struct (every default documented on it) and returning a report and a
// typed error. It is what a command does, callable without cobra: `ci`
// composes the same functions a user's build, verify and test call.
//
// It composes the engines (build, build/container, builder,
// builder/embedded, registry, verify, imagetest, doctor, binfmt, probe,
// pipeline, status, platform) and imports neither BuildKit
// nor go-containerregistry nor cobra. It draws nothing of its own: output a
// verb produces while it runs (build progress, a test matrix printed as it
// ends, ci's step detail) goes to writers or callbacks in its options; the
// CLI renders the reports. It reads no environment: the CLI passes Env.
package app
