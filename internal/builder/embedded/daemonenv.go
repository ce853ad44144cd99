package embedded

// daemonPath is buildkitd's PATH when none is lent: where Debian's runc
// and the distro's tools are.
const daemonPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// daemonVars are the only variables buildkitd is started with, taken
// from the environment the builder was lent (WithEnv): it finds runc on
// PATH, keeps temporary files in TMPDIR, trusts the CA files Go's TLS is
// pointed at (SSL_CERT_FILE, SSL_CERT_DIR) and pulls through the proxies
// the user set. Nothing else of the starting command's environment — a
// DOCKER_PASSWORD, a token — reaches the long-lived daemon or the runc
// containers it spawns.
var daemonVars = []string{"PATH", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// daemonEnv is buildkitd's whole environment: each of daemonVars that is
// set, PATH defaulting to daemonPath.
func daemonEnv(getenv func(string) string) []string {
	env := []string{}
	for _, k := range daemonVars {
		v := getenv(k)
		if k == "PATH" && v == "" {
			v = daemonPath
		}
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}
