package lsl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOutletDropsOldest: an inlet that does not read loses the oldest
// samples past MaxBuffered, never the newest, never out of order; the
// first sample after a drop carries its timestamp, so deduced timestamps
// stay right.
func TestOutletDropsOldest(t *testing.T) {
	// 37 samples a chunk: drops (of 100 at a time) fall inside chunks,
	// where the next sample would otherwise go out deduced.
	const nch, rate, n, chunk = 64, 1000.0, 20000, 37
	id := uniqueName(t, "drop")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: nch, NominalRate: rate, Format: FormatDouble64, SourceID: id}
	o := newTestOutlet(t, info, func(c *OutletConfig) { c.MaxBuffered = 100 * time.Millisecond })
	in := openInlet(t, id, nil)
	c := &Chunk{}
	for s := 0; s < n; s += chunk {
		c.Reset(FormatDouble64, nch)
		for k := range min(chunk, n-s) {
			c.Timestamps = append(c.Timestamps, DeducedTimestamp)
			for range nch {
				c.Float64 = append(c.Float64, float64(s+k))
			}
		}
		c.Timestamps[0] = 100 + float64(s/chunk) // the rest deduced at 1 kHz
		if err := o.PushChunk(c); err != nil {
			t.Fatal(err)
		}
	}
	got, last := 0, -1.0
	var out Chunk
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		err := in.Pull(ctx, &out, 0)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range out.Len() {
			v := out.Float64[i*nch]
			if v <= last {
				t.Fatalf("value %v after %v", v, last)
			}
			s := int(v)
			want := 100 + float64(s/chunk) + float64(s%chunk)/rate
			if math.Abs(out.Timestamps[i]-want) > 1e-9 {
				t.Fatalf("sample %d: timestamp %.6f, want %.6f", s, out.Timestamps[i], want)
			}
			last = v
			got++
		}
	}
	if last != n-1 || got >= n || got < 100 {
		t.Errorf("received %d of %d samples, last %v: want the newest kept and some dropped", got, n, last)
	}
	t.Logf("an inlet that did not read received %d of %d samples (queue of 100 plus socket buffers)", got, n)
}

func TestOutletManyInlets(t *testing.T) {
	id := uniqueName(t, "many")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: 2, NominalRate: 500, Format: FormatInt16, SourceID: id}
	o := newTestOutlet(t, info, nil)
	var inlets []*Inlet
	for range 3 {
		inlets = append(inlets, openInlet(t, id, nil))
	}
	const n = 500
	for i := range n {
		if err := o.PushInt16([]int16{int16(i), int16(-i)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for k, in := range inlets {
		wg.Go(func() {
			next := 0
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var c Chunk
			for next < n {
				if err := in.Pull(ctx, &c, 0); err != nil {
					t.Errorf("inlet %d: %v", k, err)
					return
				}
				for i := range c.Len() {
					if c.Int16[2*i] != int16(next) || c.Int16[2*i+1] != int16(-next) {
						t.Errorf("inlet %d sample %d: %v", k, next, c.Int16[2*i:2*i+2])
						return
					}
					next++
				}
			}
		})
	}
	wg.Wait()
}

// feedRequest sends a raw feed request and returns everything the outlet
// sends until it closes (or 1 s).
func feedRequest(t *testing.T, o *Outlet, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(o.Info().V4DataPort))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(conn)
	return string(b)
}

func TestOutletRequests(t *testing.T) {
	id := uniqueName(t, "req")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: 2, NominalRate: 100, Format: FormatFloat32, SourceID: id}
	o := newTestOutlet(t, info, func(c *OutletConfig) { c.HandshakeTimeout = 500 * time.Millisecond })
	uid := o.Info().UID
	hdr := func(extra string) string {
		return "Native-Byte-Order: 1234\r\nValue-Size: 4\r\n" + extra + "\r\n"
	}
	for _, c := range []struct {
		name, req, prefix string
		exact             bool
	}{
		{"wrong uid", "LSL:streamfeed/110 other-uid\r\n" + hdr(""), "LSL/110 404 Not found\r\n", true},
		{"too new", "LSL:streamfeed/210 " + uid + "\r\n" + hdr(""), "LSL/110 505", false},
		{"value size", "LSL:streamfeed/110 " + uid + "\r\n" + hdr("Max-Buffer-Length: 10\r\nValue-Size: 8\r\n"), "LSL/110 400", false},
		{"protocol 1.00", "LSL:streamfeed\r\n10 0\r\n", "", true},
		{"unknown", "GET / HTTP/1.0\r\n\r\n", "", true},
		{"shortinfo match", "LSL:shortinfo\r\nsource_id='" + id + "'\r\n", string(o.short), true},
		{"shortinfo other", "LSL:shortinfo\r\nsource_id='x'\r\n", "", true},
		{"fullinfo", "LSL:fullinfo\r\n", string(o.full), true},
	} {
		got := feedRequest(t, o, c.req)
		if c.exact && got != c.prefix || !strings.HasPrefix(got, c.prefix) {
			t.Errorf("%s: %q, want %q", c.name, got, c.prefix)
		}
	}
	// Max-Buffer-Length 0: the header and test patterns, then the end (as liblsl).
	got := feedRequest(t, o, "LSL:streamfeed/110 "+uid+"\r\nMax-Buffer-Length: 0\r\n\r\n")
	want := fmt.Sprintf("LSL/110 200 OK\r\nUID: %s\r\nByte-Order: 1234\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n", uid)
	if !strings.HasPrefix(got, want) || len(got) != len(want)+2*(9+2*4) {
		t.Errorf("Max-Buffer-Length 0: %q", got)
	}
	// An inlet without subnormal support is told to suppress them.
	got = feedRequest(t, o, "LSL:streamfeed/110 "+uid+"\r\nSupports-Subnormals: 0\r\nMax-Buffer-Length: 0\r\n\r\n")
	if !strings.Contains(got, "Suppress-Subnormals: 1\r\n") {
		t.Errorf("subnormals: %q", got)
	}
	// A peer that says nothing is dropped after HandshakeTimeout.
	conn, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(o.Info().V4DataPort))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	if _, err := bufio.NewReader(conn).ReadByte(); err != io.EOF || time.Since(start) > 2*time.Second {
		t.Errorf("silent peer: %v after %v", err, time.Since(start))
	}
}

func TestResolve(t *testing.T) {
	cfg := testConfig(t)
	a, b := uniqueName(t, "a"), uniqueName(t, "b")
	oa := newTestOutlet(t, StreamInfo{Name: a, Type: "EEG", ChannelCount: 1, NominalRate: 10, Format: FormatFloat32, SourceID: a}, nil)
	ob := newTestOutlet(t, StreamInfo{Name: b, Type: "Markers", ChannelCount: 1, Format: FormatString, SourceID: b}, nil)
	// Junk on the service and discovery ports is ignored.
	for _, port := range []int{oa.Info().V4ServicePort, cfg.MulticastPort} {
		if c, err := net.Dial("udp4", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Write([]byte("LSL:shortinfo\r\n((\r\nx y\r\n"))
			c.Write([]byte("LSL:timedata\r\nnot numbers\r\n"))
			c.Write([]byte{0, 1, 2})
			c.Close()
		}
	}
	for _, c := range []struct {
		query string
		want  string
	}{
		{fmt.Sprintf("name='%s' and type='EEG'", a), oa.Info().UID},
		{fmt.Sprintf("source_id='%s'", b), ob.Info().UID},
		{fmt.Sprintf("type='Markers' and starts-with(name,'%s')", b), ob.Info().UID},
	} {
		got := resolveOne(t, cfg, c.query)
		if got.UID != c.want || got.V4Address != "127.0.0.1" || got.Desc != nil {
			t.Errorf("%s: %+v", c.query, got)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	found, err := Resolve(ctx, cfg, fmt.Sprintf("source_id='%s' or source_id='%s'", a, b), 2)
	cancel()
	if err != nil || len(found) != 2 {
		t.Errorf("both: %d found, %v", len(found), err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 600*time.Millisecond)
	found, err = Resolve(ctx, cfg, "source_id='nobody-has-this'", 1)
	cancel()
	if !errors.Is(err, ErrNotFound) || len(found) != 0 {
		t.Errorf("absent: %v, %v", found, err)
	}
	other := cfg
	other.SessionID = "another-session"
	ctx, cancel = context.WithTimeout(t.Context(), 600*time.Millisecond)
	found, _ = Resolve(ctx, other, fmt.Sprintf("source_id='%s'", a), 0)
	cancel()
	if len(found) != 0 {
		t.Errorf("another session found %v", found)
	}
	if _, err := Resolve(t.Context(), cfg, "type=", 1); err == nil {
		t.Error("bad query accepted")
	}
}

// TestTimeCorrectionShiftedClock: a Go outlet on a clock 1234.5 s ahead;
// the Go inlet's offset is -1234.5 s within 1 ms and maps the outlet's
// timestamps onto the local push times within 1 ms.
func TestTimeCorrectionShiftedClock(t *testing.T) {
	const shift = 1234.5
	id := uniqueName(t, "shift")
	info := StreamInfo{Name: id, Type: "Markers", ChannelCount: 1, Format: FormatString, SourceID: id}
	o := newTestOutlet(t, info, func(c *OutletConfig) { c.Clock = func() float64 { return LocalClock() + shift } })
	in := openInlet(t, id, nil)
	var truth []float64
	for i := range 10 {
		truth = append(truth, LocalClock())
		o.PushString([]string{strconv.Itoa(i)}, 0)
	}
	off, err := in.TimeCorrection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(off.Offset+shift) > 1e-3 || off.Probes < 6 || off.RTT <= 0 || off.RTT > 0.05 {
		t.Errorf("offset %+v", off)
	}
	i := 0
	pullN(t, in, 10, 5*time.Second, func(c *Chunk) {
		for _, ts := range c.Timestamps {
			if d := math.Abs(ts + off.Offset - truth[i]); d > 1e-3 {
				t.Errorf("marker %d: %.6f s off its push time", i, d)
			}
			i++
		}
	})
	start := time.Now()
	again, err := in.TimeCorrection(t.Context())
	if err != nil || again != off || time.Since(start) > 10*time.Millisecond {
		t.Errorf("cached estimate: %+v %v after %v", again, err, time.Since(start))
	}
	t.Logf("Go↔Go time correction: offset %.6f s, RTT %.1f µs, %d probes", off.Offset, off.RTT*1e6, off.Probes)
}

func TestPushConversions(t *testing.T) {
	id := uniqueName(t, "conv")
	o := newTestOutlet(t, StreamInfo{Name: id, Type: "Markers", ChannelCount: 2, Format: FormatString, SourceID: id}, nil)
	in := openInlet(t, id, nil)
	o.PushFloat32([]float32{0.1, 2}, 1)
	o.PushInt64([]int64{-5, 1 << 40}, 2)
	o.PushFloat64([]float64{1.0 / 3, 1e-7}, 3)
	if err := o.PushString([]string{"one"}, 4); err == nil {
		t.Error("1 value for 2 channels accepted")
	}
	var got []string
	pullN(t, in, 3, 5*time.Second, func(c *Chunk) { got = append(got, c.Strings...) })
	want := "0.10000000,2.0000000,-5,1099511627776,0.3333333333333333,1.000000000000000e-07"
	if strings.Join(got, ",") != want {
		t.Errorf("%q, want %q", strings.Join(got, ","), want)
	}

	id2 := uniqueName(t, "conv2")
	o2 := newTestOutlet(t, StreamInfo{Name: id2, Type: "EEG", ChannelCount: 1, NominalRate: 10, Format: FormatInt8, SourceID: id2}, nil)
	if err := o2.PushString([]string{"x"}, 0); err == nil {
		t.Error(`"x" accepted into an int8 stream`)
	}
	if err := o2.PushChunk(&Chunk{Format: FormatInt8, Channels: 2, Int8: []int8{1, 2}}); err == nil {
		t.Error("chunk of 2 channels accepted into 1")
	}
}

func TestNewOutletValidates(t *testing.T) {
	ok := StreamInfo{Name: "x", ChannelCount: 1, Format: FormatFloat32}
	for _, c := range []struct {
		info StreamInfo
		cfg  OutletConfig
	}{
		{StreamInfo{ChannelCount: 1, Format: FormatFloat32}, OutletConfig{}},
		{StreamInfo{Name: "x", ChannelCount: 0, Format: FormatFloat32}, OutletConfig{}},
		{StreamInfo{Name: "x", ChannelCount: 1}, OutletConfig{}},
		{StreamInfo{Name: "x", ChannelCount: 1, Format: FormatFloat32, NominalRate: math.Inf(1)}, OutletConfig{}},
		{ok, OutletConfig{MaxBuffered: -1}},
		{ok, OutletConfig{Config: Config{Addresses: []string{"nowhere"}}}},
	} {
		if o, err := NewOutlet(c.info, c.cfg); err == nil {
			o.Close()
			t.Errorf("%+v %+v accepted", c.info, c.cfg)
		}
	}
}
