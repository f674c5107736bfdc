package lsl

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOutlet is a misbehaving peer: it answers fullinfo with info's XML
// and hands every feed request to feed.
type fakeOutlet struct {
	info StreamInfo
	ln   net.Listener
	feed func(conn net.Conn, done <-chan struct{})
	done chan struct{} // closed when the test ends
	wg   sync.WaitGroup
}

func newFakeOutlet(t *testing.T, info StreamInfo, feed func(conn net.Conn, done <-chan struct{})) *fakeOutlet {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	info.Version, info.UID, info.CreatedAt, info.SessionID = 110, "fake-uid", 1, "default"
	info.V4Address, info.V4DataPort = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	f := &fakeOutlet{info: info, ln: ln, feed: feed, done: make(chan struct{})}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer conn.Close()
				r := bufio.NewReader(conn)
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimSpace(line) == "LSL:fullinfo" {
					conn.Write(f.info.XML(true))
					return
				}
				for { // skip the feed header
					l, err := r.ReadString('\n')
					if err != nil || strings.TrimSpace(l) == "" {
						break
					}
				}
				f.feed(conn, f.done)
			}()
		}
	}()
	t.Cleanup(func() { close(f.done); ln.Close(); f.wg.Wait() })
	return f
}

// feedHeader is a correct response with the test patterns, in order.
func feedHeader(info StreamInfo, order binary.AppendByteOrder) []byte {
	code := 1234
	if order == binary.BigEndian {
		code = 4321
	}
	b := fmt.Appendf(nil, "LSL/110 200 OK\r\nUID: %s\r\nByte-Order: %d\r\nSuppress-Subnormals: 0\r\nData-Protocol-Version: 110\r\n\r\n", info.UID, code)
	for _, off := range []int{4, 2} {
		p := testPattern(info.Format, info.ChannelCount, off)
		b = appendSampleOrder(b, p, order)
	}
	return b
}

// appendSampleOrder encodes sample 0 of p (transmitted timestamp) in order.
func appendSampleOrder(b []byte, p *Chunk, order binary.AppendByteOrder) []byte {
	if order == binary.LittleEndian {
		b = appendTag(b, p.Timestamps[0], false)
		b, _ = appendChunkSample(b, p.Format, p, 0)
		return b
	}
	b = append(b, tagTransmitted)
	b = order.AppendUint64(b, math.Float64bits(p.Timestamps[0]))
	for k := range p.Channels {
		switch p.Format {
		case FormatFloat32:
			b = order.AppendUint32(b, math.Float32bits(p.Float32[k]))
		case FormatInt16:
			b = order.AppendUint16(b, uint16(p.Int16[k]))
		default:
			panic("test: format")
		}
	}
	return b
}

func fakeInfo(f ChannelFormat, nch int, rate float64) StreamInfo {
	return StreamInfo{Name: "fake", Type: "EEG", ChannelCount: nch, NominalRate: rate, Format: f, SourceID: "fake-src", UID: "fake-uid"}
}

func inletCfg(t *testing.T, mod func(*InletConfig)) InletConfig {
	cfg := InletConfig{Config: testConfig(t), DialTimeout: time.Second}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func TestInletBadTestPattern(t *testing.T) {
	info := fakeInfo(FormatInt16, 2, 100)
	f := newFakeOutlet(t, info, func(conn net.Conn, done <-chan struct{}) {
		h := feedHeader(info, binary.LittleEndian)
		h[len(h)-1] ^= 1 // one bit of the second pattern
		conn.Write(h)
		<-done
	})
	_, err := NewInlet(t.Context(), f.info, inletCfg(t, nil))
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "test pattern 2") {
		t.Fatalf("%v, want a test-pattern ErrProtocol", err)
	}
}

func TestInletMalformedFullInfo(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("<?xml version=\"1.0\"?>\n<info><name>x</name><channel_count>2</channel_count"))
			c.Close()
		}
	}()
	info := fakeInfo(FormatFloat32, 2, 100)
	info.V4Address, info.V4DataPort = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	if _, err := NewInlet(t.Context(), info, inletCfg(t, nil)); err == nil || !strings.Contains(err.Error(), "full info") {
		t.Fatalf("%v, want a full info error", err)
	}
}

// TestInletGarbage: garbage after a good header ends the stream with
// ErrProtocol (here with recovery off); an absurd string length is
// refused before anything is allocated for it.
func TestInletGarbage(t *testing.T) {
	for _, c := range []struct {
		name    string
		info    StreamInfo
		garbage []byte
	}{
		{"tag", fakeInfo(FormatFloat32, 2, 100), []byte{7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"string length", fakeInfo(FormatString, 1, 0), []byte{1, 8, 0, 0, 0, 0, 0, 1, 0, 0}},
		{"length width", fakeInfo(FormatString, 1, 0), []byte{1, 3, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeOutlet(t, c.info, func(conn net.Conn, done <-chan struct{}) {
				conn.Write(append(feedHeader(c.info, binary.LittleEndian), c.garbage...))
				<-done
			})
			in, err := NewInlet(t.Context(), f.info, inletCfg(t, func(c *InletConfig) { c.NoRecover = true }))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var ch Chunk
			err = in.Pull(ctx, &ch, 0)
			if !errors.Is(err, ErrProtocol) || !errors.Is(err, ErrStreamLost) {
				t.Fatalf("%v, want ErrStreamLost wrapping ErrProtocol", err)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
				t.Errorf("allocated %d bytes on garbage", d)
			}
		})
	}
}

// TestInletStalls: a peer that accepts and never answers, and one that
// stops sending after the header, never block past the deadlines.
func TestInletStalls(t *testing.T) {
	info := fakeInfo(FormatFloat32, 2, 100)
	silent := newFakeOutlet(t, info, func(_ net.Conn, done <-chan struct{}) { <-done })
	start := time.Now()
	_, err := NewInlet(t.Context(), silent.info, inletCfg(t, func(c *InletConfig) { c.DialTimeout = 300 * time.Millisecond }))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 2*time.Second {
		t.Fatalf("stalled handshake: %v after %v", err, time.Since(start))
	}

	stalled := newFakeOutlet(t, info, func(conn net.Conn, done <-chan struct{}) {
		conn.Write(feedHeader(info, binary.LittleEndian))
		<-done
	})
	for _, noRecover := range []bool{false, true} {
		in, err := NewInlet(t.Context(), stalled.info, inletCfg(t, func(c *InletConfig) {
			c.StallTimeout, c.NoRecover = 200*time.Millisecond, noRecover
		}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		start := time.Now()
		var c Chunk
		err = in.Pull(ctx, &c, 0)
		cancel()
		in.Close()
		elapsed := time.Since(start)
		switch {
		case noRecover && !errors.Is(err, ErrStreamLost):
			t.Errorf("no recovery: %v, want ErrStreamLost", err)
		case !noRecover && !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("recovering: %v, want the context's deadline", err)
		case elapsed > 2500*time.Millisecond:
			t.Errorf("Pull returned after %v", elapsed)
		}
	}
}

// TestInletDeducedBeforeTimestamp: samples deduced before any timestamp
// on a connection are stamped backwards from the first timestamp, not
// from 0 as liblsl would.
func TestInletDeducedBeforeTimestamp(t *testing.T) {
	info := fakeInfo(FormatInt8, 1, 100)
	f := newFakeOutlet(t, info, func(conn net.Conn, done <-chan struct{}) {
		b := feedHeader(info, binary.LittleEndian)
		b = append(b, tagDeduced, 1, tagDeduced, 2)
		b = appendTag(b, 10, false)
		b = append(b, 3, tagDeduced, 4)
		conn.Write(b)
		<-done
	})
	in, err := NewInlet(t.Context(), f.info, inletCfg(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var got []float64
	var vals []int8
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var c Chunk
	for len(got) < 4 { // one sample a Pull: the held samples wait in the carry
		if err := in.Pull(ctx, &c, 1); err != nil {
			t.Fatal(err)
		}
		if c.Len() != 1 || c.UID != "fake-uid" {
			t.Fatalf("chunk of %d samples from %q", c.Len(), c.UID)
		}
		got = append(got, c.Timestamps...)
		vals = append(vals, c.Int8...)
	}
	want := []float64{9.98, 9.99, 10, 10.01}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 || vals[i] != int8(i+1) {
			t.Fatalf("timestamps %v values %v, want %v", got, vals, want)
		}
	}
}

// TestInletBigEndianFeed: an outlet that converts to big-endian (liblsl
// does when it converts faster than the inlet) is read correctly.
func TestInletBigEndianFeed(t *testing.T) {
	info := fakeInfo(FormatFloat32, 2, 100)
	f := newFakeOutlet(t, info, func(conn net.Conn, done <-chan struct{}) {
		b := feedHeader(info, binary.BigEndian)
		b = appendSampleOrder(b, &Chunk{Format: FormatFloat32, Channels: 2, Timestamps: []float64{7.5}, Float32: []float32{1.25, -3}}, binary.BigEndian)
		conn.Write(b)
		<-done
	})
	in, err := NewInlet(t.Context(), f.info, inletCfg(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	pullN(t, in, 1, 5*time.Second, func(c *Chunk) {
		if c.Timestamps[0] != 7.5 || c.Float32[0] != 1.25 || c.Float32[1] != -3 {
			t.Errorf("%+v", c)
		}
	})
}

// TestInletStreamChanged: the outlet comes back with the same source_id
// but another channel count: Pull fails with ErrStreamChanged, for good.
func TestInletStreamChanged(t *testing.T) {
	id := uniqueName(t, "changed")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: 2, NominalRate: 100, Format: FormatFloat32, SourceID: id}
	o, err := NewOutlet(info, OutletConfig{Config: testConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	in := openInlet(t, id, nil)
	o.PushFloat32([]float32{1, 2}, 0)
	pullN(t, in, 1, 5*time.Second, func(*Chunk) {})
	o.Close()
	info.ChannelCount = 3
	newTestOutlet(t, info, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var c Chunk
	err = in.Pull(ctx, &c, 0)
	if !errors.Is(err, ErrStreamChanged) || !strings.Contains(err.Error(), "3 float32 channels, was 2") {
		t.Fatalf("%v, want ErrStreamChanged", err)
	}
	if err2 := in.Pull(ctx, &c, 0); !errors.Is(err2, ErrStreamChanged) {
		t.Errorf("second Pull: %v", err2)
	}
}

// TestGoOutletRestartGoInlet: every sample of both outlet instances once.
func TestGoOutletRestartGoInlet(t *testing.T) {
	id := uniqueName(t, "go-restart")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: 1, NominalRate: 100, Format: FormatInt32, SourceID: id}
	o, err := NewOutlet(info, OutletConfig{Config: testConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	in := openInlet(t, id, nil)
	for i := range 100 {
		o.PushInt32([]int32{int32(i)}, 0)
	}
	next := int32(0)
	check := func(c *Chunk) {
		for _, v := range c.Int32 {
			if v != next {
				t.Fatalf("value %d, want %d", v, next)
			}
			next++
		}
	}
	pullN(t, in, 100, 5*time.Second, check)
	o.Close()
	o2 := newTestOutlet(t, info, nil)
	go func() {
		if o2.WaitForConsumers(t.Context()) == nil {
			for i := 100; i < 200; i++ {
				o2.PushInt32([]int32{int32(i)}, 0)
			}
		}
	}()
	pullN(t, in, 100, 15*time.Second, check)
	if in.Reconnects() != 1 || in.Info().UID != o2.Info().UID {
		t.Errorf("reconnects %d, uid %s (new outlet %s)", in.Reconnects(), in.Info().UID, o2.Info().UID)
	}
}

func TestInletCloseDuringPull(t *testing.T) {
	id := uniqueName(t, "close")
	newTestOutlet(t, StreamInfo{Name: id, Type: "Markers", ChannelCount: 1, Format: FormatString, SourceID: id}, nil)
	in := openInlet(t, id, nil)
	errc := make(chan error, 1)
	go func() {
		var c Chunk
		errc <- in.Pull(context.Background(), &c, 0)
	}()
	time.Sleep(100 * time.Millisecond)
	in.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Pull still blocked after Close")
	}
	var c Chunk
	if err := in.Pull(context.Background(), &c, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Pull after Close: %v", err)
	}
}
