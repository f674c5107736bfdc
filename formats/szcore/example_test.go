package szcore_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats/szcore"
)

// A detector's output for a one-hour recording, written as an SzCORE
// hypothesis file.
func ExampleWrite() {
	start := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	events := []szcore.Event{{
		Onset: 1204.5, Duration: 62, EventType: szcore.Seizure, Confidence: 0.93,
		Channels: []string{"T7", "P7"}, DateTime: start, RecordingDuration: 3600,
	}}
	if err := szcore.Write(os.Stdout, events); err != nil {
		fmt.Println(err)
	}
	// Output:
	// onset	duration	eventType	confidence	channels	dateTime	recordingDuration
	// 1204.5	62	sz	0.93	T7,P7	2024-05-01 09:30:00	3600
}

// Reading a reference and labelling it at 1 Hz, as szcore-evaluation does.
func ExampleSeizureMask() {
	tsv := "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n" +
		"2.50\t3.00\tsz_foc_ia\tn/a\tn/a\t2000-01-01 00:00:00\t8.00\n"
	events, err := szcore.Read(strings.NewReader(tsv), "ref.tsv")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(events[0].EventType, szcore.IsSeizure(events[0].EventType), math.IsNaN(events[0].Confidence))
	mask, _ := szcore.SeizureMask(events, 1)
	fmt.Println(mask)
	// Output:
	// sz_foc_ia true true
	// [false false true true true false false false]
}
