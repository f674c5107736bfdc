package arrowout_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// encode returns rec as an Arrow IPC stream.
func encode(t *testing.T, rec arrow.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFixedRecordsAsRows: PSDWindows and BandPowerWindows make the
// records PSDRows and BandPowerRows make of the same rows, to the byte of
// their IPC encoding, window after window: with the records of earlier
// windows held (their pooled buffers not reused) and released (reused),
// across a change of session and of the channels' labels.
func TestFixedRecordsAsRows(t *testing.T) {
	chans, units := []string{"Fp1", "Cz", "MEG 0113"}, []string{"V^2/Hz", "V^2/Hz", "T/m^2/Hz"}
	bands := []arrowout.Band{{"delta", 1, 4}, {"alpha", 8, 12}}
	const bins = 4
	pw := arrowout.NewPSDWindows(chans, units, 0.5, 0.25, bins)
	defer pw.Release()
	bw := arrowout.NewBandPowerWindows(chans, []string{"V^2", "V^2", "T^2"}, bands)
	defer bw.Release()
	pr, br := arrowout.NewPSDRows(nil), arrowout.NewBandPowerRows(nil)
	defer pr.Release()
	defer br.Release()

	var held []arrow.Record
	defer func() {
		for _, r := range held {
			r.Release()
		}
	}()
	for w := range 6 {
		k := arrowout.WindowKey{Session: "sub-01", Window: int64(w), StartSample: int64(w * 256), StartTimeNS: 1_700_000_000_000_000_000 + int64(w)}
		labels := chans
		if w >= 3 {
			k.Session = "sim-µ"
			labels = []string{"Fp1", "C3", "MEG 0113"}
		}
		psd := make([]float64, len(chans)*bins)
		power, rel := make([]float64, len(chans)*len(bands)), make([]float64, len(chans)*len(bands))
		for i := range psd {
			psd[i] = float64(w*100+i) * 1e-12
		}
		psd[1] = math.NaN()
		for i := range power {
			power[i], rel[i] = float64(w+i)*1e-11, float64(i)/8
		}
		rel[len(rel)-1] = math.NaN()
		for i, c := range labels {
			pr.Append(k, c, units[i], 0.5, 0.25, psd[i*bins:(i+1)*bins])
			for j, b := range bands {
				r := i*len(bands) + j
				br.Append(k, c, []string{"V^2", "V^2", "T^2"}[i], b.Name, b.Low, b.High, power[r], rel[r])
			}
		}
		for _, pair := range [][2]arrow.Record{
			{pw.Record(k, labels, psd), pr.Flush()},
			{bw.Record(k, labels, power, rel), br.Flush()},
		} {
			got, want := pair[0], pair[1]
			// Overwrite the inputs: the records must hold copies.
			clear(psd)
			if !array.RecordEqual(got, want) && !array.RecordApproxEqual(got, want, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
				t.Errorf("window %d: %s record\n%v\nwant\n%v", w, got.Schema().Metadata().Values()[0], got, want)
			}
			if !bytes.Equal(encode(t, got), encode(t, want)) {
				t.Errorf("window %d: %s record: IPC encoding differs from the row builder's", w, got.Schema().Metadata().Values()[0])
			}
			want.Release()
			if w%2 == 0 {
				held = append(held, got)
			} else {
				got.Release()
			}
		}
	}
	// The held records still hold their own windows' values after the
	// pools handed out buffers again.
	for _, r := range held {
		if r.Schema().Equal(arrowout.BandPowerSchema) {
			w := r.Column(1).(*array.Int64).Value(0)
			if got := r.Column(9).(*array.Float64).Value(0); got != float64(w)*1e-11 {
				t.Errorf("held bandpower record of window %d: power %g, want %g", w, got, float64(w)*1e-11)
			}
		}
	}
}

// TestFixedRecordsReleasedElsewhere: records released on another
// goroutine (a sink's) while the next ones are built hold their own
// window's values until released: a pooled buffer goes back to the pool
// only with the record's last reference. Run with -race too.
func TestFixedRecordsReleasedElsewhere(t *testing.T) {
	bw := arrowout.NewBandPowerWindows([]string{"C3", "C4"}, []string{"V^2", "V^2"}, []arrowout.Band{{"alpha", 8, 12}})
	defer bw.Release()
	recs := make(chan arrow.Record, 4)
	done := make(chan error)
	go func() {
		var err error
		for r := range recs {
			w := r.Column(1).(*array.Int64).Value(0)
			p := r.Column(9).(*array.Float64)
			if err == nil && (p.Value(0) != float64(w) || p.Value(1) != -float64(w)) {
				err = fmt.Errorf("record of window %d holds powers %v", w, p.Float64Values())
			}
			r.Release()
		}
		done <- err
	}()
	power, rel := make([]float64, 2), make([]float64, 2)
	for w := range 500 {
		power[0], power[1] = float64(w), -float64(w)
		recs <- bw.Record(arrowout.WindowKey{Session: "s", Window: int64(w)}, []string{"C3", "C4"}, power, rel)
	}
	close(recs)
	if err := <-done; err != nil {
		t.Error(err)
	}
}
