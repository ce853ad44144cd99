package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
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

// ErrWrongCredentials is what a login the registry refused matches.
var ErrWrongCredentials = app.ErrWrongCredentials

func runLogin(cmd *cobra.Command, f *loginFlags, server string) error {
	if f.username == "" {
		return usage(errors.New("give the user with -u USER"))
	}
	if !f.passwordStdin {
		return usage(errors.New("pass the password on stdin with --password-stdin (e.g. `echo \"$TOKEN\" | multiarch login REGISTRY -u USER --password-stdin`)"))
	}
	password, err := readPassword(cmd.InOrStdin())
	if err != nil {
		return usage(err)
	}
	res, err := app.Login(cmd.Context(), loginOptions(cmd, server, f.username, password))
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Login succeeded: credentials of %s for %s stored in %s\n", res.Username, res.Registry, res.StoredIn)
	return nil
}

// loginOptions are app.Login's options for server with the registry flags
// of cmd and the docker config dir of the environment.
func loginOptions(cmd *cobra.Command, server, user, password string) app.LoginOptions {
	return app.LoginOptions{Server: server, Username: user, Password: password,
		ConfigDir: dockerConfigHome(), Registry: registryOptions(cmd)}
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
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker")
}
