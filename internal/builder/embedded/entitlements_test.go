package embedded

import (
	"slices"
	"testing"
)

// TestDaemonConfigEntitlements: the embedded builder grants network.host
// and security.insecure with or without a user config; a user config that
// names its own insecure-entitlements wins, as its other keys do.
func TestDaemonConfigEntitlements(t *testing.T) {
	want := []string{"network.host", "security.insecure"}
	if got := loadConfig(t, Settings{}).Entitlements; !slices.Equal(got, want) {
		t.Errorf("generated config grants %v, want %v", got, want)
	}
	if got := loadConfig(t, Settings{UserConfig: "debug = true\n", UserConfigFile: "/u/bk.toml"}).Entitlements; !slices.Equal(got, want) {
		t.Errorf("merged config grants %v, want %v", got, want)
	}
	user := "insecure-entitlements = [\"network.host\"]\n"
	if got := loadConfig(t, Settings{UserConfig: user, UserConfigFile: "/u/bk.toml"}).Entitlements; !slices.Equal(got, []string{"network.host"}) {
		t.Errorf("user's entitlements should win: %v", got)
	}
}
