// Package depcheck holds no code, only the test that keeps the tiers apart
// (see CONTRIBUTING.md): BuildKit is imported only under internal/build and
// internal/builder, go-containerregistry only in internal/registry,
// containerd/platforms only in internal/platform, cobra only in internal/cli
// and cmd/, and no engine imports the application tier or the CLI. Test
// support (internal/testenv and _test.go files) may reach further, as the
// rules below say.
package depcheck
