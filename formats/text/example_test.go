package text_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/neurostream/neurostream/formats/text"
)

// A Muse-style CSV: the time column gives the sample rate, the marker
// column gives events, and the electrode columns, in µV, are read in V.
func Example() {
	dir, err := os.MkdirTemp("", "text-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session.csv")
	csv := "timestamps,TP9,AF7,Marker0\n" +
		"100.000,10.5,-3,0\n" +
		"100.004,11.0,-2,1\n" +
		"100.008,12.5,-1,0\n" +
		"100.012,13.0,0,2\n"
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		log.Fatal(err)
	}

	r, err := text.Open(path, text.Options{TimeColumn: "timestamps", MarkerColumn: "Marker0"})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	fmt.Printf("%s: %q, %.0f Hz, %d samples\n", info.Format, info.Labels(), info.SampleRate, info.NSamples)
	for _, a := range info.Annotations {
		fmt.Printf("event %s at %.3f s\n", a.Description, a.Onset)
	}

	dst := [][]float64{make([]float64, 2), make([]float64, 2)}
	if err := r.ReadSamples(dst, 2, 4); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("TP9 %.2g %s, AF7 %.2g %s\n", dst[0], info.Channels[0].Unit, dst[1], info.Channels[1].Unit)
	// Output:
	// CSV: ["TP9" "AF7"], 250 Hz, 4 samples
	// event 1 at 0.004 s
	// event 2 at 0.012 s
	// TP9 [1.2e-05 1.3e-05] V, AF7 [-1e-06 0] V
}
