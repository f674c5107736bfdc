package lsl

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// testConfig is the Go side of lsl/testdata/lsl_api.cfg: 127.0.0.1 only.
func testConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join("testdata", "lsl_api.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenAddress = "127.0.0.1"
	cfg.ResolveInterval = 200 * time.Millisecond
	return cfg
}

// uniqueName makes stream names and source ids that no other test (or
// developer on this machine) uses.
func uniqueName(t testing.TB, prefix string) string {
	return fmt.Sprintf("ns-test-%s-%d-%08x", prefix, time.Now().UnixNano()%1e6, rand.Uint32())
}

func newTestOutlet(t testing.TB, info StreamInfo, mod func(*OutletConfig)) *Outlet {
	t.Helper()
	cfg := OutletConfig{Config: testConfig(t)}
	if mod != nil {
		mod(&cfg)
	}
	o, err := NewOutlet(info, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func resolveOne(t testing.TB, cfg Config, query string) StreamInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	found, err := Resolve(ctx, cfg, query, 1)
	if err != nil {
		t.Fatalf("resolve %s: %v", query, err)
	}
	return found[0]
}

func TestGoOutletToGoInlet(t *testing.T) {
	name := uniqueName(t, "go")
	info := StreamInfo{Name: name, Type: "EEG", ChannelCount: 3, NominalRate: 100, Format: FormatFloat32, SourceID: name}
	o := newTestOutlet(t, info, nil)
	q, _ := Prop("source_id", name)
	r := resolveOne(t, testConfig(t), q)
	in, err := NewInlet(t.Context(), r, InletConfig{Config: testConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for i := range 10 {
		if err := o.PushFloat32([]float32{float32(i), 1, 2}, 1000+float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	var c Chunk
	got := 0
	for got < 10 {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := in.Pull(ctx, &c, 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Len() {
			if c.Timestamps[i] != 1000+float64(got) || c.Float32[i*3] != float32(got) {
				t.Fatalf("sample %d: ts %v value %v", got, c.Timestamps[i], c.Float32[i*3])
			}
			got++
		}
	}
	off, err := in.TimeCorrection(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offset %+v", off)
}
