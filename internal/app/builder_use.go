package app

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// builderChoice is the builder name a verb was given and where from.
type builderChoice struct {
	name string
	// from is "--builder", "$MULTIARCH_BUILDER" or "builder use".
	from string
}

// wrap says where the name of an unknown builder came from.
func (c builderChoice) wrap(err error) error {
	if c.from == "--builder" {
		return err
	}
	return fmt.Errorf("%s: %w", c.from, err)
}

// chosenBuilder is the builder name flag (--builder), else
// $MULTIARCH_BUILDER, else the store's default (`builder use`), else
// none: $BUILDKIT_HOST or the embedded builder.
func chosenBuilder(env Env, flag string) (builderChoice, error) {
	if flag != "" {
		return builderChoice{flag, "--builder"}, nil
	}
	if v, ok := env.Lookup(builder.EnvBuilder); ok && v != "" {
		return builderChoice{v, "$" + builder.EnvBuilder}, nil
	}
	d, err := store(env).Default()
	if err != nil || d == "" {
		return builderChoice{}, err
	}
	return builderChoice{d, "builder use"}, nil
}

// UseReport is what UseBuilder did.
type UseReport struct {
	// Name is the default builder now ("": none, $BUILDKIT_HOST or the
	// embedded builder).
	Name string
	Path string
	// Overridden names the environment variable that overrides the
	// default in this environment, with its value ("": none).
	Overridden, OverriddenBy string
}

// UseBuilder makes the named builder the default of build, test, ci and
// doctor (stored in the builder store); "" or builder.EmbeddedName goes
// back to none. An unknown name is a *builder.UnknownBuilderError.
func UseBuilder(env Env, name string) (*UseReport, error) {
	if name == builder.EmbeddedName {
		name = ""
	}
	s := store(env)
	if err := s.SetDefault(name); err != nil {
		return nil, err
	}
	rep := &UseReport{Name: name, Path: s.Path()}
	if v, ok := env.Lookup(builder.EnvBuilder); ok && v != "" {
		rep.Overridden, rep.OverriddenBy = builder.EnvBuilder, v
	} else if v, ok := env.Lookup(builder.EnvBuildkitHost); ok && name == "" {
		rep.Overridden, rep.OverriddenBy = builder.EnvBuildkitHost, v
	}
	return rep, nil
}
