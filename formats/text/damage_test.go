package text

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// A Muse CSV of 30732 rows at 256 Hz (LSL timestamps with chunk jitter),
// header on line 1.
const muse = "ssvep-muse-eeg-notebooks/subject1/session1/data_2017-09-14-21.20.04.csv"

// shiftTimes returns an edit that drops rows [from, to) of the CSV (0-based
// data rows) and adds shift seconds to the timestamps of the rows after.
func shiftTimes(from, to int, shift float64) func([]byte) []byte {
	return func(b []byte) []byte {
		lines := bytes.SplitAfter(b, []byte("\n"))
		out := append([][]byte{}, lines[:1+from]...)
		for _, l := range lines[1+to:] {
			if i := bytes.IndexByte(l, ','); i > 0 {
				v, err := strconv.ParseFloat(string(l[:i]), 64)
				if err != nil {
					panic(err)
				}
				l = append([]byte(fmt.Sprintf("%.3f", v+shift)), l[i:]...)
			}
			out = append(out, l)
		}
		return bytes.Join(out, nil)
	}
}

// TestTimeGaps: a gap in the timestamps is named by its line and size,
// and the rate comes from the rows around it, not the span.
func TestTimeGaps(t *testing.T) {
	cases := []struct {
		name  string
		edit  func([]byte) []byte
		rows  int64
		warns [][]string
	}{
		{"sound", func(b []byte) []byte { return b }, 30732, nil},
		// 30 s lost after row 9999: the span over the rows gives 196 Hz.
		{"30 s of rows missing", shiftTimes(10000, 10000+30*256, 0), 30732 - 30*256,
			[][]string{{"data_2017-09-14-21.20.04.csv: column \"timestamps\": line 10002: the time jumps 30 s ahead, from 213581.979 to 213611.979 (7680.73 sample intervals at 256.024 Hz)",
				"every later sample is placed 29.9961 s before its timestamp"}}},
		// The clock stepped back a minute; no row is lost.
		{"clock back 60 s", shiftTimes(20000, 20000, -60), 30732,
			[][]string{{"line 20002: the time goes 59.996 s back, from 213621.035 to 213561.039", "placed 59.9999 s after its timestamp"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := formatstest.Damage(t, formatstest.Edit(c.edit), muse)[0]
			r, err := Open(p, Options{TimeColumn: "timestamps", MarkerColumn: "Marker0"})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info := r.Info()
			if info.NSamples != c.rows {
				t.Errorf("%d rows, want %d", info.NSamples, c.rows)
			}
			// The LSL clock runs 0.02 Hz fast against this headset.
			if math.Abs(info.SampleRate-256.02) > 0.01 {
				t.Errorf("rate %v Hz, want 256.02 ± 0.01", info.SampleRate)
			}
			for _, w := range c.warns {
				formatstest.HasWarning(t, info, w...)
			}
			if len(info.Warnings) != len(c.warns) {
				t.Errorf("warnings %q, want %d", info.Warnings, len(c.warns))
			}
		})
	}
}
