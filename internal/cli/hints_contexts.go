package cli

import (
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// contextHints say which flag gives the build the input it lacked.
func contextHints(err error) []string {
	var (
		from   *build.UnknownFromError
		named  *build.NamedContextError
		remote *build.RemoteContextError
	)
	switch {
	case errors.As(err, &from):
		return []string{fmt.Sprintf("or give it as a named context: --build-context %s=DIR (or =docker-image://REF, =oci-layout://DIR:TAG)", from.Name)}
	case errors.As(err, &named):
		return []string{fmt.Sprintf("give --build-context %s=DIR with a directory that exists, =docker-image://REF, =oci-layout://DIR[:TAG|@DIGEST] of a layout holding that image, or a git URL", named.Name)}
	case errors.As(err, &remote) && remote.Ref != "":
		return []string{"name a branch, tag or commit the repository has after #, e.g. URL#main or URL#v1.2:subdir (git ls-remote URL lists them)"}
	}
	return nil
}
