package build

import (
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// relay shows every status of one node's solve to seen (its timeline and
// push watchdog) and forwards it to out (when not nil), until in is closed. With a non-empty label the
// vertices are renamed "label: name" and their digests made unique to the
// node, so that the solves of several nodes share one display without two
// nodes' vertices of the same digest (the same context, the same base)
// being drawn as one.
func relay(in <-chan *client.SolveStatus, out chan<- *client.SolveStatus, seen func(*client.SolveStatus), label string) {
	for s := range in {
		seen(s)
		if out == nil {
			continue
		}
		if label != "" {
			s = relabel(s, label)
		}
		out <- s
	}
}

func relabel(s *client.SolveStatus, label string) *client.SolveStatus {
	d := func(x digest.Digest) digest.Digest { return digest.FromString(label + "\x00" + x.String()) }
	out := &client.SolveStatus{}
	for _, v := range s.Vertexes {
		nv := *v
		nv.Digest = d(v.Digest)
		nv.Name = label + ": " + v.Name
		nv.Inputs = make([]digest.Digest, len(v.Inputs))
		for i, in := range v.Inputs {
			nv.Inputs[i] = d(in)
		}
		out.Vertexes = append(out.Vertexes, &nv)
	}
	for _, st := range s.Statuses {
		ns := *st
		ns.Vertex = d(st.Vertex)
		out.Statuses = append(out.Statuses, &ns)
	}
	for _, l := range s.Logs {
		nl := *l
		nl.Vertex = d(l.Vertex)
		out.Logs = append(out.Logs, &nl)
	}
	for _, w := range s.Warnings {
		nw := *w
		nw.Vertex = d(w.Vertex)
		out.Warnings = append(out.Warnings, &nw)
	}
	return out
}
