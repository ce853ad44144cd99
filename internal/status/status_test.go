package status

import (
	"encoding/json"
	"testing"
)

func TestWorse(t *testing.T) {
	tests := []struct{ a, b, want Status }{
		{Pass, Pass, Pass},
		{Pass, Warn, Warn},
		{Warn, Pass, Warn},
		{Warn, Fail, Fail},
		{Fail, Warn, Fail},
		{Skip, Pass, Skip},
		{Pass, Skip, Pass},
		{Skip, Fail, Fail},
	}
	for _, tt := range tests {
		if got := Worse(tt.a, tt.b); got != tt.want {
			t.Errorf("Worse(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

// The JSON spelling is part of every --json document.
func TestJSONSpelling(t *testing.T) {
	b, err := json.Marshal([]Status{Pass, Warn, Fail, Skip})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["pass","warn","fail","skip"]` {
		t.Errorf("JSON = %s", b)
	}
}
