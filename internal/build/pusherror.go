package build

import (
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// BuildKit's exporter pushes from the daemon, and its failure reaches us
// as the text of a gRPC status: containerd's typed ErrUnexpectedStatus
// (method, URL, HTTP status) does not cross the wire, and when the
// registry's answer held API errors BuildKit (util/errutil) replaces it by
// them, dropping the status. The text is all there is, so it is read here,
// in the one place, into a *PushError; these forms are BuildKit v0.34's
// and containerd v2.4's (exporter/containerimage, core/remotes/docker).
var (
	// "failed to push REF: REST" (exporter/containerimage/export.go).
	failedPushRE = regexp.MustCompile(`failed to push (\S+): (.*)`)
	// ErrUnexpectedStatus: "unexpected status from PUT request to URL: 500 Internal Server Error".
	unexpectedStatusRE = regexp.MustCompile(`unexpected status from ([A-Z]+) request to (\S+): (\d{3})`)
	// A registry API error as containerd prints its code: lower case,
	// spaces for underscores ("toomanyrequests: MESSAGE", "unknown: MESSAGE").
	apiErrorRE = regexp.MustCompile(`^(?:errors:\n)?([a-z][a-z ]*): (.*)`)
	// containerd's pusher on a 401/403 to the existence check.
	accessDenied = "push access denied"
)

// withPushError replaces the error of the node solve that failed in err
// (a *NodeBuildError) by a *PushError when it is BuildKit's failure to
// push; anything else is returned as it is.
func withPushError(err error, solves []*nodeSolve) error {
	var ne *NodeBuildError
	if !errors.As(err, &ne) {
		return err
	}
	for _, s := range solves {
		if s.a.Node.Endpoint == ne.Node {
			if pe := parsePushError(ne.Err.Error(), s.tl.pushing); pe != nil {
				ne.Err = pe
			}
		}
	}
	return err
}

// parsePushError reads BuildKit's push failure msg; phase is the
// exporter's push phase at the time (timeline.pushing). nil when msg is no
// push failure of an HTTP answer internal/registry can advise on.
func parsePushError(msg, phase string) *PushError {
	m := failedPushRE.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	ref, rest := m[1], m[2]
	host := registry.Host(ref)
	pe := &PushError{Ref: ref, What: phaseWhat(phase)}
	const waited = " (BuildKit's pusher retried at once, not waiting for the registry's Retry-After)"
	if u := unexpectedStatusRE.FindStringSubmatch(rest); u != nil {
		status, _ := strconv.Atoi(u[3])
		if what, h := urlWhat(u[2], phase); h != "" {
			pe.What, host = what, h
		}
		pe.Err = registry.AnsweredError("", host, status, "", retryNote(status, waited), errors.New(msg))
		return withErr(pe)
	}
	code, text := "", ""
	if a := apiErrorRE.FindStringSubmatch(rest); a != nil {
		code, text = strings.ReplaceAll(a[1], " ", "_"), firstLine(a[2])
	} else if strings.HasPrefix(rest, accessDenied) {
		code = "DENIED"
	}
	detail := ""
	if text != "" && !strings.EqualFold(code, "DENIED") && !strings.EqualFold(code, "UNAUTHORIZED") {
		detail = ": " + text // the registry's words, but for a refusal (they may echo what we sent)
	}
	if strings.EqualFold(code, "TOOMANYREQUESTS") {
		detail += waited
	}
	pe.Err = registry.AnsweredError("", host, 0, code, detail, errors.New(msg))
	return withErr(pe)
}

// withErr is pe, or nil when its registry error could not be classified.
func withErr(pe *PushError) *PushError {
	if pe.Err == nil {
		return nil
	}
	return pe
}

// retryNote is what BuildKit did about status, to add to the answer.
func retryNote(status int, waited string) string {
	if status == 429 {
		return waited
	}
	return ""
}

// phaseWhat is what the exporter was pushing in phase.
func phaseWhat(phase string) string {
	switch {
	case phase == "pushing layers":
		return "the layers"
	case strings.HasPrefix(phase, "pushing manifest for "):
		return "the manifests and the index"
	}
	return "the image"
}

// urlWhat is what a request to rawURL pushed, and the registry it went
// to ("" when rawURL is no URL): a blob, a manifest by digest (the index
// when its digest is the one phase names) or the index under a tag.
func urlWhat(rawURL, phase string) (what, host string) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", ""
	}
	_, ref, ok := strings.Cut(u.Path, "/manifests/")
	switch {
	case strings.Contains(u.Path, "/blobs/"):
		return "a blob (a layer or a config)", u.Host
	case !ok:
		return "a token or a request of the registry API (" + u.Path + ")", u.Host
	case strings.HasPrefix(ref, "sha256:") && strings.HasSuffix(phase, "@"+ref):
		return "the index " + ref, u.Host
	case strings.HasPrefix(ref, "sha256:"):
		return "the manifest " + ref, u.Host
	}
	return "the index under tag " + ref, u.Host
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
