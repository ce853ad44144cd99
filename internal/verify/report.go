package verify

import (
	"debug/elf"
	"encoding/json"
	"fmt"
)

// Report is the result of verifying an index or an image. Its JSON shape
// (snake_case, lists never null) is what `multiarch verify --json` prints.
type Report struct {
	// Digest and MediaType describe the verified index or image.
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	// OK is true only when every entry was read to its end (none has
	// status error), at least one was checked (status ok), and no
	// violation was found: the one condition for saying "verified".
	OK bool `json:"ok"`
	// Entries are the platform images, in index order (nested indexes
	// depth first).
	Entries []Entry `json:"entries"`
	// Attestations are BuildKit attestation manifests: listed, not scanned.
	Attestations []Attestation `json:"attestations"`
	// Violations are every finding that fails verification.
	Violations []Violation `json:"violations"`
	// Notes are index-level remarks that do not fail verification.
	Notes []string `json:"notes"`
}

// Status is what became of one entry; the values are its JSON words.
type Status string

// Entry statuses.
const (
	// StatusOK: every layer read to its end, every ELF file checked, no
	// violation.
	StatusOK Status = "ok"
	// StatusViolations: read to the end, with at least one violation.
	StatusViolations Status = "violations"
	// StatusError: not read to the end (fetch failed, truncated or
	// corrupt blob, digest mismatch, interrupted, a cap exceeded, a config
	// that is not JSON or names no known architecture); Error says why.
	StatusError Status = "error"
	// StatusSkipped: a platform not in the table; its files are not
	// checked (a note says so). It neither fails nor proves anything.
	StatusSkipped Status = "skipped"
)

// setOK sets OK from the entries and violations.
func (r *Report) setOK() {
	checked := false
	for _, e := range r.Entries {
		switch e.Status {
		case StatusError:
			r.OK = false
			return
		case StatusOK, StatusViolations:
			checked = true
		}
	}
	r.OK = checked && len(r.Violations) == 0
}

// Entry is one platform image of the index.
type Entry struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest"`
	// Index is the digest of the nested index holding the entry, if any.
	Index string `json:"index,omitempty"`
	// Status is ok, violations, error or skipped; Error, set only with
	// status error, says what stopped the entry.
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
	// Layers is the number of layers; FilesScanned the regular files read
	// across them (overwritten and deleted ones included); ELFCount the
	// ELF files of the resulting filesystem.
	Layers       int      `json:"layers"`
	FilesScanned int      `json:"files_scanned"`
	ELFCount     int      `json:"elf_count"`
	Files        []File   `json:"files"`
	Notes        []string `json:"notes"`
}

// File is one ELF file of an entry's final filesystem.
type File struct {
	Path string `json:"path"`
	// Layer is the digest of the layer the file's last version came from.
	Layer    string    `json:"layer"`
	ELF      ELFInfo   `json:"elf"`
	Problems []Problem `json:"problems"`
}

// Attestation is an attestation manifest of the index.
type Attestation struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	// RefersTo is the image digest it attests (vnd.docker.reference.digest).
	RefersTo string `json:"refers_to,omitempty"`
}

// Violation is one finding that fails verification. Path is empty for
// index-level findings (missing or duplicate platform, config mismatch).
// Message is the whole sentence people read:
// "linux/arm64: /app/server is ELF x86-64".
type Violation struct {
	Platform string `json:"platform"`
	Digest   string `json:"digest,omitempty"`
	Path     string `json:"path,omitempty"`
	Kind     Kind   `json:"kind"`
	Message  string `json:"message"`
}

func (v Violation) String() string { return v.Message }

// elfJSON is ELFInfo as the report prints it: names, not numbers.
type elfJSON struct {
	Description string   `json:"description"`
	Machine     string   `json:"machine"`
	Class       string   `json:"class"`
	Data        string   `json:"data"`
	Type        string   `json:"type"`
	Flags       string   `json:"flags"`
	Interpreter string   `json:"interpreter,omitempty"`
	ARMArch     string   `json:"arm_arch,omitempty"`
	ARMProfile  string   `json:"arm_profile,omitempty"`
	X86ISA      string   `json:"x86_isa,omitempty"`
	Go          *goJSON  `json:"go,omitempty"`
	Partial     bool     `json:"partial,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
}

// MarshalJSON prints the debug/elf names ("EM_ARM", "ELFCLASS32") rather
// than their numbers, so the JSON reads without the ELF specification.
func (i ELFInfo) MarshalJSON() ([]byte, error) {
	j := elfJSON{
		Description: i.String(),
		Machine:     i.Machine.String(), Class: i.Class.String(), Data: i.Data.String(), Type: i.Type.String(),
		Flags:       fmt.Sprintf("%#x", i.Flags),
		Interpreter: i.Interpreter, X86ISA: i.X86ISANeeded.String(),
		Go: i.Go.json(), Partial: i.Partial, Warnings: i.Warnings,
	}
	if i.Machine == elf.EM_ARM && i.ARM.Present {
		j.ARMArch = i.ARM.CPUArch.String()
		if i.ARM.Profile != 0 {
			j.ARMProfile = string(rune(i.ARM.Profile))
		}
	}
	return json.Marshal(j)
}
