package lsl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// Time correction, liblsl's time_receiver: the inlet sends probes
//
//	LSL:timedata\r\n<wave id> <t0>\r\n
//
// to the outlet's UDP service port, t0 on its own clock; the outlet
// answers " <wave id> <t0> <t1> <t2>", t1 its clock when the probe
// arrived and t2 when it answers. With t3 the inlet's clock on arrival,
// each answer gives
//
//	rtt    = (t3 - t0) - (t2 - t1)
//	offset = ((t1 - t0) + (t2 - t3)) / 2   (outlet clock − inlet clock)
//
// and, as in NTP, the estimate is the offset of the answer with the
// smallest rtt; its rtt bounds the error. Timestamps from the outlet map
// onto the inlet's clock by adding −offset, which liblsl's
// time_correction() returns.

// TimeOffset is one clock-offset estimate.
type TimeOffset struct {
	// Offset is what to add to the outlet's timestamps to get this
	// machine's LocalClock, in seconds (liblsl's time_correction()).
	Offset float64
	// RTT is the round trip of the best probe in seconds: the estimate is
	// within ±RTT/2 of the true offset when the network is symmetric and
	// within RTT in any case.
	RTT float64
	// LocalTime and RemoteTime are the two clocks at the best probe's
	// midpoint (XDF's clock offset records pair them).
	LocalTime, RemoteTime float64
	// Probes is the number of probes answered.
	Probes int
}

// ErrNoTimeOffset is returned when too few clock probes were answered.
var ErrNoTimeOffset = errors.New("lsl: clock probes unanswered")

// timeReply answers a timedata request; ok is false for a malformed one.
func timeReply(req []byte, t1 float64, clock func() float64) ([]byte, bool) {
	f := strings.Fields(string(req))
	if len(f) < 2 {
		return nil, false
	}
	wave, err := strconv.ParseInt(f[0], 10, 32)
	if err != nil {
		return nil, false
	}
	t0, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return nil, false
	}
	var b []byte
	b = append(b, ' ')
	b = strconv.AppendInt(b, wave, 10)
	for _, t := range [...]float64{t0, t1, clock()} {
		b = append(b, ' ')
		b = strconv.AppendFloat(b, t, 'g', 16, 64) // as C++ precision(16)
	}
	return b, true
}

// measureOffset sends cfg.TimeProbes probes to addr, cfg.TimeProbeInterval
// apart, and estimates the offset from those answered within
// cfg.TimeProbeMaxRTT of the last one (it returns early once all are).
func measureOffset(ctx context.Context, cfg *Config, addr *net.UDPAddr, clock func() float64) (TimeOffset, error) {
	var laddr *net.UDPAddr
	if cfg.ListenAddress != "" {
		laddr = &net.UDPAddr{IP: net.ParseIP(cfg.ListenAddress)}
	}
	conn, err := net.DialUDP("udp4", laddr, addr)
	if err != nil {
		return TimeOffset{}, fmt.Errorf("lsl: time probes to %v: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	wave := strconv.Itoa(int(rand.Int32()))
	best := TimeOffset{RTT: math.Inf(1)}
	answered := map[float64]bool{} // by t0: a duplicated datagram counts once
	sent := 0
	nextSend := time.Now()
	var end time.Time
	buf := make([]byte, 1024)
	for {
		now := time.Now()
		if sent < cfg.TimeProbes && !now.Before(nextSend) {
			msg := "LSL:timedata\r\n" + wave + " " + strconv.FormatFloat(clock(), 'g', 16, 64) + "\r\n"
			// A lost probe is a missing answer; the estimate needs only
			// TimeMinProbes of them.
			_, _ = conn.Write([]byte(msg))
			sent++
			nextSend = now.Add(cfg.TimeProbeInterval)
			if sent == cfg.TimeProbes {
				end = now.Add(cfg.TimeProbeMaxRTT)
			}
		}
		if sent == cfg.TimeProbes && (len(answered) == sent || !now.Before(end)) {
			break
		}
		deadline := nextSend
		if sent == cfg.TimeProbes {
			deadline = end
		}
		conn.SetReadDeadline(deadline)
		if ctx.Err() != nil { // after the deadline: see Resolve
			return TimeOffset{}, ctx.Err()
		}
		n, err := conn.Read(buf)
		t3 := clock()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// A refused probe (ICMP port unreachable) means no outlet.
			return TimeOffset{}, fmt.Errorf("lsl: time probes to %v: %w", addr, err)
		}
		f := strings.Fields(string(bytes.TrimSpace(buf[:n])))
		if len(f) != 4 || f[0] != wave {
			continue
		}
		var t [3]float64
		ok := true
		for i := range t {
			if t[i], err = strconv.ParseFloat(f[i+1], 64); err != nil {
				ok = false
			}
		}
		if !ok || answered[t[0]] {
			continue
		}
		answered[t[0]] = true
		t0, t1, t2 := t[0], t[1], t[2]
		rtt := (t3 - t0) - (t2 - t1)
		if rtt < best.RTT {
			best = TimeOffset{
				Offset:     -((t1 - t0) + (t2 - t3)) / 2,
				RTT:        rtt,
				LocalTime:  (t3 + t0) / 2,
				RemoteTime: (t2 + t1) / 2,
			}
		}
	}
	best.Probes = len(answered)
	if best.Probes < cfg.TimeMinProbes {
		return TimeOffset{}, fmt.Errorf("%w: %d of %d answered by %v, %d needed", ErrNoTimeOffset, best.Probes, sent, addr, cfg.TimeMinProbes)
	}
	return best, nil
}
