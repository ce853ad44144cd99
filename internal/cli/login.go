package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/spf13/cobra"
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

// ErrWrongCredentials says the registry refused the user and password.
var ErrWrongCredentials = errors.New("wrong user or password")

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
	insecure, _ := cmd.Flags().GetStringArray("insecure-registry")
	reg, err := loginRegistry(server, insecure)
	if err != nil {
		return err
	}
	auth := &authn.Basic{Username: f.username, Password: password}
	if err := checkLogin(cmd.Context(), reg, auth); err != nil {
		return err
	}
	where, err := storeCredentials(cmd.Context(), reg, f.username, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Login succeeded: credentials of %s for %s stored in %s\n", f.username, reg.RegistryStr(), where)
	return nil
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

// loginRegistry parses REGISTRY (a host[:port], with or without a
// scheme). Loopback registries and those named by --insecure-registry are
// reached over plain HTTP, as everywhere in multiarch.
func loginRegistry(server string, insecure []string) (name.Registry, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"), "/")
	var opts []name.Option
	if isLoopbackHost(host) || slices.Contains(insecure, host) || slices.Contains(insecure, hostPart(host)) {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return name.Registry{}, fmt.Errorf("registry %q: %w", server, err)
	}
	return reg, nil
}

func hostPart(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func isLoopbackHost(hostport string) bool {
	h := strings.Trim(hostPart(hostport), "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// checkLogin authenticates against the registry's /v2/ endpoint: the
// challenge, the token exchange (for token auth) and an authenticated
// GET /v2/.
func checkLogin(ctx context.Context, reg name.Registry, auth authn.Authenticator) error {
	rt, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return loginError(reg, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s://%s/v2/", reg.Scheme(), reg.RegistryStr()), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return loginError(reg, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w for %s (nothing stored)", ErrWrongCredentials, reg.RegistryStr())
	}
	return fmt.Errorf("login to %s: GET /v2/ answered %s (nothing stored)", reg.RegistryStr(), resp.Status)
}

func loginError(reg name.Registry, err error) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%w for %s (nothing stored)", ErrWrongCredentials, reg.RegistryStr())
	}
	return fmt.Errorf("login to %s failed, nothing stored: %w\ncheck the registry address (and --insecure-registry for a plain-HTTP registry)", reg.RegistryStr(), err)
}

// dockerHubKey is the key docker uses for Docker Hub in config.json.
const dockerHubKey = "https://index.docker.io/v1/"

// storeCredentials stores user and password for reg through the docker
// config's credential helper for it (credHelpers, else credsStore) when
// that helper is installed, else base64 in config.json "auths" (mode
// 0600, written atomically, every other key kept). It returns where.
func storeCredentials(ctx context.Context, reg name.Registry, user, password string) (string, error) {
	path := dockerConfigPath()
	cfg, err := readDockerConfig(path)
	if err != nil {
		return "", err
	}
	key := reg.RegistryStr()
	if key == name.DefaultRegistry {
		key = dockerHubKey
	}
	if helper := cfg.helperFor(key); helper != "" {
		bin, err := execLookPath("docker-credential-" + helper)
		if err == nil {
			if err := helperStore(ctx, bin, key, user, password); err != nil {
				return "", err
			}
			return "credential helper docker-credential-" + helper, nil
		}
	}
	if err := cfg.setAuth(key, user, password); err != nil {
		return "", err
	}
	if err := writeDockerConfig(path, cfg); err != nil {
		return "", err
	}
	return path, nil
}
