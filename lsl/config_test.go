package lsl

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeCfg(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lsl_api.cfg")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigTestdata(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "lsl_api.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Addresses, []string{"127.0.0.1"}) || !slices.Equal(c.KnownPeers, []string{"127.0.0.1"}) ||
		c.MulticastTTL != 0 || c.MulticastPort != 16571 || c.BasePort != 16572 || c.PortRange != 32 || c.SessionID != "default" {
		t.Errorf("%+v", c)
	}
}

// TestTestTrafficStaysLocal guards the rule that the tests send LSL
// packets to this machine only.
func TestTestTrafficStaysLocal(t *testing.T) {
	targets, err := resolveTargets(context.Background(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range targets {
		if !a.Addr().IsLoopback() {
			t.Errorf("test config queries %v", a)
		}
	}
	if len(targets) != 1+32 {
		t.Errorf("%d targets, want the multicast port and 32 known-peer ports", len(targets))
	}
}

func TestLoadConfigScopes(t *testing.T) {
	// liblsl's defaults: site scope.
	c, err := LoadConfig(writeCfg(t, "; nothing\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1", "255.255.255.255", "224.0.0.1", "224.0.0.183", "239.255.172.215"}
	if !slices.Equal(c.Addresses, want) || c.MulticastTTL != 24 || c.NoRandomPorts {
		t.Errorf("defaults: %v ttl %d", c.Addresses, c.MulticastTTL)
	}
	c, err = LoadConfig(writeCfg(t, "[multicast]\nResolveScope = link\nTTLOverride = 3\n[ports]\nBasePort = 20000\nPortRange = 4\nAllowRandomPorts = 0\n[tuning]\nTimeProbeCount = 4\nTimeUpdateMinProbes = 2\nTimeProbeInterval = 0.01\nMulticastMinRTT = 0.25\n[lab]\nSessionID = lab7\nKnownPeers = {10.0.0.2, host.example}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Addresses, want[:4]) || c.MulticastTTL != 3 || c.BasePort != 20000 || c.PortRange != 4 || !c.NoRandomPorts ||
		c.TimeProbes != 4 || c.TimeMinProbes != 2 || c.TimeProbeInterval != 10*time.Millisecond || c.ResolveInterval != 250*time.Millisecond ||
		c.SessionID != "lab7" || !slices.Equal(c.KnownPeers, []string{"10.0.0.2", "host.example"}) {
		t.Errorf("link: %+v", c)
	}
	c, err = LoadConfig(writeCfg(t, "[multicast]\nAddressesOverride = {FF02:113D:6FDD:2C17:A643:FFE2:1BD1:3CD2, 224.0.0.183}\n"))
	if err != nil || !slices.Equal(c.Addresses, []string{"224.0.0.183"}) {
		t.Errorf("override: %v %v (IPv6 skipped)", c.Addresses, err)
	}
	for _, bad := range []string{
		"[ports]\nIPv6 = force\n", "[ports]\nIPv6 = maybe\n", "[multicast]\nResolveScope = planet\n",
		"[ports]\nBasePort = x\n", "[ports]\nBasePort = 65530\n", "novalue\n", "[ports\n", "[a]\nk = 1\nk = 2\n",
		"[tuning]\nUseProtocolVersion = 100\n", "[tuning]\nTimeProbeInterval = -1\n", "[multicast]\nAddressesOverride = {not-an-ip}\n",
	} {
		if _, err := LoadConfig(writeCfg(t, bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Addresses: []string{"::1"}}, "Addresses[0]"},
		{Config{BasePort: 70000}, "BasePort"},
		{Config{KnownPeers: []string{" "}}, "KnownPeers[0]"},
		{Config{ListenAddress: "localhost"}, "ListenAddress"},
		{Config{TimeProbes: 2, TimeMinProbes: 3}, "TimeMinProbes"},
		{Config{ResolveInterval: -1}, "ResolveInterval"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	if d := DefaultConfig(); !slices.Equal(d.Addresses, []string{"127.0.0.1"}) || len(d.KnownPeers) != 0 {
		t.Errorf("default config queries %v and %v", d.Addresses, d.KnownPeers)
	}
}
