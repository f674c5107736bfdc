package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// TestIngestLSLUsage: selector and --stim-events mistakes exit 2 before
// any network traffic.
func TestIngestLSLUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--query", "type='EEG'", "--type", "EEG"}, "--query: give it alone"},
		{[]string{"--stim-events", "left"}, `--stim-events "left": want MARKER=CODE`},
		{[]string{"--stim-events", "left=0"}, `--stim-events "left=0"`},
		{[]string{"--chunk-seconds", "0"}, "--chunk-seconds: want a positive duration"},
	} {
		_, errOut, code := cliCode(t, context.Background(), append([]string{"ingest", "lsl"}, tc.args...)...)
		if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, errOut, cli.ExitUsage, tc.want)
		}
	}
}

// TestIngestLSLCommand: `ingest lsl --source-id` publishes a Go outlet's
// stream and, when the outlet goes away, ends with the final chunk and a
// summary.
func TestIngestLSLCommand(t *testing.T) {
	broker := kafkatest.Broker(t)
	cfgFile, _ := filepath.Abs(filepath.Join("..", "..", "lsl", "testdata", "lsl_api.cfg"))
	net, err := lsl.LoadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	net.ListenAddress = "127.0.0.1"
	id := fmt.Sprintf("ns-test-cli-%d", time.Now().UnixNano()%1e9)
	out, err := lsl.NewOutlet(lsl.StreamInfo{Name: id, Type: "EEG", ChannelCount: 2, NominalRate: 100, Format: lsl.FormatInt16, SourceID: id}, lsl.OutletConfig{Config: net})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	go func() {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if out.WaitForConsumers(ctx) != nil {
			return
		}
		// 260: not a whole number of 25-sample chunks, so a sample is
		// left for the final chunk when the outlet goes.
		for i := range 260 {
			out.PushInt16([]int16{int16(i), -1}, 0)
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		out.Close()
	}()
	stdout, errOut, code := cliCode(t, t.Context(), "ingest", "lsl", "--source-id", id, "--brokers", broker, "--topic", kafkatest.Name(t, "raw"),
		"--events-topic", "", "--partitions", "1", "--lost-after", "1s", "--lsl-config", cfgFile)
	if code != cli.ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, stdout, errOut)
	}
	for _, want := range []string{"ingested \"" + id + "\" as session " + id + "_", "260 samples (2.6 s at 100 Hz)", "ended: stream lost", "final chunk true"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}
