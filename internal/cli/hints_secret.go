package cli

import (
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// secretHints say which flag provides a secret or SSH agent a RUN step
// mounts and the build lacks, or how to give a usable one.
func secretHints(err error) []string {
	var (
		missing *build.MissingSecretError
		input   *build.SecretInputError
	)
	switch {
	case errors.As(err, &missing) && missing.Kind == "ssh":
		return []string{fmt.Sprintf("--ssh %s forwards the agent at $%s; --ssh %s=SOCKET another agent, --ssh %s=KEYFILE a private key", missing.ID, envSSHAuthSock, missing.ID, missing.ID)}
	case errors.As(err, &missing):
		return []string{fmt.Sprintf("--secret id=%s,src=FILE or --secret id=%s,env=VAR provides it", missing.ID, missing.ID)}
	case errors.As(err, &input) && input.Kind == "ssh":
		return []string{fmt.Sprintf("give --ssh %s=SOCKET (a running agent's socket) or --ssh %s=KEYFILE (a private key without a passphrase; add one with a passphrase to ssh-agent and give its socket)", input.ID, input.ID)}
	case errors.As(err, &input):
		return []string{fmt.Sprintf("give --secret id=%s,src=FILE or --secret id=%s,env=VAR", input.ID, input.ID)}
	}
	return nil
}
