package binfmt

import (
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// Action is what a Change does to one entry.
type Action string

const (
	// ActionRegister registers an entry that does not exist.
	ActionRegister Action = "register"
	// ActionReplace unregisters the entry and registers New in its place.
	ActionReplace Action = "replace"
	// ActionEnable enables an entry that already has the wanted settings.
	ActionEnable Action = "enable"
	// ActionRemove unregisters the entry and/or deletes its persisted file.
	ActionRemove Action = "remove"
	// ActionUnchanged leaves the entry as it is (Reason says why).
	ActionUnchanged Action = "unchanged"
	// ActionSkip leaves out a platform that cannot be done (Reason says why).
	ActionSkip Action = "skip"
)

// Change is one step of a Plan.
type Change struct {
	Name   string
	Action Action
	// Platform is the table row the entry serves; zero when unknown.
	Platform platform.Platform
	// New and Line are the registration to write (register, replace) or the
	// one asked for and already in place (enable, unchanged).
	New  *Registration
	Line string
	// Old is the entry as found (replace, remove, unchanged, enable).
	Old    *Entry
	Reason string
	// Warning says what the new entry will not do that programs may need
	// (flag P left out: multi-call binaries break); "" for none.
	Warning string
	// Persist is the .conf file to write Line to, or for remove to delete;
	// "" for none.
	Persist string

	// disabled keeps a replaced entry disabled, as it was found.
	disabled bool
}

// Plan is a list of changes computed from the current state without
// writing anything; Manager.Apply performs it.
type Plan struct {
	Changes []Change
}

func (p *Plan) touchesKernel() bool {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionRegister, ActionReplace, ActionEnable:
			return true
		case ActionRemove:
			if c.Old != nil {
				return true
			}
		}
	}
	return false
}
