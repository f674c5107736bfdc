package lslin

import (
	"bufio"
	"context"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/lsl/lsltest"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// TestIngestClockOffset: the EEG outlet's clock runs 1234.5 s ahead of
// this machine's and the marker outlet's 777.25 s behind (as on two other
// computers): with both clock offsets applied the markers land on the
// sample pushed with them and the session starts at the wall time of the
// first push. Stopping the ingest (its context ends, as on SIGINT) ends
// the session with a final chunk.
func TestIngestClockOffset(t *testing.T) {
	broker := kafkatest.Broker(t)
	const nch, rate = 4, 200.0
	id, mid := uniqueName("shifted"), uniqueName("shifted-mk")
	info := lsl.StreamInfo{Name: id, Type: "EEG", ChannelCount: nch, NominalRate: rate, Format: lsl.FormatFloat32, SourceID: id}
	info.SetChannels([]lsl.ChannelInfo{{Label: "Oz", Unit: "µV", Type: "EEG"}, {Label: "O1", Unit: "µV", Type: "EEG"}, {Label: "O2", Unit: "µV", Type: "EEG"}, {Label: "EOG", Unit: "mV", Type: "EOG"}})
	const eegShift, mkShift = 1234.5, -777.25
	eeg, err := lsl.NewOutlet(info, lsl.OutletConfig{Config: lsltest.Config(t), Clock: func() float64 { return lsl.LocalClock() + eegShift }})
	if err != nil {
		t.Fatal(err)
	}
	defer eeg.Close()
	mk, err := lsl.NewOutlet(lsl.StreamInfo{Name: mid, Type: "Markers", ChannelCount: 1, Format: lsl.FormatInt32, SourceID: mid},
		lsl.OutletConfig{Config: lsltest.Config(t), Clock: func() float64 { return lsl.LocalClock() + mkShift }})
	if err != nil {
		t.Fatal(err)
	}
	defer mk.Close()

	cfg := ingestConfig(t, broker, id)
	mq, _ := lsl.Prop("source_id", mid)
	cfg.Markers = []string{mq}
	run := startIngest(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := eeg.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mk.WaitForConsumers(ctx); err != nil {
		t.Fatal(err)
	}
	// The amplifier goes on after the ingest stops.
	first := time.Now()
	push := startClockPush(eeg, mk, nch, rate, eegShift, mkShift)
	<-push.pushed
	run.cancel() // a stop: SIGINT in the command
	res, err := run.wait(t, 10*time.Second)
	close(push.stop)
	if err := <-push.done; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != "stopped" || !res.Final {
		t.Fatalf("ended %q, final %v", res.Ended, res.Final)
	}
	chunks := readChunks(t, broker, cfg.Topic, 20*time.Second)
	if gaps := checkContinuous(t, chunks); len(gaps) > 0 {
		t.Fatalf("gaps %v", gaps)
	}
	if d := time.Unix(0, chunks[0].StartTimeNS).Sub(first); math.Abs(d.Seconds()) > 0.1 {
		t.Fatalf("session starts %v from the first push: the clock offset was not applied", d)
	}
	if u := chunks[0].Channels[3].Unit; u != "V" {
		t.Errorf("EOG unit %q", u)
	}
	stim, n := stimPulses(t, chunks, nch)
	if n < 700 {
		t.Fatalf("%d samples, want about 800 (what arrived before the stop)", n)
	}
	checkPlaced(t, stim, push.truth, int64(n))
	t.Logf("stats %+v", res.Stats)
}

// clockPush is the amplifier and the stimulus program of
// TestIngestClockOffset.
type clockPush struct {
	mu sync.Mutex
	// truth has each marker's code by the sample pushed with it; mu
	// guards it until done has the pushes' end.
	truth map[int64]int32
	// pushed closes after 800 samples; closing stop ends the pushes,
	// whose error done then has.
	pushed, stop chan struct{}
	done         chan error
}

// startClockPush pushes 4 samples (k, 1, 2, 3: nch is 4) every 20 ms to
// eeg and a marker after every 40th sample to mk, each stamped with the
// time its sample was due on its outlet's clock (eegShift and mkShift
// from this machine's): an amplifier whose samples come at 200 Hz
// whatever this machine's load, and a stimulus program that stamps the
// moment it showed the stimulus, as with pylsl's push_sample(x,
// timestamp). A late tick pushes every sample due since, so a loaded
// machine delays samples but never moves them.
func startClockPush(eeg, mk *lsl.Outlet, nch int, rate, eegShift, mkShift float64) *clockPush {
	p := &clockPush{truth: map[int64]int32{}, pushed: make(chan struct{}), stop: make(chan struct{}), done: make(chan error, 1)}
	t0 := lsl.LocalClock()
	due := func(k int) float64 { return t0 + float64(k)/rate }
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for k := 0; ; {
			select {
			case <-p.stop:
				p.done <- nil
				return
			case <-tick.C:
			}
			for ; due(k+3) <= lsl.LocalClock(); k += 4 {
				c := lsl.Chunk{Format: lsl.FormatFloat32, Channels: nch}
				for i := range 4 {
					c.Float32 = append(c.Float32, float32(k+i), 1, 2, 3)
					c.Timestamps = append(c.Timestamps, due(k+i)+eegShift)
				}
				if err := eeg.PushChunk(&c); err != nil {
					p.done <- err
					return
				}
				if (k+4)%40 == 0 {
					code := int32((k+4)/40%5 + 1)
					p.mu.Lock()
					p.truth[int64(k+3)] = code
					p.mu.Unlock()
					if err := mk.PushInt32([]int32{code}, due(k+3)+mkShift); err != nil {
						p.done <- err
						return
					}
				}
				if k+4 == 800 {
					close(p.pushed)
				}
			}
		}
	}()
	return p
}

// stimPulses checks that channel 0 of chunks holds sample k's index k (in
// µV → V) and returns the stim channel's (channel nch) pulses by sample,
// and the number of samples.
func stimPulses(t *testing.T, chunks []wire.Chunk, nch int) (map[int64]float32, int) {
	t.Helper()
	stim := map[int64]float32{}
	n := 0
	for _, c := range chunks {
		for i := range c.Len() {
			if c.Data[0][i] != float32(float64(n)*1e-6) {
				t.Fatalf("sample %d holds %v", n, c.Data[0][i])
			}
			if v := c.Data[nch][i]; v != 0 {
				stim[c.FirstSample+int64(i)] = v
			}
			n++
		}
	}
	return stim, n
}

// checkPlaced checks that each marker of truth before the session's last
// of n samples is a pulse of its code within a sample of its sample, and
// that there is no other pulse. The marker of the last sample may come
// after the stop or before it (the marker and EEG streams race there):
// it counts as placed when its pulse is there.
func checkPlaced(t *testing.T, stim map[int64]float32, truth map[int64]int32, n int64) {
	t.Helper()
	placed := 0
	for s, code := range truth {
		ok := false
		for d := int64(-1); d <= 1; d++ {
			ok = ok || stim[s+d] == float32(code)
		}
		switch {
		case s > n-1:
			continue // after the session's end
		case s == n-1:
			if ok {
				placed++
			}
			continue
		}
		placed++
		if !ok && !raceEnabled {
			t.Errorf("marker %d of sample %d not within one sample: stim %v %v %v", code, s, stim[s-1], stim[s], stim[s+1])
		}
	}
	if len(stim) != placed {
		t.Errorf("%d stim pulses, want %d", len(stim), placed)
	}
}

// fakeOutlet is a TCP peer that answers an inlet's requests with handle.
func fakeOutlet(t *testing.T, handle func(req string, conn net.Conn)) int {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err != nil {
					return
				}
				handle(strings.TrimSpace(line), conn)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestIngestBadPeer: a malformed info document and a peer that answers
// the data request with garbage end the ingest with an error naming the
// stream, within the inlet's deadlines, before anything is published.
func TestIngestBadPeer(t *testing.T) {
	good := lsl.StreamInfo{Name: "fake-amp", Type: "EEG", ChannelCount: 4, NominalRate: 100, Format: lsl.FormatFloat32,
		SourceID: "fake-amp-1", UID: "0b1c2d3e-fake", Version: 110}
	for _, tc := range []struct {
		name   string
		handle func(req string, conn net.Conn)
		want   string
	}{
		{"malformed-xml", func(req string, conn net.Conn) {
			conn.Write([]byte(`<?xml version="1.0"?><info><name>fake-amp</name><channel_count>4</chan`))
		}, "fake-amp"},
		{"garbage", func(req string, conn net.Conn) {
			if req == "LSL:fullinfo" {
				conn.Write(good.XML(true))
				return
			}
			for range 100 {
				if _, err := conn.Write([]byte("\x02\xff\xfe garbage \x00\x01 LSL/110 999 ???\r\n")); err != nil {
					return
				}
			}
		}, "fake-amp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := fakeOutlet(t, tc.handle)
			info := good
			info.V4Address, info.V4DataPort = "127.0.0.1", port
			cfg := Config{LSL: lsltest.Config(t), Producer: pkafka.ProducerConfig{Connection: pkafka.Connection{Brokers: []string{kafkatest.Addr()}}}}
			done := make(chan error, 1)
			go func() {
				_, err := Ingest(t.Context(), cfg, info, nil)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want one naming %q", err, tc.want)
				}
				t.Logf("%v", err)
			case <-time.After(15 * time.Second):
				t.Fatal("ingest still running after 15 s")
			}
		})
	}
}
