package lsl

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzParseInfo: any document either parses into an info that survives
// writing and parsing again unchanged, or fails with an error; never a
// panic, and the limits hold.
func FuzzParseInfo(f *testing.F) {
	fixture := liblslFixture(f)
	f.Add(fixture)
	s, _ := ParseInfo(fixture)
	f.Add(s.XML(false))
	f.Add([]byte(`<info><name>n</name><channel_count>1</channel_count><channel_format>int8</channel_format><nominal_srate>1</nominal_srate><version>1.1</version><created_at>0</created_at><uid>u</uid><v4data_port>0</v4data_port><v4service_port>0</v4service_port><v6data_port>0</v6data_port><v6service_port>0</v6service_port><desc>t<a>b</a>c<!-- x --></desc></info>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseInfo(doc)
		if err != nil {
			return
		}
		if s.Name == "" || s.UID == "" || !s.Format.valid() || s.ChannelCount < 0 || s.ChannelCount > MaxChannelCount {
			t.Fatalf("accepted %+v", s)
		}
		again, err := ParseInfo(s.XML(true))
		if err != nil {
			t.Fatalf("own XML does not parse: %v\n%s", err, s.XML(true))
		}
		// Text that XML cannot carry is replaced; what was read once
		// must come back the same.
		if !bytes.Equal(again.XML(true), s.XML(true)) {
			t.Fatalf("round trip changed the info:\n%s\n%s", s.XML(true), again.XML(true))
		}
		if q, err := compileQuery("name='x' or count(desc/*)>1 or desc//x"); err == nil {
			q.matches(&Element{})
		}
	})
}

// FuzzQuery: any query compiles or fails; a compiled one evaluates on
// the fixture without panicking.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{"type='EEG'", "session_id='default' and (name=\"x\" or not(source_id='y'))",
		"count(desc/channels/channel)>=2", "starts-with(name,'Bio') and nominal_srate>100.5", "desc/*/label!='Fp1'"} {
		f.Add(q)
	}
	s, _ := ParseInfo(liblslFixture(f))
	tree, _ := parseXML(s.XML(true))
	f.Fuzz(func(t *testing.T, q string) {
		if c, err := compileQuery(q); err == nil {
			c.matches(tree)
		}
	})
}

// FuzzDecodeSample: the sample decoder on arbitrary bytes, for every
// format and channel count: it consumes no more than it has, appends
// exactly one sample's values or none, and what it decoded encodes back
// to the bytes it consumed (strings: to the same strings).
func FuzzDecodeSample(f *testing.F) {
	for _, fm := range allFormats {
		p := testPattern(fm, 3, 4)
		b := appendTag(nil, 1, false)
		b, _ = appendChunkSample(b, fm, p, 0)
		f.Add(uint8(fm), uint8(3), b)
	}
	f.Add(uint8(FormatString), uint8(1), []byte{1, 2, 3, 0, 0})
	f.Fuzz(func(t *testing.T, format, channels uint8, data []byte) {
		fm := ChannelFormat(format%7 + 1)
		nch := int(channels%16) + 1
		d := sampleDecoder{format: fm, channels: nch, order: binary.LittleEndian, maxStringLen: 1 << 10}
		var c Chunk
		c.Reset(fm, nch)
		n, ts, deduced, err := d.decode(data, &c)
		if err != nil {
			if n != 0 || c.values() != 0 {
				t.Fatalf("error %v with n %d and %d values", err, n, c.values())
			}
			return
		}
		if n > len(data) || c.values() != nch {
			t.Fatalf("n %d of %d, %d values for %d channels", n, len(data), c.values(), nch)
		}
		c.Timestamps = []float64{ts}
		re := appendTag(nil, ts, deduced)
		re, err = appendChunkSample(re, fm, &c, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fm != FormatString {
			if !bytes.Equal(re, data[:n]) {
				t.Fatalf("re-encoded % x, consumed % x", re, data[:n])
			}
			return
		}
		var back Chunk
		back.Reset(fm, nch)
		if _, _, _, err := d.decode(re, &back); err != nil || len(back.Strings) != nch {
			t.Fatalf("re-decode: %v", err)
		}
		for k := range nch {
			if back.Strings[k] != c.Strings[k] {
				t.Fatalf("string %d: %q, was %q", k, back.Strings[k], c.Strings[k])
			}
		}
	})
}

// FuzzFeed: an inlet's feed negotiation and sample decoding on whatever a
// peer sends: an error or samples, never a panic or a hang.
func FuzzFeed(f *testing.F) {
	info := fakeInfo(FormatInt16, 2, 100)
	good := feedHeader(info, binary.LittleEndian)
	f.Add(uint8(FormatInt16), append(good, 1, 1, 0, 2, 0))
	sinfo := fakeInfo(FormatString, 1, 0)
	f.Add(uint8(FormatString), append(feedHeader(sinfo, binary.LittleEndian), 2, 0, 0, 0, 0, 0, 0, 240, 63, 1, 1, 'x'))
	f.Add(uint8(FormatInt16), []byte("LSL/110 404 Not found\r\n\r\n"))
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		info := fakeInfo(ChannelFormat(format%7+1), 2, 100)
		cfg := InletConfig{DialTimeout: time.Second, MaxStringLen: 1 << 10}
		cfg.setDefaults()
		in := &Inlet{cfg: cfg, log: cfg.Logger}
		in.closeCtx, in.closeFn = context.WithCancel(context.Background())
		client, server := net.Pipe()
		go func() {
			go io.Copy(io.Discard, server) // the request
			server.Write(data)
			server.Close()
		}()
		fr, err := in.negotiateFeed(context.Background(), client, "pipe", info)
		if err != nil {
			return
		}
		in.install(info, fr)
		var c Chunk
		c.Reset(info.Format, info.ChannelCount)
		for range 100 {
			if err := in.decodeBuffered(&c, 1<<20); err != nil {
				return
			}
			if err := fr.fill(context.Background(), time.Now().Add(time.Second)); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the pipe was closed; a timeout means a hang")
				}
				return
			}
		}
		client.Close()
	})
}
