package lsl

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config says where discovery looks and which ports outlets take: the
// [ports], [multicast], [lab] and [tuning] settings of liblsl's
// lsl_api.cfg (LoadConfig reads that file). Resolvers send queries to
// exactly the Addresses (at MulticastPort) and the KnownPeers (at every
// port of BasePort…BasePort+PortRange-1) and to nothing else; the default
// is this machine only.
type Config struct {
	// MulticastPort is where outlets listen for discovery queries on each
	// of Addresses. Default: 16571.
	MulticastPort int
	// BasePort is the first port outlets bind their TCP data and UDP
	// service sockets to, and the first known-peer port queried.
	// Default: 16572.
	BasePort int
	// PortRange is the number of ports from BasePort outlets try and
	// known peers are queried at. Default: 32.
	PortRange int
	// NoRandomPorts makes an outlet fail when every port of the range is
	// taken, instead of binding one the system chooses (which known-peer
	// queries cannot find). Default: false.
	NoRandomPorts bool

	// Addresses are the multicast, broadcast or unicast IPv4 addresses
	// discovery queries are sent to and outlets answer on (liblsl's
	// multicast addresses of the ResolveScope, or AddressesOverride).
	// Default: ["127.0.0.1"] (liblsl's machine scope). liblsl's default,
	// the site scope, is ["127.0.0.1", "255.255.255.255", "224.0.0.1",
	// "224.0.0.183", "239.255.172.215"].
	Addresses []string
	// MulticastTTL is the hop limit of multicast queries; 0 keeps the
	// system's (1). LoadConfig sets liblsl's value of the ResolveScope:
	// 1 link, 24 site, 32 organization, 255 global. Default: 0.
	MulticastTTL int
	// KnownPeers are host names or IPv4 addresses queried by unicast at
	// every port of the range ([lab] KnownPeers). Default: none.
	KnownPeers []string
	// ListenAddress is the local IPv4 address outlets bind to. Default: ""
	// (every interface, as liblsl).
	ListenAddress string
	// SessionID scopes discovery: resolvers only find outlets of the same
	// session ([lab] SessionID). Default: "default".
	SessionID string

	// ResolveInterval is the time between waves of discovery queries
	// ([tuning] MulticastMinRTT). Default: 500ms.
	ResolveInterval time.Duration
	// TimeProbes is the number of clock probes per time-correction
	// estimate ([tuning] TimeProbeCount). Default: 8.
	TimeProbes int
	// TimeMinProbes is the number of answered probes an estimate needs
	// ([tuning] TimeUpdateMinProbes). Default: 6.
	TimeMinProbes int
	// TimeProbeInterval separates the probes ([tuning]
	// TimeProbeInterval). Default: 64ms.
	TimeProbeInterval time.Duration
	// TimeProbeMaxRTT is how long an estimate waits for answers after its
	// last probe ([tuning] TimeProbeMaxRTT). Default: 128ms.
	TimeProbeMaxRTT time.Duration
	// TimeUpdateInterval is the age after which an inlet's clock offset is
	// measured again ([tuning] TimeUpdateInterval). Default: 2s.
	TimeUpdateInterval time.Duration
}

// DefaultConfig is Config with every default filled in.
func DefaultConfig() Config {
	var c Config
	c.setDefaults()
	return c
}

func (c *Config) setDefaults() {
	if c.MulticastPort == 0 {
		c.MulticastPort = 16571
	}
	if c.BasePort == 0 {
		c.BasePort = 16572
	}
	if c.PortRange == 0 {
		c.PortRange = 32
	}
	if c.Addresses == nil {
		c.Addresses = []string{"127.0.0.1"}
	}
	if c.SessionID == "" {
		c.SessionID = "default"
	}
	if c.ResolveInterval == 0 {
		c.ResolveInterval = 500 * time.Millisecond
	}
	if c.TimeProbes == 0 {
		c.TimeProbes = 8
	}
	if c.TimeMinProbes == 0 {
		c.TimeMinProbes = min(6, c.TimeProbes)
	}
	if c.TimeProbeInterval == 0 {
		c.TimeProbeInterval = 64 * time.Millisecond
	}
	if c.TimeProbeMaxRTT == 0 {
		c.TimeProbeMaxRTT = 128 * time.Millisecond
	}
	if c.TimeUpdateInterval == 0 {
		c.TimeUpdateInterval = 2 * time.Second
	}
}

// Validate names the first field that is out of range.
func (c *Config) Validate() error {
	d := *c
	d.setDefaults()
	port := func(name string, p int) error {
		if p < 1 || p > 65535 {
			return fmt.Errorf("lsl: Config.%s: %d is not a port", name, p)
		}
		return nil
	}
	if err := port("MulticastPort", d.MulticastPort); err != nil {
		return err
	}
	if err := port("BasePort", d.BasePort); err != nil {
		return err
	}
	if d.PortRange < 1 || d.BasePort+d.PortRange-1 > 65535 {
		return fmt.Errorf("lsl: Config.PortRange: %d ports from %d run past 65535", d.PortRange, d.BasePort)
	}
	for i, a := range d.Addresses {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			return fmt.Errorf("lsl: Config.Addresses[%d]: %q is not an IPv4 address", i, a)
		}
	}
	for i, p := range d.KnownPeers {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("lsl: Config.KnownPeers[%d]: empty", i)
		}
	}
	if d.ListenAddress != "" {
		if ip, err := netip.ParseAddr(d.ListenAddress); err != nil || !ip.Is4() {
			return fmt.Errorf("lsl: Config.ListenAddress: %q is not an IPv4 address", d.ListenAddress)
		}
	}
	if d.MulticastTTL < 0 || d.MulticastTTL > 255 {
		return fmt.Errorf("lsl: Config.MulticastTTL: %d outside 0..255", d.MulticastTTL)
	}
	for _, f := range [...]struct {
		name string
		v    time.Duration
	}{{"ResolveInterval", d.ResolveInterval}, {"TimeProbeInterval", d.TimeProbeInterval}, {"TimeProbeMaxRTT", d.TimeProbeMaxRTT}, {"TimeUpdateInterval", d.TimeUpdateInterval}} {
		if f.v < 0 {
			return fmt.Errorf("lsl: Config.%s: must not be negative, got %v", f.name, f.v)
		}
	}
	if d.TimeProbes < 1 || d.TimeMinProbes < 1 || d.TimeMinProbes > d.TimeProbes {
		return fmt.Errorf("lsl: Config.TimeMinProbes: %d must be in 1..TimeProbes (%d)", d.TimeMinProbes, d.TimeProbes)
	}
	return nil
}

// LoadConfig reads a liblsl configuration file (lsl_api.cfg, the file
// liblsl finds through the LSLAPICFG environment variable) into a Config,
// with liblsl's defaults for what the file leaves out, except that nothing
// in it means this machine only (see Config.Addresses). IPv6 addresses are
// skipped (this package speaks IPv4); "IPv6 = force" is an error.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("lsl: config: %w", err)
	}
	defer f.Close()
	kv, err := readINI(f, path)
	if err != nil {
		return Config{}, err
	}
	var c Config
	bad := func(key string, err error) (Config, error) {
		return Config{}, fmt.Errorf("lsl: config %s: %s: %w", path, key, err)
	}
	ints := []struct {
		key string
		dst *int
	}{{"ports.MulticastPort", &c.MulticastPort}, {"ports.BasePort", &c.BasePort}, {"ports.PortRange", &c.PortRange},
		{"tuning.TimeProbeCount", &c.TimeProbes}, {"tuning.TimeUpdateMinProbes", &c.TimeMinProbes}}
	for _, p := range ints {
		if v, ok := kv[p.key]; ok {
			if *p.dst, err = strconv.Atoi(v); err != nil {
				return bad(p.key, err)
			}
		}
	}
	secs := []struct {
		key string
		dst *time.Duration
	}{{"tuning.MulticastMinRTT", &c.ResolveInterval}, {"tuning.TimeProbeInterval", &c.TimeProbeInterval},
		{"tuning.TimeProbeMaxRTT", &c.TimeProbeMaxRTT}, {"tuning.TimeUpdateInterval", &c.TimeUpdateInterval}}
	for _, p := range secs {
		if v, ok := kv[p.key]; ok {
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s <= 0 {
				return bad(p.key, fmt.Errorf("%q is not a positive number of seconds", v))
			}
			*p.dst = time.Duration(s * float64(time.Second))
		}
	}
	if v, ok := kv["ports.AllowRandomPorts"]; ok {
		c.NoRandomPorts = v != "1" // liblsl reads a bool as "1" or anything else
	}
	switch v := kv["ports.IPv6"]; v {
	case "", "allow", "allowed", "disable", "disabled":
	case "force", "forced":
		return bad("ports.IPv6", errors.New("IPv6 only is not supported: this package speaks IPv4"))
	default:
		return bad("ports.IPv6", fmt.Errorf("unsupported setting %q", v))
	}
	if v, ok := kv["tuning.UseProtocolVersion"]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < ProtocolVersion {
			return bad("tuning.UseProtocolVersion", fmt.Errorf("%q: only protocol %d is implemented", v, ProtocolVersion))
		}
	}

	// The address list of the ResolveScope, as liblsl's api_config builds it.
	set := func(key, def string) []string {
		v, ok := kv[key]
		if !ok {
			v = def
		}
		return parseSet(v)
	}
	scopes := []string{"machine", "link", "site", "organization", "global"}
	scope := kv["multicast.ResolveScope"]
	if scope == "" {
		scope = "site"
	}
	level := -1
	for i, s := range scopes {
		if s == scope {
			level = i
		}
	}
	if level < 0 {
		return bad("multicast.ResolveScope", fmt.Errorf("unsupported scope %q", scope))
	}
	groups := [][]string{
		set("multicast.MachineAddresses", "{127.0.0.1}"),
		set("multicast.LinkAddresses", "{255.255.255.255, 224.0.0.1, 224.0.0.183}"),
		set("multicast.SiteAddresses", "{239.255.172.215}"),
		set("multicast.OrganizationAddresses", "{}"),
		set("multicast.GlobalAddresses", "{}"),
	}
	ttls := []int{0, 1, 24, 32, 255}
	var addrs []string
	for i := 0; i <= level; i++ {
		addrs = append(addrs, groups[i]...)
	}
	c.MulticastTTL = ttls[level]
	if v, ok := kv["multicast.TTLOverride"]; ok {
		if c.MulticastTTL, err = strconv.Atoi(v); err != nil {
			return bad("multicast.TTLOverride", err)
		}
	}
	if o := set("multicast.AddressesOverride", "{}"); len(o) > 0 {
		addrs = o
	}
	c.Addresses = []string{}
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return bad("multicast addresses", fmt.Errorf("%q is not an IP address", a))
		}
		if ip.Is4() {
			c.Addresses = append(c.Addresses, a)
		}
	}
	c.ListenAddress = kv["multicast.ListenAddress"]
	c.KnownPeers = set("lab.KnownPeers", "{}")
	c.SessionID = kv["lab.SessionID"]
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("lsl: config %s: %w", path, err)
	}
	return c, nil
}

// readINI reads liblsl's INI dialect: [section] lines, key = value lines,
// comments only as lines starting with ';', keys "section.key".
func readINI(f *os.File, path string) (map[string]string, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	section := ""
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, ";") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("lsl: config %s:%d: no closing ]", path, n)
			}
			section = line[1:end] + "."
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("lsl: config %s:%d: not a key = value line", path, n)
		}
		if _, dup := kv[section+k]; dup {
			return nil, fmt.Errorf("lsl: config %s:%d: duplicate key %s", path, n, section+k)
		}
		kv[section+k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("lsl: config %s: %w", path, err)
	}
	return kv, nil
}

// parseSet reads liblsl's "{a, b, c}" lists.
func parseSet(s string) []string {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s[1:len(s)-1], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
