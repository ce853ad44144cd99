package imagetest

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report in its stable JSON shape (see the package
// documentation), indented, with a trailing newline.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
