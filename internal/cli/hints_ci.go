package cli

import (
	"errors"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// ciHints word the next steps of ci's own failures: a doctor step that
// found the host or the builder not ready, credentials the registry
// refused.
func ciHints(err error) []string {
	var (
		df    *app.DoctorFailedError
		creds *app.CredentialsError
	)
	switch {
	case errors.As(err, &df):
		see := "multiarch doctor"
		if df.Builder != "" {
			see += " --builder " + df.Builder
		}
		if !df.Host {
			return []string{"`" + see + "` shows every check"}
		}
		return []string{"`sudo " + see + " --fix` fixes the emulation, or rerun with --setup-emulation as root"}
	case errors.As(err, &creds):
		return []string{"check " + pipeline.EnvUsername + " and " + pipeline.EnvPassword + " (or --username and --password-stdin); nothing was built or pushed"}
	}
	return nil
}
