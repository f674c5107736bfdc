package lsl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Discovery: a resolver sends the UDP datagram
//
//	LSL:shortinfo\r\n
//	<query>\r\n
//	<reply port> <query id>\r\n
//
// to every configured address at the multicast port and to every known
// peer at every port of the range; an outlet whose info matches the query
// sends "<query id>\r\n<shortinfo XML>" back to the asking address at the
// reply port. The resolver fills v4address with the address the answer
// came from.

// ErrNotFound is returned by Resolve when fewer streams than asked for
// answered before the context ended.
var ErrNotFound = errors.New("lsl: stream not found")

// sessionQuery scopes q to the session, as liblsl's resolve functions do
// (they prefix session_id='…' and); q is parenthesized so that an "or" in
// it stays inside the session.
func sessionQuery(session, q string) (string, error) {
	s, err := Prop("session_id", session)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(q) == "" {
		return s, nil
	}
	return s + " and (" + q + ")", nil
}

// Resolve finds the streams of cfg's session that match query (see Prop
// and the query language above; "" finds all). It sends a wave of queries
// every cfg.ResolveInterval and returns as soon as minimum distinct streams
// (by uid) answered, or, with minimum ≤ 0, everything that answered when ctx
// ends. With minimum > 0 and fewer answers when ctx ends, it returns those
// with an error wrapping ErrNotFound.
func Resolve(ctx context.Context, cfg Config, query string, minimum int) ([]StreamInfo, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	full, err := sessionQuery(cfg.SessionID, query)
	if err != nil {
		return nil, err
	}
	if _, err := compileQuery(full); err != nil {
		return nil, err
	}
	targets, err := resolveTargets(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: queryOpts(cfg.MulticastTTL)}
	pc, err := lc.ListenPacket(ctx, "udp4", net.JoinHostPort(cfg.ListenAddress, "0"))
	if err != nil {
		return nil, fmt.Errorf("lsl: resolve: %w", err)
	}
	conn := pc.(*net.UDPConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	id := strconv.FormatUint(rand.Uint64(), 10)
	port := conn.LocalAddr().(*net.UDPAddr).Port
	msg := []byte("LSL:shortinfo\r\n" + full + "\r\n" + strconv.Itoa(port) + " " + id + "\r\n")

	var found []StreamInfo
	seen := map[string]bool{}
	buf := make([]byte, 65536)
	for {
		for _, t := range targets {
			// A failed send (no route, a closed port's ICMP) loses one
			// target for one wave; the next wave tries again.
			_, _ = conn.WriteToUDPAddrPort(msg, t)
		}
		next := time.Now().Add(cfg.ResolveInterval)
		for time.Now().Before(next) {
			conn.SetReadDeadline(next)
			// Checked after setting the deadline, which would undo the
			// cancellation's past deadline had it come just before.
			if ctx.Err() != nil {
				return resolveDone(ctx, found, minimum)
			}
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				return found, fmt.Errorf("lsl: resolve: %w", err)
			}
			info, ok := parseShortinfoReply(buf[:n], id)
			if !ok || seen[info.UID] {
				continue
			}
			if info.V4Address == "" {
				info.V4Address = from.Addr().Unmap().String()
			}
			seen[info.UID] = true
			found = append(found, info)
			if minimum > 0 && len(found) >= minimum {
				return found, nil
			}
		}
	}
}

func resolveDone(ctx context.Context, found []StreamInfo, minimum int) ([]StreamInfo, error) {
	if minimum > 0 && len(found) < minimum {
		return found, fmt.Errorf("%w: %d of %d streams answered (%w)", ErrNotFound, len(found), minimum, ctx.Err())
	}
	return found, nil
}

// resolveTargets lists the configured addresses at the multicast port and
// the known peers at every port of the range.
func resolveTargets(ctx context.Context, cfg Config) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, a := range cfg.Addresses {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("lsl: Config.Addresses: %w", err)
		}
		out = append(out, netip.AddrPortFrom(ip, uint16(cfg.MulticastPort)))
	}
	for _, peer := range cfg.KnownPeers {
		ips, err := lookupIPv4(ctx, peer)
		if err != nil {
			return nil, err
		}
		for _, ip := range ips {
			for p := cfg.BasePort; p < cfg.BasePort+cfg.PortRange; p++ {
				out = append(out, netip.AddrPortFrom(ip, uint16(p)))
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("lsl: resolve: no Addresses and no KnownPeers to query")
	}
	return out, nil
}

func lookupIPv4(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !ip.Is4() {
			return nil, fmt.Errorf("lsl: known peer %s: only IPv4 is supported", host)
		}
		return []netip.Addr{ip}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return nil, fmt.Errorf("lsl: known peer %s: %w", host, err)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// parseShortinfoReply reads "<id>\r\n<xml>"; replies for other queries
// and malformed ones are ignored, as liblsl does.
func parseShortinfoReply(b []byte, id string) (StreamInfo, bool) {
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || string(bytes.TrimSpace(line)) != id {
		return StreamInfo{}, false
	}
	info, err := ParseInfo(rest)
	return info, err == nil
}

// serveUDP answers discovery queries on conn and, when timeService is
// set (the outlet's own service port, not the shared multicast port),
// clock probes. It returns when conn is closed.
func (o *Outlet) serveUDP(conn *net.UDPConn, timeService bool) {
	buf := make([]byte, 65536)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		t1 := o.clock()
		method, rest, _ := bytes.Cut(buf[:n], []byte("\n"))
		switch string(bytes.TrimSpace(method)) {
		case "LSL:shortinfo":
			o.answerShortinfo(conn, from, rest)
		case "LSL:timedata":
			if timeService {
				if reply, ok := timeReply(rest, t1, o.clock); ok {
					_, _ = conn.WriteToUDPAddrPort(reply, from)
				}
			}
		}
	}
}

func (o *Outlet) answerShortinfo(conn *net.UDPConn, from netip.AddrPort, req []byte) {
	q, rest, ok := bytes.Cut(req, []byte("\n"))
	if !ok {
		return
	}
	fields := strings.Fields(string(rest))
	if len(fields) < 2 {
		return
	}
	port, err := strconv.Atoi(fields[0])
	if err != nil || port < 1 || port > 65535 {
		return
	}
	if !o.matches(string(bytes.TrimSpace(q))) {
		return
	}
	reply := append([]byte(fields[1]+"\r\n"), o.short...)
	_, _ = conn.WriteToUDPAddrPort(reply, netip.AddrPortFrom(from.Addr(), uint16(port)))
}
