// Package lsltest holds what the LSL tests of several packages share: the
// liblsl configuration file that keeps every test on this machine (IPv6
// off, queries to 127.0.0.1 only; lsl/testdata/lsl_api.cfg) and the Go
// side's Config read from it.
package lsltest

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/neurostream/neurostream/lsl"
)

// ConfigFile is the absolute path of lsl/testdata/lsl_api.cfg, the file
// the tests give liblsl through LSLAPICFG.
var ConfigFile = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "lsl_api.cfg")
}()

// Config reads ConfigFile into an lsl.Config listening on 127.0.0.1 that
// resolves every 200 ms (tests wait for streams; the default 1 s
// would slow them).
func Config(t testing.TB) lsl.Config {
	t.Helper()
	cfg, err := lsl.LoadConfig(ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ListenAddress = "127.0.0.1"
	cfg.ResolveInterval = 200 * time.Millisecond
	return cfg
}
