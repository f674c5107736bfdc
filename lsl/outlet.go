package lsl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// OutletConfig configures an Outlet.
type OutletConfig struct {
	// Config says which ports to bind and where to answer discovery.
	Config
	// MaxBuffered is how much data each connected inlet's queue holds
	// while the inlet does not read, in seconds at the nominal rate (100
	// samples a second for irregular streams), as liblsl's max_buffered.
	// Past it the oldest samples are dropped. An inlet may ask for less.
	// Default: 360s.
	MaxBuffered time.Duration
	// ChunkSize caps the samples sent to an inlet in one write. An inlet
	// may ask for less. Default: 0 (whatever is queued: a sample is sent
	// as soon as the connection is free, queued ones together).
	ChunkSize int
	// Clock gives the outlet's LSL clock in seconds: default timestamps,
	// created_at and the answers to clock probes. Default: LocalClock.
	Clock func() float64
	// HandshakeTimeout bounds reading a request from a connecting peer.
	// Default: 5s.
	HandshakeTimeout time.Duration
	// Logger receives connection events and errors. Default: discarded.
	Logger *slog.Logger
}

func (c *OutletConfig) setDefaults() {
	c.Config.setDefaults()
	if c.MaxBuffered == 0 {
		c.MaxBuffered = 360 * time.Second
	}
	if c.Clock == nil {
		c.Clock = LocalClock
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate names the first field out of range.
func (c *OutletConfig) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	switch {
	case c.MaxBuffered < 0:
		return fmt.Errorf("lsl: OutletConfig.MaxBuffered: must not be negative, got %v", c.MaxBuffered)
	case c.ChunkSize < 0:
		return fmt.Errorf("lsl: OutletConfig.ChunkSize: must not be negative, got %d", c.ChunkSize)
	case c.HandshakeTimeout < 0:
		return fmt.Errorf("lsl: OutletConfig.HandshakeTimeout: must not be negative, got %v", c.HandshakeTimeout)
	}
	return nil
}

// Outlet serves one stream to any number of inlets, liblsl's
// stream_outlet: a UDP service port (discovery and clock probes) and a TCP
// data port in the configured range, and a discovery responder on each
// configured address. Each connected inlet gets its own bounded queue: a
// sample pushed is queued for every inlet connected at that moment (none
// is kept for inlets that connect later, as in liblsl), and a queue past
// MaxBuffered drops its oldest sample.
//
// The Push methods are safe for concurrent use.
type Outlet struct {
	cfg   OutletConfig
	info  StreamInfo
	short []byte
	full  []byte
	tree  *Element
	cap   int // queue capacity in samples
	log   *slog.Logger

	tcp        net.Listener
	udp        *net.UDPConn
	responders []*net.UDPConn

	qmu    sync.Mutex
	qcache map[string]bool

	mu        sync.Mutex
	consumers map[*consumer]struct{}
	added     chan struct{} // closed when a consumer registers, then replaced
	lastTS    float64       // effective timestamp of the last sample pushed
	pushed    bool
	closed    bool
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

// NewOutlet binds the outlet's ports and starts serving info. The given
// info's Name, Type, ChannelCount, NominalRate, Format, SourceID and Desc
// are kept; Version, CreatedAt, UID, SessionID, Hostname and the ports are
// the outlet's own (see Info).
func NewOutlet(info StreamInfo, cfg OutletConfig) (*Outlet, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Outlet{cfg: cfg, info: info.Clone(), log: cfg.Logger, consumers: map[*consumer]struct{}{},
		added: make(chan struct{}), conns: map[net.Conn]struct{}{}, qcache: map[string]bool{}}
	rate := info.NominalRate
	if rate == IrregularRate {
		rate = 100
	}
	o.cap = int(math.Ceil(rate * cfg.MaxBuffered.Seconds()))
	o.cap = max(o.cap, 2)

	var err error
	if o.tcp, err = bindInRange(&cfg.Config, func(addr string) (net.Listener, error) { return net.Listen("tcp4", addr) }); err != nil {
		return nil, fmt.Errorf("lsl: outlet %q: data port: %w", info.Name, err)
	}
	u, err := bindInRange(&cfg.Config, func(addr string) (net.PacketConn, error) { return net.ListenPacket("udp4", addr) })
	if err != nil {
		o.tcp.Close()
		return nil, fmt.Errorf("lsl: outlet %q: service port: %w", info.Name, err)
	}
	o.udp = u.(*net.UDPConn)
	o.openResponders()

	hostname, _ := os.Hostname()
	o.info.Version = ProtocolVersion
	o.info.CreatedAt = cfg.Clock()
	o.info.UID = newUID()
	o.info.SessionID = cfg.SessionID
	o.info.Hostname = hostname
	o.info.V4Address = ""
	o.info.V4DataPort = o.tcp.Addr().(*net.TCPAddr).Port
	o.info.V4ServicePort = o.udp.LocalAddr().(*net.UDPAddr).Port
	o.info.V6Address, o.info.V6DataPort, o.info.V6ServicePort = "", 0, 0
	o.short = o.info.XML(false)
	o.full = o.info.XML(true)
	if o.tree, err = parseXML(o.full); err != nil {
		o.Close()
		return nil, fmt.Errorf("lsl: outlet %q: own info does not parse: %w", info.Name, err)
	}

	o.wg.Add(2 + len(o.responders))
	go func() { defer o.wg.Done(); o.serveUDP(o.udp, true) }()
	for _, r := range o.responders {
		go func() { defer o.wg.Done(); o.serveUDP(r, false) }()
	}
	go func() { defer o.wg.Done(); o.acceptLoop() }()
	o.log.Debug("lsl outlet up", "name", o.info.Name, "uid", o.info.UID, "data_port", o.info.V4DataPort, "service_port", o.info.V4ServicePort)
	return o, nil
}

// bindInRange binds the first free port of the range (as liblsl's
// bind_port_in_range), or one the system picks unless NoRandomPorts.
func bindInRange[T any](cfg *Config, listen func(addr string) (T, error)) (T, error) {
	var last error
	for p := cfg.BasePort; p < cfg.BasePort+cfg.PortRange; p++ {
		l, err := listen(net.JoinHostPort(cfg.ListenAddress, strconv.Itoa(p)))
		if err == nil {
			return l, nil
		}
		last = err
	}
	if !cfg.NoRandomPorts {
		return listen(net.JoinHostPort(cfg.ListenAddress, "0"))
	}
	var zero T
	return zero, fmt.Errorf("every port of %d..%d is taken (last: %w)", cfg.BasePort, cfg.BasePort+cfg.PortRange-1, last)
}

// openResponders listens at the multicast port: a multicast group is
// joined; unicast and broadcast addresses share one socket bound with
// SO_REUSEADDR, as liblsl's responders. Failures are logged and skipped,
// as liblsl does: the service port still answers known-peer queries.
func (o *Outlet) openResponders() {
	plain := false
	for _, a := range o.cfg.Addresses {
		ip := net.ParseIP(a)
		if ip.IsMulticast() {
			c, err := net.ListenMulticastUDP("udp4", nil, &net.UDPAddr{IP: ip, Port: o.cfg.MulticastPort})
			if err != nil {
				o.log.Warn("lsl outlet: cannot join multicast group", "group", a, "err", err)
				continue
			}
			o.responders = append(o.responders, c)
			continue
		}
		if plain {
			continue
		}
		plain = true
		lc := net.ListenConfig{Control: reuseAddr}
		c, err := lc.ListenPacket(context.Background(), "udp4", net.JoinHostPort(o.cfg.ListenAddress, strconv.Itoa(o.cfg.MulticastPort)))
		if err != nil {
			o.log.Warn("lsl outlet: cannot listen at the multicast port", "port", o.cfg.MulticastPort, "err", err)
			continue
		}
		o.responders = append(o.responders, c.(*net.UDPConn))
	}
}

// Info returns the outlet's stream info as inlets see it.
func (o *Outlet) Info() StreamInfo { return o.info.Clone() }

func (o *Outlet) clock() float64 { return o.cfg.Clock() }

// matches evaluates a query on the full info, caching up to 100 answers
// (liblsl's MaxCachedQueries); a query that does not parse matches
// nothing.
func (o *Outlet) matches(q string) bool {
	o.qmu.Lock()
	defer o.qmu.Unlock()
	if m, ok := o.qcache[q]; ok {
		return m
	}
	m := false
	if cq, err := compileQuery(q); err == nil {
		m = cq.matches(o.tree)
	}
	if len(o.qcache) >= 100 {
		clear(o.qcache)
	}
	o.qcache[q] = m
	return m
}

// ---- pushing ----

// outSample is one pushed sample, encoded once and shared by every queue.
type outSample struct {
	ts      float64 // the timestamp, deduced ones computed
	deduced bool    // sent without its timestamp
	values  []byte
}

// PushFloat32 pushes one sample. ts is its time on the outlet's clock:
// 0 means now (Clock()), DeducedTimestamp means the previous sample's
// plus 1/NominalRate, sent without a timestamp. Values are converted to
// the stream's format.
func (o *Outlet) PushFloat32(x []float32, ts float64) error { return pushNumbers(o, x, ts) }

// PushFloat64 pushes one sample; see PushFloat32.
func (o *Outlet) PushFloat64(x []float64, ts float64) error { return pushNumbers(o, x, ts) }

// PushInt8 pushes one sample; see PushFloat32.
func (o *Outlet) PushInt8(x []int8, ts float64) error { return pushNumbers(o, x, ts) }

// PushInt16 pushes one sample; see PushFloat32.
func (o *Outlet) PushInt16(x []int16, ts float64) error { return pushNumbers(o, x, ts) }

// PushInt32 pushes one sample; see PushFloat32.
func (o *Outlet) PushInt32(x []int32, ts float64) error { return pushNumbers(o, x, ts) }

// PushInt64 pushes one sample; see PushFloat32.
func (o *Outlet) PushInt64(x []int64, ts float64) error { return pushNumbers(o, x, ts) }

// PushString pushes one sample (a marker: PushString([]string{"left"},
// 0)); into a numeric stream each string must parse as a number.
func (o *Outlet) PushString(x []string, ts float64) error {
	if len(x) != o.info.ChannelCount {
		return fmt.Errorf("lsl: outlet %q: sample of %d values for %d channels", o.info.Name, len(x), o.info.ChannelCount)
	}
	b, err := appendStrings(nil, o.info.Format, x)
	if err != nil {
		return fmt.Errorf("lsl: outlet %q: %w", o.info.Name, err)
	}
	o.push([]outSample{{ts: ts, values: b}})
	return nil
}

func pushNumbers[T number](o *Outlet, x []T, ts float64) error {
	if len(x) != o.info.ChannelCount {
		return fmt.Errorf("lsl: outlet %q: sample of %d values for %d channels", o.info.Name, len(x), o.info.ChannelCount)
	}
	o.push([]outSample{{ts: ts, values: appendNumbers(nil, o.info.Format, x)}})
	return nil
}

// PushChunk pushes the samples of c (any format: values are converted to
// the stream's). With c.Timestamps nil it does what liblsl's push_chunk
// with one timestamp does: the last sample is stamped now, the first
// (n-1)/NominalRate earlier and the rest are deduced. Otherwise each
// sample has its timestamp (0 and DeducedTimestamp as in PushFloat32).
func (o *Outlet) PushChunk(c *Chunk) error {
	n, err := c.samples(o.info.ChannelCount)
	if err != nil {
		return fmt.Errorf("lsl: outlet %q: %w", o.info.Name, err)
	}
	if n == 0 {
		return nil
	}
	samples := make([]outSample, n)
	// One buffer for all the values (exactly sized for numbers), sliced
	// per sample: the samples are immutable once queued.
	var buf []byte
	if size := o.info.Format.Size(); size > 0 {
		buf = make([]byte, 0, n*o.info.ChannelCount*size)
	}
	var first float64
	if c.Timestamps == nil {
		first = o.clock()
		if o.info.NominalRate != IrregularRate {
			first -= float64(n-1) / o.info.NominalRate
		}
	}
	for i := range samples {
		s := &samples[i]
		start := len(buf)
		if buf, err = appendChunkSample(buf, o.info.Format, c, i); err != nil {
			return fmt.Errorf("lsl: outlet %q: sample %d: %w", o.info.Name, i, err)
		}
		s.values = buf[start:len(buf):len(buf)]
		switch {
		case c.Timestamps != nil:
			s.ts = c.Timestamps[i]
		case i == 0:
			s.ts = first
		default:
			s.ts = DeducedTimestamp
		}
	}
	o.push(samples)
	return nil
}

// push fills in timestamps and queues the samples for every inlet.
func (o *Outlet) push(samples []outSample) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range samples {
		s := &samples[i]
		switch {
		case s.ts == DeducedTimestamp && o.pushed:
			s.deduced = true
			s.ts = o.lastTS
			if o.info.NominalRate != IrregularRate {
				s.ts += 1 / o.info.NominalRate
			}
		case s.ts == DeducedTimestamp, s.ts == 0:
			s.ts = o.clock()
		}
		o.lastTS, o.pushed = s.ts, true
	}
	for c := range o.consumers {
		c.enqueue(samples)
	}
}

// HaveConsumers reports whether an inlet is connected.
func (o *Outlet) HaveConsumers() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.consumers) > 0
}

// WaitForConsumers blocks until an inlet is connected or ctx ends.
func (o *Outlet) WaitForConsumers(ctx context.Context) error {
	for {
		o.mu.Lock()
		n, added, closed := len(o.consumers), o.added, o.closed
		o.mu.Unlock()
		if n > 0 {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-added:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ErrClosed is returned by the methods of a closed Outlet or Inlet.
var ErrClosed = errors.New("lsl: closed")

// Close stops serving: listeners and every inlet connection are closed
// (inlets see the stream end and try to recover). Samples still queued
// are not sent.
func (o *Outlet) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	close(o.added)
	for c := range o.conns {
		c.Close()
	}
	for c := range o.consumers {
		c.close()
	}
	o.mu.Unlock()
	if o.tcp != nil {
		o.tcp.Close()
	}
	if o.udp != nil {
		o.udp.Close()
	}
	for _, r := range o.responders {
		r.Close()
	}
	o.wg.Wait()
	return nil
}

// ---- TCP service ----

func (o *Outlet) acceptLoop() {
	for {
		conn, err := o.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			o.log.Warn("lsl outlet: accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			conn.Close()
			return
		}
		o.conns[conn] = struct{}{}
		o.wg.Add(1)
		o.mu.Unlock()
		go func() {
			defer o.wg.Done()
			defer func() {
				o.mu.Lock()
				delete(o.conns, conn)
				o.mu.Unlock()
				conn.Close()
			}()
			if err := o.serveConn(conn); err != nil {
				o.log.Info("lsl outlet: connection ended", "peer", conn.RemoteAddr(), "err", err)
			}
		}()
	}
}

// maxHeaderLine and maxHeaderLines bound what a peer may send before the
// data starts (liblsl reads header lines into 16 KiB buffers).
const (
	maxHeaderLine  = 16 << 10
	maxHeaderLines = 128
)

// readLine reads one \n-terminated line of at most maxHeaderLine bytes,
// trimmed of surrounding white space.
func readLine(r *bufio.Reader) (string, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxHeaderLine {
			return "", fmt.Errorf("%w: header line over %d bytes", ErrProtocol, maxHeaderLine)
		}
		if err == nil {
			return strings.TrimSpace(string(line)), nil
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
	}
}

// serveConn handles one TCP request: shortinfo, fullinfo or a data feed.
func (o *Outlet) serveConn(conn net.Conn) error {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	conn.SetDeadline(time.Now().Add(o.cfg.HandshakeTimeout))
	r := bufio.NewReaderSize(conn, 4096)
	method, err := readLine(r)
	if err != nil {
		return err
	}
	switch {
	case method == "LSL:shortinfo":
		q, err := readLine(r)
		if err != nil {
			return err
		}
		if o.matches(q) {
			_, err = conn.Write(o.short)
		}
		return err
	case method == "LSL:fullinfo":
		_, err := conn.Write(o.full)
		return err
	case strings.HasPrefix(method, "LSL:streamfeed/"):
		return o.serveFeed(conn, r, method)
	case method == "LSL:streamfeed":
		return errors.New("data protocol 1.00 requested: only 1.10 is implemented")
	}
	return fmt.Errorf("%w: unknown request %.64q", ErrProtocol, method)
}

// serveFeed negotiates a data feed (liblsl's client_session::
// handle_read_feedparams) and then streams samples.
func (o *Outlet) serveFeed(conn net.Conn, r *bufio.Reader, method string) error {
	parts := strings.Fields(method)
	version, err := strconv.Atoi(strings.TrimPrefix(parts[0], "LSL:streamfeed/"))
	if err != nil {
		return fmt.Errorf("%w: request %.64q", ErrProtocol, method)
	}
	hdr, err := readFeedHeader(r)
	if err != nil {
		return err
	}
	req, err := o.checkFeed(version, parts, hdr)
	var ref *refusal
	if errors.As(err, &ref) {
		if _, err := fmt.Fprintf(conn, "LSL/%d %d %s\r\n", ProtocolVersion, ref.code, ref.msg); err != nil {
			return err
		}
		return ref
	}
	if err != nil {
		return err
	}

	// Register before sending the header, so that an inlet that returned
	// from its handshake receives every sample pushed after that.
	var c *consumer
	if req.maxBuf > 0 {
		if c, err = o.register(req.maxBuf); err != nil {
			return err
		}
		defer o.unregister(c)
	}
	if err := o.writeFeedHeader(conn, req.suppress); err != nil {
		return err
	}
	conn.SetDeadline(time.Time{})
	if c == nil {
		return nil // liblsl ends a feed with Max-Buffer-Length 0 after the header
	}
	o.log.Debug("lsl outlet: inlet connected", "peer", conn.RemoteAddr(), "queue", c.cap())

	// The peer sends nothing more; reading notices when it goes away.
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		_, _ = io.Copy(io.Discard, r)
		c.close()
	}()
	chunk := o.cfg.ChunkSize
	if req.maxChunk > 0 && (chunk == 0 || req.maxChunk < chunk) {
		chunk = req.maxChunk
	}
	return o.stream(conn, c, chunk)
}

// readFeedHeader reads a feed request's header lines, up to the empty
// one, into a map by lower-case key.
func readFeedHeader(r *bufio.Reader) (map[string]string, error) {
	hdr := map[string]string{}
	for i := 0; ; i++ {
		if i == maxHeaderLines {
			return nil, fmt.Errorf("%w: more than %d header lines", ErrProtocol, maxHeaderLines)
		}
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return hdr, nil
		}
		if semi := strings.IndexByte(line, ';'); semi >= 0 {
			line = line[:semi] // liblsl strips comments
		}
		k, v, ok := strings.Cut(line, ":")
		if ok {
			hdr[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
}

// feedParams is what an inlet's feed request asks for.
type feedParams struct {
	suppress         bool // subnormal floats are sent as 0
	maxBuf, maxChunk int
}

// refusal is a feed request the outlet answers with a status code.
type refusal struct {
	code int
	msg  string
}

func (e *refusal) Error() string { return fmt.Sprintf("refused with %d %s", e.code, e.msg) }

// checkFeed checks a feed request as liblsl does; a request it refuses
// is a *refusal.
func (o *Outlet) checkFeed(version int, parts []string, hdr map[string]string) (feedParams, error) {
	var req feedParams
	if version/100 > ProtocolVersion/100 || version < ProtocolVersion {
		return req, &refusal{505, "Version not supported"}
	}
	if len(parts) > 1 && parts[1] != o.info.UID {
		return req, &refusal{404, "Not found"}
	}
	f := o.info.Format
	if v, ok := hdr["value-size"]; ok && f != FormatString {
		if n, err := strconv.Atoi(v); err != nil || n != f.Size() {
			// liblsl falls back to protocol 1.00 here, which this package
			// does not speak.
			return req, &refusal{400, "Value size not supported"}
		}
	}
	if hdr["has-ieee754-floats"] == "0" {
		return req, &refusal{400, "Non-IEEE754 floats not supported"}
	}
	req.suppress = f.isFloat() && hdr["supports-subnormals"] == "0"
	var err error
	if req.maxBuf, err = optionalInt(hdr, "max-buffer-length"); err != nil {
		return req, err
	}
	if req.maxChunk, err = optionalInt(hdr, "max-chunk-length"); err != nil {
		return req, err
	}
	return req, nil
}

// register adds a consumer queue of at most maxBuf samples (and at
// least 2).
func (o *Outlet) register(maxBuf int) (*consumer, error) {
	c := newConsumer(max(min(o.cap, maxBuf), 2))
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, ErrClosed
	}
	o.consumers[c] = struct{}{}
	close(o.added)
	o.added = make(chan struct{})
	return c, nil
}

// unregister removes and closes a consumer register added.
func (o *Outlet) unregister(c *consumer) {
	o.mu.Lock()
	delete(o.consumers, c)
	o.mu.Unlock()
	c.close()
}

// writeFeedHeader writes the feed's response header and its two test
// pattern samples.
func (o *Outlet) writeFeedHeader(conn net.Conn, suppress bool) error {
	f := o.info.Format
	b := fmt.Appendf(nil, "LSL/%d 200 OK\r\nUID: %s\r\nByte-Order: 1234\r\nSuppress-Subnormals: %d\r\nData-Protocol-Version: %d\r\n\r\n",
		ProtocolVersion, o.info.UID, b2i(suppress), ProtocolVersion)
	for _, off := range [...]int{4, 2} {
		p := testPattern(f, o.info.ChannelCount, off)
		b = appendTag(b, p.Timestamps[0], false)
		var err error
		if b, err = appendChunkSample(b, f, p, 0); err != nil {
			return err
		}
	}
	_, err := conn.Write(b)
	return err
}

// stream sends c's samples, chunk at a time, until c is closed.
func (o *Outlet) stream(conn net.Conn, c *consumer, chunk int) error {
	var batch []outSample
	var b []byte
	for {
		var gap bool
		batch, gap = c.wait(batch[:0], chunk)
		if batch == nil {
			return nil
		}
		b = b[:0]
		for i, s := range batch {
			// The first sample of a connection, and the first after
			// samples were dropped, carries its timestamp even if deduced:
			// the receiver would deduce it from the wrong sample.
			b = appendTag(b, s.ts, s.deduced && !(gap && i == 0))
			b = append(b, s.values...)
		}
		if _, err := conn.Write(b); err != nil {
			return err
		}
	}
}

func optionalInt(hdr map[string]string, key string) (int, error) {
	v, ok := hdr[key]
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%w: header %s: %q", ErrProtocol, key, v)
	}
	return n, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// consumer is one inlet's bounded queue.
type consumer struct {
	mu      sync.Mutex
	ring    []outSample
	head, n int
	dropped int64
	gap     bool // the next sample sent follows dropped ones (or none)
	closed  bool
	ready   chan struct{} // one token: samples queued or closed
}

func newConsumer(capacity int) *consumer {
	return &consumer{ring: make([]outSample, capacity), ready: make(chan struct{}, 1), gap: true}
}

func (c *consumer) cap() int { return len(c.ring) }

// enqueue adds samples, dropping the oldest past the capacity.
func (c *consumer) enqueue(samples []outSample) {
	c.mu.Lock()
	for _, s := range samples {
		if c.n == len(c.ring) {
			c.ring[c.head] = outSample{}
			c.head = (c.head + 1) % len(c.ring)
			c.n--
			c.dropped++
			c.gap = true
		}
		c.ring[(c.head+c.n)%len(c.ring)] = s
		c.n++
	}
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// wait blocks until samples are queued and appends up to max of them
// (all if max is 0) to dst; nil once closed. gap reports that samples
// were dropped before the first one (or that it is the first).
func (c *consumer) wait(dst []outSample, max int) (_ []outSample, gap bool) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, false
		}
		if c.n > 0 {
			gap, c.gap = c.gap, false
			k := c.n
			if max > 0 && k > max {
				k = max
			}
			for range k {
				dst = append(dst, c.ring[c.head])
				c.ring[c.head] = outSample{}
				c.head = (c.head + 1) % len(c.ring)
				c.n--
			}
			c.mu.Unlock()
			return dst, gap
		}
		c.mu.Unlock()
		<-c.ready
	}
}

func (c *consumer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}
