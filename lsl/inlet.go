package lsl

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// InletConfig configures an Inlet.
type InletConfig struct {
	// Config says where recovery looks for a restarted outlet and which
	// clock-probe settings to use.
	Config
	// MaxBuffered is how much data the outlet should queue for this inlet
	// while it does not pull, in seconds at the nominal rate (100 samples
	// a second for irregular streams); sent as Max-Buffer-Length. Default:
	// 360s (liblsl's).
	MaxBuffered time.Duration
	// MaxChunk asks the outlet to send at most this many samples at once
	// (Max-Chunk-Length). Default: 0 (the outlet's choice).
	MaxChunk int
	// MaxChannels refuses streams with more channels. Default: 65536.
	MaxChannels int
	// MaxStringLen refuses string values longer than this many bytes; the
	// connection is dropped as garbage. Default: 1 MiB.
	MaxStringLen int
	// DialTimeout bounds connecting and each handshake (full info, feed
	// header, test patterns). Default: 5s.
	DialTimeout time.Duration
	// StallTimeout is the silence after which the connection is checked:
	// a regular-rate stream (silent for max(StallTimeout, 3 samples)) is
	// reconnected; for an irregular one the outlet is probed and the
	// connection dropped only if it does not answer. Default: 5s.
	StallTimeout time.Duration
	// NoRecover makes a lost connection an error (ErrStreamLost) instead
	// of reconnecting. Default: false (recover, as liblsl's recover=true).
	NoRecover bool
	// RecoverTimeout bounds the time spent looking for the outlet again
	// before Pull returns ErrStreamLost. Default: 0 (until Pull's context
	// ends).
	RecoverTimeout time.Duration
	// Clock is this machine's LSL clock for clock probes. Default:
	// LocalClock.
	Clock func() float64
	// Logger receives reconnections and their reasons. Default: discarded.
	Logger *slog.Logger
}

func (c *InletConfig) setDefaults() {
	c.Config.setDefaults()
	if c.MaxBuffered == 0 {
		c.MaxBuffered = 360 * time.Second
	}
	if c.MaxChannels == 0 {
		c.MaxChannels = 65536
	}
	if c.MaxStringLen == 0 {
		c.MaxStringLen = 1 << 20
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 5 * time.Second
	}
	if c.Clock == nil {
		c.Clock = LocalClock
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate names the first field out of range.
func (c *InletConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	for _, f := range [...]struct {
		name string
		v    time.Duration
	}{{"MaxBuffered", c.MaxBuffered}, {"DialTimeout", c.DialTimeout}, {"StallTimeout", c.StallTimeout}, {"RecoverTimeout", c.RecoverTimeout}} {
		if f.v < 0 {
			return fmt.Errorf("lsl: InletConfig.%s: must not be negative, got %v", f.name, f.v)
		}
	}
	switch {
	case c.MaxChunk < 0:
		return fmt.Errorf("lsl: InletConfig.MaxChunk: must not be negative, got %d", c.MaxChunk)
	case c.MaxChannels < 0 || c.MaxChannels > MaxChannelCount:
		return fmt.Errorf("lsl: InletConfig.MaxChannels: %d outside 0..%d", c.MaxChannels, MaxChannelCount)
	case c.MaxStringLen < 0 || c.MaxStringLen > 1<<30:
		return fmt.Errorf("lsl: InletConfig.MaxStringLen: %d outside 0..%d", c.MaxStringLen, 1<<30)
	}
	return nil
}

// ErrStreamLost is returned by Pull when the connection is gone and
// cannot be recovered: NoRecover is set, the stream has no source_id, or
// RecoverTimeout passed without finding it again.
var ErrStreamLost = errors.New("lsl: stream lost")

// ErrStreamChanged is returned by Pull when the outlet came back with the
// same source_id but another channel count or format: the samples would
// not fit what the caller was reading. It is final.
var ErrStreamChanged = errors.New("lsl: stream changed")

// errUIDChanged means the endpoint now serves another outlet instance.
var errUIDChanged = errors.New("lsl: the endpoint serves another outlet now")

// Inlet reads one stream from an outlet, liblsl's stream_inlet. Pull and
// Close may be called from different goroutines, as may Info and
// TimeCorrection; Pull itself is not for concurrent use.
type Inlet struct {
	cfg InletConfig
	log *slog.Logger

	closeCtx context.Context
	closeFn  context.CancelFunc

	mu         sync.Mutex // guards info, uid, conn, reconnects
	info       StreamInfo // the current outlet's full info
	conn       net.Conn
	reconnects int

	// Owned by Pull.
	fr        *feedReader
	lastTS    float64
	haveRef   bool
	pending   Chunk // samples deduced before any timestamp arrived
	carry     Chunk // complete samples waiting for the next Pull
	carryPos  int
	recovered bool
	final     error // ErrStreamChanged, once
	lostSince time.Time
	lostErr   error // why the last connection was dropped

	tmu     sync.Mutex // serializes clock measurements
	toff    TimeOffset
	toffAt  time.Time
	toffUID string
}

// NewInlet connects to the outlet of a resolved info (Resolve fills its
// address and ports): it fetches the full info, with Desc, and opens the
// data feed. Samples the outlet pushes from then on are kept for Pull
// (up to MaxBuffered).
func NewInlet(ctx context.Context, info StreamInfo, cfg InletConfig) (*Inlet, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if info.V4Address == "" || info.V4DataPort == 0 {
		return nil, fmt.Errorf("lsl: inlet %q: no IPv4 address and data port: resolve the stream first", info.Name)
	}
	in := &Inlet{cfg: cfg, log: cfg.Logger}
	in.closeCtx, in.closeFn = context.WithCancel(context.Background())
	full, fr, err := in.connect(ctx, info)
	if err != nil {
		return nil, err
	}
	in.install(full, fr)
	in.recovered = false
	return in, nil
}

// Info returns the current outlet's full info (after a recovery, the new
// outlet's).
func (in *Inlet) Info() StreamInfo {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.info.Clone()
}

// Reconnects counts the data connections opened after the first one.
func (in *Inlet) Reconnects() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.reconnects
}

// Close ends the inlet; a Pull in progress returns ErrClosed.
func (in *Inlet) Close() error {
	in.closeFn()
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.conn != nil {
		in.conn.Close()
	}
	return nil
}

func (in *Inlet) install(full StreamInfo, fr *feedReader) {
	in.mu.Lock()
	if in.conn != nil {
		in.conn.Close()
	}
	in.info, in.conn = full, fr.conn
	if in.closeCtx.Err() != nil {
		fr.conn.Close()
	}
	in.mu.Unlock()
	in.fr = fr
	in.haveRef, in.lastTS = false, 0
	in.pending.Reset(full.Format, full.ChannelCount)
	in.recovered = true
	in.lostSince = time.Time{}
}

// Pull blocks until at least one sample is available (or ctx ends) and
// returns up to max of them (1024 if max ≤ 0) in c, which it resets. It
// reconnects after a lost connection unless NoRecover, setting
// c.Recovered on the first chunk after; see ErrStreamLost and
// ErrStreamChanged for when it gives up.
func (in *Inlet) Pull(ctx context.Context, c *Chunk, max int) error {
	if max <= 0 {
		max = 1024
	}
	if in.final != nil {
		return in.final
	}
	if in.closeCtx.Err() != nil {
		return ErrClosed
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(in.closeCtx, func() { cancel(ErrClosed) })
	defer stop()

	info := in.Info()
	c.Reset(info.Format, info.ChannelCount)
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if in.carryPos < in.carry.Len() {
			// Complete samples a previous Pull had no room for, alone in
			// their chunk: they may come from a connection since lost.
			k := min(max, in.carry.Len()-in.carryPos)
			appendSamples(c, &in.carry, in.carryPos, in.carryPos+k)
			c.UID = in.carry.UID
			if in.carryPos += k; in.carryPos == in.carry.Len() {
				in.carry.Reset(c.Format, c.Channels)
				in.carryPos = 0
			}
			return nil
		}
		if in.fr == nil {
			if err := in.recover(ctx); err != nil {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				return err
			}
			info = in.Info()
			c.Reset(info.Format, info.ChannelCount)
		}
		if err := in.decodeBuffered(c, max); err != nil {
			in.drop(err)
			continue
		}
		if c.Len() > 0 {
			c.UID = info.UID
			c.Recovered, in.recovered = in.recovered, false
			return nil
		}
		if err := in.await(ctx, info); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			in.drop(err)
		}
	}
}

// await reads more data, checking the outlet when the stream is silent.
func (in *Inlet) await(ctx context.Context, info StreamInfo) error {
	stall := in.cfg.StallTimeout
	if info.NominalRate > 0 {
		stall = max(stall, time.Duration(3/info.NominalRate*float64(time.Second)))
	}
	silentSince := time.Now()
	for {
		err := in.fr.fill(ctx, time.Now().Add(stall))
		if err == nil {
			return nil
		}
		var ne net.Error
		if ctx.Err() != nil || !errors.As(err, &ne) || !ne.Timeout() {
			return err
		}
		if info.NominalRate > 0 {
			return fmt.Errorf("no data for %v", time.Since(silentSince).Round(time.Millisecond))
		}
		if err := in.probeAlive(ctx, info); err != nil {
			return fmt.Errorf("silent for %v and %w", time.Since(silentSince).Round(time.Millisecond), err)
		}
	}
}

// probeAlive sends a few clock probes to the outlet's service port.
func (in *Inlet) probeAlive(ctx context.Context, info StreamInfo) error {
	cfg := in.cfg.Config
	cfg.TimeProbes, cfg.TimeMinProbes = 3, 1
	cfg.TimeProbeInterval, cfg.TimeProbeMaxRTT = 100*time.Millisecond, 500*time.Millisecond
	addr := &net.UDPAddr{IP: net.ParseIP(info.V4Address), Port: info.V4ServicePort}
	_, err := measureOffset(ctx, &cfg, addr, in.cfg.Clock)
	if err != nil {
		return fmt.Errorf("the outlet does not answer probes: %w", err)
	}
	return nil
}

// drop closes the data connection after err; the next Pull iteration
// recovers.
func (in *Inlet) drop(err error) {
	if in.fr == nil {
		return
	}
	info := in.Info()
	in.log.Info("lsl inlet: connection lost", "name", info.Name, "uid", info.UID, "err", err)
	in.fr.conn.Close()
	in.fr = nil
	in.lostErr = err
	if in.lostSince.IsZero() {
		in.lostSince = time.Now()
	}
}

// recover connects again: to the same outlet if it still serves, else to
// the one stream of the session with the same source_id.
func (in *Inlet) recover(ctx context.Context) error {
	cur := in.Info()
	lost := func(err error) error {
		return fmt.Errorf("%w: %q (source_id %q): %w", ErrStreamLost, cur.Name, cur.SourceID, err)
	}
	if in.lostSince.IsZero() {
		in.lostSince = time.Now()
	}
	if in.cfg.NoRecover {
		if in.lostErr != nil {
			return lost(fmt.Errorf("recovery disabled; the connection ended with: %w", in.lostErr))
		}
		return lost(errors.New("recovery disabled"))
	}
	if cur.SourceID == "" {
		return lost(errors.New("a stream without source_id cannot be recovered"))
	}
	query, err := Prop("source_id", cur.SourceID)
	if err != nil {
		return lost(err)
	}
	var last error
	for attempt := 0; ; attempt++ {
		if in.cfg.RecoverTimeout > 0 && time.Since(in.lostSince) > in.cfg.RecoverTimeout {
			return lost(fmt.Errorf("not found again within %v (last: %w)", in.cfg.RecoverTimeout, last))
		}
		if attempt > 0 {
			// liblsl waits 500 ms between attempts not to flood the outlet.
			select {
			case <-ctx.Done():
				return context.Cause(ctx)
			case <-time.After(500 * time.Millisecond):
			}
		}
		if attempt == 0 {
			// The outlet may still be there (a stall, a dropped connection).
			if full, fr, err := in.connect(ctx, cur); err == nil {
				in.reconnected(full, fr)
				return nil
			} else {
				last = err
			}
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, max(time.Second, 2*in.cfg.ResolveInterval))
		found, err := Resolve(rctx, in.cfg.Config, query, 0)
		cancel()
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err != nil {
			last = err
			continue
		}
		var target *StreamInfo
		for i := range found {
			if found[i].UID == cur.UID {
				target = &found[i]
			}
		}
		switch {
		case target != nil:
		case len(found) == 1:
			target = &found[0]
		case len(found) == 0:
			last = errors.New("no outlet with this source_id answers")
			continue
		default:
			last = fmt.Errorf("%d outlets with this source_id answer; waiting for one", len(found))
			in.log.Warn("lsl inlet: cannot recover while several outlets share the source_id", "source_id", cur.SourceID, "n", len(found))
			continue
		}
		if target.ChannelCount != cur.ChannelCount || target.Format != cur.Format {
			in.final = fmt.Errorf("%w: %q (source_id %q) came back with %d %v channels, was %d %v",
				ErrStreamChanged, cur.Name, cur.SourceID, target.ChannelCount, target.Format, cur.ChannelCount, cur.Format)
			return in.final
		}
		full, fr, err := in.connect(ctx, *target)
		if err != nil {
			last = err
			continue
		}
		if full.ChannelCount != cur.ChannelCount || full.Format != cur.Format {
			fr.conn.Close()
			in.final = fmt.Errorf("%w: %q (source_id %q) came back with %d %v channels, was %d %v",
				ErrStreamChanged, cur.Name, cur.SourceID, full.ChannelCount, full.Format, cur.ChannelCount, cur.Format)
			return in.final
		}
		in.reconnected(full, fr)
		return nil
	}
}

func (in *Inlet) reconnected(full StreamInfo, fr *feedReader) {
	in.install(full, fr)
	in.mu.Lock()
	in.reconnects++
	in.mu.Unlock()
	in.log.Info("lsl inlet: reconnected", "name", full.Name, "uid", full.UID)
}

// connect fetches the full info of target's outlet and opens its feed.
func (in *Inlet) connect(ctx context.Context, target StreamInfo) (StreamInfo, *feedReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(in.closeCtx, cancel)
	defer stop()
	addr := net.JoinHostPort(target.V4Address, strconv.Itoa(target.V4DataPort))
	full, err := in.fetchFullInfo(ctx, addr)
	if err != nil {
		return StreamInfo{}, nil, err
	}
	if target.UID != "" && full.UID != target.UID {
		return StreamInfo{}, nil, fmt.Errorf("%w: %s has uid %s, resolved %s", errUIDChanged, addr, full.UID, target.UID)
	}
	if full.ChannelCount < 1 || full.ChannelCount > in.cfg.MaxChannels {
		return StreamInfo{}, nil, fmt.Errorf("lsl: inlet %q: %d channels outside 1..%d (InletConfig.MaxChannels)", full.Name, full.ChannelCount, in.cfg.MaxChannels)
	}
	// The resolver saw the address; the outlet does not know it.
	full.V4Address = target.V4Address
	fr, err := in.openFeed(ctx, addr, full)
	if err != nil {
		return StreamInfo{}, nil, err
	}
	return full, fr, nil
}

func (in *Inlet) dial(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: in.cfg.DialTimeout}
	if in.cfg.ListenAddress != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(in.cfg.ListenAddress)}
	}
	conn, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("lsl: connect %s: %w", addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return conn, nil
}

// fetchFullInfo sends "LSL:fullinfo" and reads the document until the
// outlet closes the connection.
func (in *Inlet) fetchFullInfo(ctx context.Context, addr string) (StreamInfo, error) {
	conn, err := in.dial(ctx, addr)
	if err != nil {
		return StreamInfo{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn.SetDeadline(time.Now().Add(in.cfg.DialTimeout))
	if _, err := conn.Write([]byte("LSL:fullinfo\r\n")); err != nil {
		return StreamInfo{}, fmt.Errorf("lsl: full info from %s: %w", addr, err)
	}
	doc, err := io.ReadAll(io.LimitReader(conn, MaxInfoSize+1))
	if err != nil {
		return StreamInfo{}, fmt.Errorf("lsl: full info from %s: %w", addr, err)
	}
	info, err := ParseInfo(doc)
	if err != nil {
		return StreamInfo{}, fmt.Errorf("lsl: full info from %s: %w", addr, err)
	}
	return info, nil
}

// openFeed negotiates a data feed of protocol 1.10 and checks the test
// patterns.
func (in *Inlet) openFeed(ctx context.Context, addr string, info StreamInfo) (*feedReader, error) {
	conn, err := in.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return in.negotiateFeed(ctx, conn, addr, info)
}

// negotiateFeed sends the feed request on conn and reads the response
// header and the test patterns; conn is closed on failure.
func (in *Inlet) negotiateFeed(ctx context.Context, conn net.Conn, addr string, info StreamInfo) (*feedReader, error) {
	fr, err := in.handshake(ctx, conn, info)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("lsl: data feed of %q from %s: %w", info.Name, addr, err)
	}
	conn.SetDeadline(time.Time{})
	return fr, nil
}

// handshake is negotiateFeed's exchange: the request, the status line,
// the response header and the test patterns.
func (in *Inlet) handshake(ctx context.Context, conn net.Conn, info StreamInfo) (*feedReader, error) {
	dec := sampleDecoder{format: info.Format, channels: info.ChannelCount, order: binary.LittleEndian, maxStringLen: in.cfg.MaxStringLen}
	fr := newFeedReader(conn, dec.maxSampleBytes())
	deadline := time.Now().Add(in.cfg.DialTimeout)
	conn.SetWriteDeadline(deadline)
	if _, err := conn.Write(in.feedHeader(info)); err != nil {
		return nil, err
	}
	if err := fr.readStatus(ctx, deadline); err != nil {
		return nil, err
	}
	if err := fr.readHeader(ctx, deadline, &dec, info.UID); err != nil {
		return nil, err
	}
	fr.dec = dec
	if err := fr.checkTestPatterns(ctx, deadline, info); err != nil {
		return nil, err
	}
	return fr, nil
}

// feedHeader is the feed request for info's stream.
func (in *Inlet) feedHeader(info StreamInfo) []byte {
	rate := info.NominalRate
	if rate == IrregularRate {
		rate = 100
	}
	maxBuf := int(math.Ceil(rate * in.cfg.MaxBuffered.Seconds()))
	hostname := info.Hostname
	var req bytes.Buffer
	fmt.Fprintf(&req, "LSL:streamfeed/%d %s\r\n", ProtocolVersion, info.UID)
	fmt.Fprintf(&req, "Native-Byte-Order: 1234\r\n")
	fmt.Fprintf(&req, "Endian-Performance: 0\r\n")
	fmt.Fprintf(&req, "Has-IEEE754-Floats: 1\r\n")
	fmt.Fprintf(&req, "Supports-Subnormals: 1\r\n")
	fmt.Fprintf(&req, "Value-Size: %d\r\n", info.Format.Size())
	fmt.Fprintf(&req, "Data-Protocol-Version: %d\r\n", ProtocolVersion)
	fmt.Fprintf(&req, "Max-Buffer-Length: %d\r\n", max(maxBuf, 1))
	fmt.Fprintf(&req, "Max-Chunk-Length: %d\r\n", in.cfg.MaxChunk)
	fmt.Fprintf(&req, "Hostname: %s\r\n", oneLine(hostname))
	fmt.Fprintf(&req, "Source-Id: %s\r\n", oneLine(info.SourceID))
	fmt.Fprintf(&req, "Session-Id: %s\r\n", oneLine(info.SessionID))
	req.WriteString("\r\n")
	return req.Bytes()
}

// readStatus reads the feed response's status line and fails unless it
// is a success of a protocol this package speaks.
func (fr *feedReader) readStatus(ctx context.Context, deadline time.Time) error {
	status, err := fr.readLine(ctx, deadline)
	if err != nil {
		return fmt.Errorf("status line: %w", err)
	}
	parts := strings.Fields(status)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "LSL/") {
		return fmt.Errorf("%w: status line %.80q", ErrProtocol, status)
	}
	if v, err := strconv.Atoi(parts[0][4:]); err != nil || v/100 > ProtocolVersion/100 {
		return fmt.Errorf("%w: protocol %.16q is too new", ErrProtocol, parts[0])
	}
	code, err := strconv.Atoi(parts[1])
	switch {
	case err != nil:
		return fmt.Errorf("%w: status line %.80q", ErrProtocol, status)
	case code == 404:
		return fmt.Errorf("%w (404)", errUIDChanged)
	case code >= 300:
		return fmt.Errorf("the outlet refused: %.80q", status)
	}
	return nil
}

// readHeader reads the feed response's header lines into dec and checks
// the feed is the stream with uid.
func (fr *feedReader) readHeader(ctx context.Context, deadline time.Time, dec *sampleDecoder, uid string) error {
	for i := 0; ; i++ {
		if i == maxHeaderLines {
			return fmt.Errorf("%w: more than %d header lines", ErrProtocol, maxHeaderLines)
		}
		line, err := fr.readLine(ctx, deadline)
		if err != nil {
			return fmt.Errorf("header: %w", err)
		}
		if line == "" {
			return nil
		}
		if semi := strings.IndexByte(line, ';'); semi >= 0 {
			line = line[:semi]
		}
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "byte-order":
			switch v {
			case "1234", "0": // 0: liblsl ~1.13 meaning "native", little-endian in practice
				dec.order = binary.LittleEndian
			case "4321":
				dec.order = binary.BigEndian
			default:
				return fmt.Errorf("%w: byte order %.16q", ErrProtocol, v)
			}
		case "suppress-subnormals":
			dec.suppressSub = v == "1"
		case "uid":
			if v != uid {
				return fmt.Errorf("%w: feed uid %s", errUIDChanged, v)
			}
		case "data-protocol-version":
			if v != strconv.Itoa(ProtocolVersion) {
				return fmt.Errorf("%w: data protocol %.16q, only %d is implemented", ErrProtocol, v, ProtocolVersion)
			}
		}
	}
}

// checkTestPatterns reads the two test pattern samples and fails unless
// they are liblsl's: then the formats agree.
func (fr *feedReader) checkTestPatterns(ctx context.Context, deadline time.Time, info StreamInfo) error {
	for _, off := range [...]int{4, 2} {
		var got Chunk
		got.Reset(info.Format, info.ChannelCount)
		for {
			n, ts, deduced, err := fr.dec.decode(fr.buf[fr.r:fr.w], &got)
			if err == errShort {
				if err := fr.fill(ctx, deadline); err != nil {
					return fmt.Errorf("test pattern: %w", err)
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("test pattern: %w", err)
			}
			fr.r += n
			if deduced {
				ts = math.NaN()
			}
			got.Timestamps = append(got.Timestamps, ts)
			break
		}
		if !equalSample(&got, testPattern(info.Format, info.ChannelCount, off)) {
			return fmt.Errorf("%w: test pattern %d differs: the formats are incompatible", ErrProtocol, off)
		}
	}
	return nil
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// decodeBuffered moves the complete samples in the read buffer into c, up
// to max; samples past max that were decoded anyway go to the carry.
func (in *Inlet) decodeBuffered(c *Chunk, max int) error {
	fr := in.fr
	rate := in.info.NominalRate // only Pull changes info
	for c.Len() < max {
		dst := c
		if !in.haveRef {
			dst = &in.pending
		}
		n, ts, deduced, err := fr.dec.decode(fr.buf[fr.r:fr.w], dst)
		if err == errShort {
			return nil
		}
		if err != nil {
			return err
		}
		fr.r += n
		if !deduced {
			in.lastTS = ts
			if !in.haveRef {
				in.haveRef = true
				in.releasePending(c, ts, rate, max)
				continue
			}
			c.Timestamps = append(c.Timestamps, ts)
			continue
		}
		if in.haveRef {
			if rate != IrregularRate {
				in.lastTS += 1 / rate
			}
			c.Timestamps = append(c.Timestamps, in.lastTS)
			continue
		}
		in.pending.Timestamps = append(in.pending.Timestamps, math.NaN())
		if in.pending.Len() >= in.pendingLimit() {
			// No timestamp in sight: deduce from 0, as liblsl does.
			in.haveRef = true
			in.lastTS = 0
			for i := range in.pending.Timestamps {
				if rate != IrregularRate {
					in.lastTS += 1 / rate
				}
				in.pending.Timestamps[i] = in.lastTS
			}
			in.moveToCarry(c, max)
		}
	}
	return nil
}

// pendingLimit bounds the samples held while waiting for a timestamp to
// about 8 MiB.
func (in *Inlet) pendingLimit() int {
	size := in.fr.dec.format.Size()
	if size == 0 {
		size = 16
	}
	return max(16, (8<<20)/(8+in.fr.dec.channels*size))
}

// releasePending stamps the samples deduced before the first timestamp
// backwards from it, then queues them before the stamped sample, which
// was appended last to pending.
func (in *Inlet) releasePending(c *Chunk, ts, rate float64, max int) {
	p := &in.pending
	k := p.Len() // the stamped sample's values are at index k
	for i := range k {
		t := ts
		if rate != IrregularRate {
			t -= float64(k-i) / rate
		}
		p.Timestamps[i] = t
	}
	p.Timestamps = append(p.Timestamps, ts)
	in.moveToCarry(c, max)
}

// moveToCarry hands pending samples to c (up to max) and keeps the rest
// for the next Pull.
func (in *Inlet) moveToCarry(c *Chunk, max int) {
	p := &in.pending
	k := min(max-c.Len(), p.Len())
	appendSamples(c, p, 0, k)
	if k < p.Len() {
		appendSamples(&in.carry, p, k, p.Len())
		in.carry.UID = in.info.UID
	}
	p.Reset(p.Format, p.Channels)
}

// appendSamples appends samples lo..hi-1 of src to dst (same format).
func appendSamples(dst, src *Chunk, lo, hi int) {
	if dst.Format != src.Format || dst.Channels != src.Channels {
		dst.Reset(src.Format, src.Channels)
	}
	a, b := lo*src.Channels, hi*src.Channels
	dst.Timestamps = append(dst.Timestamps, src.Timestamps[lo:hi]...)
	switch src.Format {
	case FormatFloat32:
		dst.Float32 = append(dst.Float32, src.Float32[a:b]...)
	case FormatDouble64:
		dst.Float64 = append(dst.Float64, src.Float64[a:b]...)
	case FormatInt8:
		dst.Int8 = append(dst.Int8, src.Int8[a:b]...)
	case FormatInt16:
		dst.Int16 = append(dst.Int16, src.Int16[a:b]...)
	case FormatInt32:
		dst.Int32 = append(dst.Int32, src.Int32[a:b]...)
	case FormatInt64:
		dst.Int64 = append(dst.Int64, src.Int64[a:b]...)
	case FormatString:
		dst.Strings = append(dst.Strings, src.Strings[a:b]...)
	}
}

// TimeCorrection returns the clock offset to the current outlet: the
// value to add to its timestamps to get this machine's LocalClock. A
// measurement younger than TimeUpdateInterval for the same outlet is
// reused; otherwise probes are sent (about TimeProbes×TimeProbeInterval,
// 0.5 s by default).
func (in *Inlet) TimeCorrection(ctx context.Context) (TimeOffset, error) {
	in.tmu.Lock()
	defer in.tmu.Unlock()
	info := in.Info()
	if in.toffUID == info.UID && time.Since(in.toffAt) < in.cfg.TimeUpdateInterval {
		return in.toff, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(in.closeCtx, cancel)
	defer stop()
	addr := &net.UDPAddr{IP: net.ParseIP(info.V4Address), Port: info.V4ServicePort}
	off, err := measureOffset(ctx, &in.cfg.Config, addr, in.cfg.Clock)
	if err != nil {
		if in.closeCtx.Err() != nil {
			return TimeOffset{}, ErrClosed
		}
		return TimeOffset{}, fmt.Errorf("lsl: time correction for %q: %w", info.Name, err)
	}
	in.toff, in.toffAt, in.toffUID = off, time.Now(), info.UID
	return off, nil
}

// feedReader buffers a data connection so that a read interrupted by a
// deadline loses nothing: samples are decoded only once complete.
type feedReader struct {
	conn net.Conn
	buf  []byte
	r, w int
	max  int
	dec  sampleDecoder
}

func newFeedReader(conn net.Conn, maxSample int) *feedReader {
	return &feedReader{conn: conn, buf: make([]byte, 64<<10), max: max(maxSample, maxHeaderLine) + 64<<10}
}

// fill reads once into the buffer, making room first. It fails with a
// timeout at deadline or when ctx ends.
func (f *feedReader) fill(ctx context.Context, deadline time.Time) error {
	if f.r == f.w {
		f.r, f.w = 0, 0
	}
	if f.w == len(f.buf) {
		if f.r > 0 {
			f.w = copy(f.buf, f.buf[f.r:f.w])
			f.r = 0
		} else {
			if len(f.buf) >= f.max {
				return fmt.Errorf("%w: a sample or header line over %d bytes", ErrProtocol, f.max)
			}
			nb := make([]byte, min(2*len(f.buf), f.max))
			copy(nb, f.buf[:f.w])
			f.buf = nb
		}
	}
	f.conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { f.conn.SetReadDeadline(time.Unix(1, 0)) })
	n, err := f.conn.Read(f.buf[f.w:])
	stop()
	f.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// readLine returns the next header line, trimmed.
func (f *feedReader) readLine(ctx context.Context, deadline time.Time) (string, error) {
	for {
		if i := bytes.IndexByte(f.buf[f.r:f.w], '\n'); i >= 0 {
			line := string(bytes.TrimSpace(f.buf[f.r : f.r+i]))
			f.r += i + 1
			return line, nil
		}
		if f.w-f.r > maxHeaderLine {
			return "", fmt.Errorf("%w: header line over %d bytes", ErrProtocol, maxHeaderLine)
		}
		if err := f.fill(ctx, deadline); err != nil {
			return "", err
		}
	}
}
