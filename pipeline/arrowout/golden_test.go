package arrowout_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/neurostream/neurostream/pipeline/arrowout"
)

var update = flag.Bool("update", false, "rewrite testdata/records/*.arrows")

// goldenRecords builds records of every kind through the builders' public
// API, covering every Append method, nulls, NaN, empty lists and a
// builder reused after Flush: two records per kind.
func goldenRecords() map[arrowout.Kind][]arrow.Record {
	k0 := arrowout.WindowKey{Session: "sub-01_ses-µ", Window: 0, StartSample: 0, StartTimeNS: 1_700_000_000_000_000_000}
	k1 := arrowout.WindowKey{Session: "sim-2", Window: 7, StartSample: 7 * 128, StartTimeNS: -1}
	out := map[arrowout.Kind][]arrow.Record{}

	psd := arrowout.NewPSDRows(nil)
	defer psd.Release()
	psd.Reserve(2, 3)
	psd.Append(k0, "C3", "V^2/Hz", 1, 0.5, []float64{1e-12, 2e-12, math.NaN()})
	psd.Append(k0, "C4", "V^2/Hz", 1, 0.5, []float64{})
	out[arrowout.KindPSD] = append(out[arrowout.KindPSD], psd.Flush())
	psd.Append(k1, "MEG 0113", "T/m^2/Hz", 0.25, 0.125, []float64{math.Inf(1), 0, 3})
	out[arrowout.KindPSD] = append(out[arrowout.KindPSD], psd.Flush())

	bp := arrowout.NewBandPowerRows(nil)
	defer bp.Release()
	bp.Reserve(2)
	bp.Append(k0, "C3", "V^2", "alpha", 8, 12, 3e-12, 0.25)
	bp.Append(k0, "C3", "V^2", "gamma", 30, 45, 0, math.NaN())
	out[arrowout.KindBandPower] = append(out[arrowout.KindBandPower], bp.Flush())
	bp.Append(k1, "Fp1", "T^2", "δ", 1, 4, 1e-27, 1)
	out[arrowout.KindBandPower] = append(out[arrowout.KindBandPower], bp.Flush())

	coh := arrowout.NewCoherenceRows(nil)
	defer coh.Release()
	coh.Reserve(3)
	coh.Append(k0, "O2", "O1", "wpli", "alpha", 8, 12, 0.25, 7)
	coh.AppendComplex(k0, "O2", "O1", "cohy", "alpha", 8, 12, complex(0.6, -0.8), 7)
	coh.Append(k0, "O1", "Oz", "imcoh", "beta", 13, 30, -0.125, 7)
	out[arrowout.KindCoherence] = append(out[arrowout.KindCoherence], coh.Flush())
	coh.AppendComplex(k1, "C4", "C3", "cohy", "theta", 4, 8, complex(math.NaN(), 0), 1)
	out[arrowout.KindCoherence] = append(out[arrowout.KindCoherence], coh.Flush())

	xc := arrowout.NewXCorrRows(nil)
	defer xc.Release()
	xc.Reserve(3, 3)
	xc.Append(k0, &arrowout.XCorrRow{Channel: "O1", Reference: "O1", PeakCorr: 1, ZeroLag: 1, LagStart: -0.004, LagStep: 0.004, Corr: []float64{0.5, 1, 0.5}})
	xc.Append(k0, &arrowout.XCorrRow{Channel: "O2", Reference: "O1", Envelope: true, PeakLag: 0.004, PeakCorr: -0.7, ZeroLag: 0.1, LagStart: -0.004, LagStep: 0.004})
	xc.Append(k0, &arrowout.XCorrRow{Channel: "Oz", Reference: "O1", PeakLag: math.NaN(), PeakCorr: math.NaN(), ZeroLag: math.NaN(), Corr: []float64{}})
	out[arrowout.KindXCorr] = append(out[arrowout.KindXCorr], xc.Flush())
	xc.Append(k1, &arrowout.XCorrRow{Channel: "EMG", Reference: "ECG", Envelope: true, Corr: []float64{-1}})
	out[arrowout.KindXCorr] = append(out[arrowout.KindXCorr], xc.Flush())

	sv := arrowout.NewSSVEPRows(nil)
	defer sv.Release()
	sv.Reserve(2, 3)
	sv.Append(k0, &arrowout.SSVEPRow{Method: "fbcca", Decision: 1, Frequency: 10, Score: 0.9, Margin: 0.2,
		Scores: []float64{0.5, 0.9, 0.7}, Frequencies: []float64{8, 10, 12}})
	sv.Append(k0, &arrowout.SSVEPRow{Method: "cca", Decision: -1, Frequency: math.NaN(), Score: 0.1, Margin: math.NaN(),
		Scores: []float64{0.1}, Frequencies: []float64{15}, Trial: true, EventCode: 3})
	out[arrowout.KindSSVEP] = append(out[arrowout.KindSSVEP], sv.Flush())
	sv.Append(k1, &arrowout.SSVEPRow{Method: "etrca", Decision: 0, Frequency: 8, Score: 0.4, Margin: 0.4,
		Scores: []float64{0.4, 0}, Frequencies: []float64{8, 9}, Trial: true, EventCode: -2})
	out[arrowout.KindSSVEP] = append(out[arrowout.KindSSVEP], sv.Flush())

	sz := arrowout.NewSeizureRows(nil)
	defer sz.Release()
	sz.Reserve(4, 2, 2, 8)
	sz.AppendWindow(k0, 0.25, 0.125, false)
	sz.AppendWindow(k0, 0.875, 0.75, true)
	sz.AppendEvent(k0, arrowout.SeizureEvent{Onset: 60, Offset: 100.5, OnsetSample: 15360, OffsetSample: 25728,
		OnsetTimeNS: 1_700_000_060_000_000_000, OffsetTimeNS: 1_700_000_100_500_000_000, Confidence: 0.8}, []string{"Fp1", "Fp2"})
	sz.AppendEvent(k0, arrowout.SeizureEvent{Onset: 1, Offset: 2, Confidence: math.NaN()}, nil)
	out[arrowout.KindSeizure] = append(out[arrowout.KindSeizure], sz.Flush())
	sz.AppendEnd(k1, 120, 30720, 1_700_000_120_000_000_000)
	out[arrowout.KindSeizure] = append(out[arrowout.KindSeizure], sz.Flush())

	tk := arrowout.NewTokensRows(nil)
	defer tk.Release()
	tk.Reserve(3, 4)
	tk.AppendLevels(k0, "C3", 0, 17, 0.5, []int32{5, 6, 7, 8, 9})
	tk.Append(k0, "C3", 1, 0, 0)
	tk.Append(k0, "Cz", 1, 255, 2)
	out[arrowout.KindTokens] = append(out[arrowout.KindTokens], tk.Flush())
	tk.AppendLevels(k1, "T7", 9, 3, math.NaN(), []int32{0, 0, 0, 0, 0})
	tk.AppendLevels(k1, "T8", 9, 4, 1, []int32{255, 1, 2, 3, 4})
	out[arrowout.KindTokens] = append(out[arrowout.KindTokens], tk.Flush())

	out[arrowout.KindSessionEnd] = []arrow.Record{
		arrowout.SessionEndRecord(nil, k0, arrowout.SessionEnd{Reason: arrowout.EndFinal, SampleRate: 256, Chunks: 12, Samples: 30720, Windows: 119, Unfinished: 128}),
		arrowout.SessionEndRecord(nil, k1, arrowout.SessionEnd{Reason: arrowout.EndIdle, SampleRate: math.NaN()}),
	}
	return out
}

// stream returns recs as an Arrow IPC stream.
func stream(t *testing.T, recs []arrow.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(recs[0].Schema()))
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGoldenRecords: the records the builders make, schemas with their
// metadata included, are those in testdata/records (one Arrow IPC stream
// per kind), written by the builders of an earlier build: a change of a
// schema or of a value shows up here, and needs -update and a
// SchemaVersion change. Rewrite with
// go test ./pipeline/arrowout -run TestGoldenRecords -update.
func TestGoldenRecords(t *testing.T) {
	built := goldenRecords()
	defer func() {
		for _, recs := range built {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	for _, k := range arrowout.Kinds() {
		recs := built[k]
		if len(recs) == 0 {
			t.Errorf("%s: no golden records built", k)
			continue
		}
		path := filepath.Join("testdata", "records", string(k)+".arrows")
		got := stream(t, recs)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// The records first, so that a difference is named.
		rd, err := ipc.NewReader(bytes.NewReader(want))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !rd.Schema().Equal(recs[0].Schema()) || !rd.Schema().Metadata().Equal(recs[0].Schema().Metadata()) {
			t.Errorf("%s: schema\n%v\nwant\n%v", k, recs[0].Schema(), rd.Schema())
		}
		if !arrowout.Schema(k).Equal(recs[0].Schema()) || !arrowout.Schema(k).Metadata().Equal(recs[0].Schema().Metadata()) {
			t.Errorf("%s: records of schema\n%v\nnot Schema(%[1]s)\n%v", k, recs[0].Schema(), arrowout.Schema(k))
		}
		i := 0
		for rd.Next() {
			if i < len(recs) && !array.RecordApproxEqual(rd.Record(), recs[i], array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
				t.Errorf("%s: record %d\n%v\nwant\n%v", k, i, recs[i], rd.Record())
			}
			i++
		}
		if err := rd.Err(); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		rd.Release()
		if i != len(recs) {
			t.Errorf("%s: %d records, want %d", k, len(recs), i)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the IPC stream of the records differs from %s", k, path)
		}
	}
}
