package builder

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestConnectionLost: a broken connection (Unavailable, or Canceled that
// the caller did not ask for) is told apart from a failed build and from
// the caller's own cancel.
func TestConnectionLost(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	eof := status.Error(codes.Unavailable, "error reading from server: EOF")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"nil", live, nil, false},
		{"unavailable, wrapped", live, fmt.Errorf("failed to receive status: %w", eof), true},
		{"canceled by the transport", live, status.Error(codes.Canceled, "grpc: the client connection is closing"), true},
		{"canceled by the caller", cancelled, status.Error(codes.Canceled, "context canceled"), false},
		{"build failed", live, status.Error(codes.Unknown, "process \"/bin/sh -c false\" did not complete successfully: exit code: 1"), false},
		{"plain error", live, errors.New("boom"), false},
	} {
		if got := ConnectionLost(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: ConnectionLost = %v, want %v", tc.name, got, tc.want)
		}
	}
}
