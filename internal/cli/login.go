package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

type loginFlags struct {
	username      string
	passwordStdin bool
}

func newLoginCmd() *cobra.Command {
	f := &loginFlags{}
	cmd := &cobra.Command{
		Use:   "login REGISTRY -u USER --password-stdin",
		Short: "Check credentials against a registry and store them where docker and multiarch find them",
		Long: `Read the password from stdin, check it against REGISTRY, and store the credentials in the
docker config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): through the credential
helper config.json names (credHelpers or credsStore) when that helper is installed, else in
"auths". Wrong credentials store nothing. The password is never printed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogin(cmd, f, args[0])
		},
	}
	cmd.Flags().StringVarP(&f.username, "username", "u", "", "user name")
	cmd.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from stdin (the only way: never on the command line)")
	addRegistryFlags(cmd)
	return cmd
}

// ErrWrongCredentials is what a login the registry refused matches:
// registry.ErrUnauthorized, under the name login's callers look for.
var ErrWrongCredentials = registry.ErrUnauthorized

func runLogin(cmd *cobra.Command, f *loginFlags, server string) error {
	if f.username == "" {
		return errors.New("give the user with -u USER")
	}
	if !f.passwordStdin {
		return errors.New("pass the password on stdin with --password-stdin (e.g. `echo \"$TOKEN\" | multiarch login REGISTRY -u USER --password-stdin`)")
	}
	password, err := readPassword(cmd.InOrStdin())
	if err != nil {
		return err
	}
	reg, where, err := login(cmd.Context(), registryOptions(cmd), server, f.username, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Login succeeded: credentials of %s for %s stored in %s\n", f.username, reg, where)
	return nil
}

// login checks user and password against server and, only when the
// registry takes them, stores them. It returns the registry's name and
// where the credentials went.
func login(ctx context.Context, opts registry.Options, server, user, password string) (reg, where string, err error) {
	reg, err = registry.Login(ctx, server, registry.Credentials{Username: user, Password: password}, opts)
	if err != nil {
		return "", "", fmt.Errorf("login to %s failed, nothing stored: %w", server, err)
	}
	where, err = registry.StoreCredentials(ctx, dockerConfigHome(), reg, user, password)
	if err != nil {
		return "", "", err
	}
	return reg, where, nil
}

// readPassword reads the first line of r (a trailing newline is not part
// of the password).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	p := strings.TrimRight(line, "\r\n")
	if p == "" {
		return "", errors.New("no password on stdin")
	}
	return p, nil
}

// dockerConfigHome is $DOCKER_CONFIG, else ~/.docker: where docker and the
// default keychain look for config.json.
func dockerConfigHome() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker")
}
