package text

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestAllocBoundedByFileSize opens and streams text whose shape or
// numbers are extreme, and checks that the reader allocates in proportion
// to the file.
func TestAllocBoundedByFileSize(t *testing.T) {
	var wide, rows, timed strings.Builder
	for c := range 5000 {
		fmt.Fprintf(&wide, "c%d,", c)
	}
	wide.WriteString("last\n")
	for range 3 {
		wide.WriteString(strings.Repeat("1,", 5000) + "1\n")
	}
	for i := range 100000 {
		fmt.Fprintf(&rows, "%d\n", i%10)
	}
	timed.WriteString("t,x\n")
	for i := range 50000 {
		fmt.Fprintf(&timed, "%d,1\n", i*i) // ever wider steps: gaps everywhere
	}
	cases := []struct {
		name, text string
		opt        Options
	}{
		{"5000 columns", wide.String(), Options{SampleRate: 1e300}},
		{"100000 one-digit rows", rows.String(), Options{SampleRate: 1e-300}},
		{"one 1 MB line", strings.Repeat("1,", 1<<19) + "1\n", Options{SampleRate: 100}},
		{"the most columns", strings.Repeat("1,", maxColumns-1) + "1\n", Options{SampleRate: 100}},
		{"huge numbers", "1e308\n-1e308\n" + strings.Repeat("9", 300) + "\n", Options{SampleRate: 100}},
		{"a gap at every row", timed.String(), Options{TimeColumn: "t"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := formatstest.CheckAllocs(t, int64(len(c.text)), func() (formats.Recording, error) { return open(c.text, c.opt) })
			t.Logf("%d bytes: %d allocated", len(c.text), used)
		})
	}
}
