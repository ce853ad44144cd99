package app

// Env is the process environment, read once by the CLI and lent to the
// verbs that default from it: $BUILDKIT_HOST, the MULTIARCH_* builder
// variables, $DOCKER_CONFIG, ci's classic variables, $GITHUB_STEP_SUMMARY,
// and a bare `--build-arg K`.
type Env struct {
	// Getenv returns a variable's value, "" when unset. Nil: an empty
	// environment.
	Getenv func(string) string
}

// Get returns the variable key, "" when unset or when Env has no Getenv.
func (e Env) Get(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// Lookup is Get and whether the value is set and not empty.
func (e Env) Lookup(key string) (string, bool) {
	v := e.Get(key)
	return v, v != ""
}
