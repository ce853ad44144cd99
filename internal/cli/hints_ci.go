package cli

import (
	"errors"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// ciHints word the next steps of ci's own failures: a doctor step that
// found the host or the builder not ready, credentials the registry
// refused, a setting the configuration lacks.
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
	if h := ciPRHints(err); h != nil {
		return h
	}
	return ciConfigHints(err)
}

// ciConfigHints say where to set what ci's configuration lacks: in
// multiarch.yaml, in the classic variable, or by ci's flag.
func ciConfigHints(err error) []string {
	set := func(key, env, flag string) []string {
		return []string{"set " + key + " in " + pipeline.ConfigFile + ", " + env + ", or " + flag}
	}
	switch {
	case errors.Is(err, pipeline.ErrNoPlatforms):
		return set("platforms", pipeline.EnvPlatforms, "--platform")
	case errors.Is(err, pipeline.ErrNoTags):
		return set("tags", pipeline.EnvTags, "-t")
	case errors.Is(err, pipeline.ErrNoImage):
		return set("image", pipeline.EnvImage, "--image")
	}
	return nil
}
