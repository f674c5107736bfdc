package stages

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"go.uber.org/goleak"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/simulate"
)

// connLabels label connWindow's channels.
var connLabels = []string{"O1", "O2", "C3", "C4", "Fp1", "Fp2", "T3", "T4"}

// connWindow returns a window of n samples at fs Hz of channels channels
// (labels from connLabels, then Xk): a shared 10 Hz rhythm reaching
// channel c with a delay of c samples and a weight falling with c, plus
// independent noise, so every method has non-trivial values.
func connWindow(n, channels int, fs float64) *pipeline.Window {
	r := rand.New(rand.NewPCG(3, 4))
	w := &pipeline.Window{
		WindowKey:  arrowout.WindowKey{Session: "s", Window: 2, StartSample: int64(2 * n), StartTimeNS: 1e18},
		SampleRate: fs,
	}
	for c := range channels {
		label := fmt.Sprintf("X%d", c)
		if c < len(connLabels) {
			label = connLabels[c]
		}
		w.Channels = append(w.Channels, formats.Channel{Label: label, Type: formats.EEG, Unit: "V"})
		x := make([]float64, n)
		gain := 1 / (1 + float64(c))
		for i := range x {
			t := float64(i-c) / fs
			x[i] = 1e-5*gain*math.Sin(2*math.Pi*10*t+0.3*math.Sin(2*math.Pi*0.7*t)) + 4e-6*r.NormFloat64()
		}
		w.Data = append(w.Data, x)
	}
	return w
}

func session(w *pipeline.Window) pipeline.SessionInfo {
	return pipeline.SessionInfo{Session: w.Session, SampleRate: w.SampleRate, Channels: w.Channels, WindowLength: int64(len(w.Data[0]))}
}

// column returns the record's column called name.
func column[T arrow.Array](t *testing.T, rec arrow.Record, name string) T {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %q in %v", name, rec.Schema())
	}
	return rec.Column(idx[0]).(T)
}

// connReference computes band-averaged scores with direct dsp calls: the
// CSD plan of wc, then the CSD matrix (csd) or the epoch accumulator, then
// ConnBandMean. Scores are keyed by method, [pair][band]; cohy's are
// complex. The CSD route leaves out the phase methods.
func connReference(t *testing.T, x [][]float64, wc dsp.WelchConfig, pairs []dsp.ChannelPair, methods []dsp.ConnMethod, bands []dsp.Band, csd bool) (map[dsp.ConnMethod][]float64, []complex128, int) {
	t.Helper()
	plan, err := dsp.NewCSD(dsp.CSDConfig{WelchConfig: wc, Channels: len(x)})
	if err != nil {
		t.Fatal(err)
	}
	freqs := plan.Freqs(nil)
	nseg := plan.Segments(len(x[0]))
	var m *dsp.CSDMatrix
	var acc *dsp.Connectivity
	if csd {
		m = plan.Compute(nil, x)
	} else {
		acc, err = dsp.NewConnectivity(dsp.ConnConfig{Channels: len(x), Bins: plan.Len(), Pairs: pairs, Methods: methods})
		if err != nil {
			t.Fatal(err)
		}
		for s := range nseg {
			acc.Accumulate(plan.Spectra(nil, x, s*plan.Step()))
		}
	}
	out := map[dsp.ConnMethod][]float64{}
	var cohy []complex128
	for _, meth := range methods {
		switch {
		case csd && (meth == dsp.PLV || meth == dsp.PLI || meth == dsp.WPLI):
			// Phase methods have no CSD-matrix route.
		case meth == dsp.Cohy && csd:
			cohy = dsp.ConnBandMeanComplex(nil, m.Coherency(nil, pairs), freqs, bands)
		case meth == dsp.Cohy:
			cohy = dsp.ConnBandMeanComplex(nil, acc.Coherency(nil), freqs, bands)
		case csd:
			out[meth] = dsp.ConnBandMean(nil, m.Connectivity(nil, meth, pairs), freqs, bands)
		default:
			out[meth] = dsp.ConnBandMean(nil, acc.Result(nil, meth), freqs, bands)
		}
	}
	return out, cohy, nseg
}

// TestCoherenceStage: the stage's rows are, value for value, the direct
// dsp calls on the window: CSD matrix + Connectivity for coherence-type
// methods on all pairs, the epoch accumulator (segments as epochs) when a
// phase method or listed pairs are configured; then ConnBandMean. The
// other route agrees to rounding.
func TestCoherenceStage(t *testing.T) {
	const n = 1024
	hannSym := dsp.Hann(nil, 128, false)
	for _, tc := range []coherenceCase{
		{"defaults", map[string]any{}, dsp.WelchConfig{SegmentLen: 256, Window: dsp.Hann(nil, 256, false)},
			[]dsp.ConnMethod{dsp.Coh}, nil, dsp.StandardBands, true},
		{"coherence methods", map[string]any{"n_per_seg": 128, "methods": []any{"msc", "coh", "cohy", "imcoh"}},
			dsp.WelchConfig{SegmentLen: 128, Window: hannSym}, []dsp.ConnMethod{dsp.MSC, dsp.Coh, dsp.Cohy, dsp.ImCoh}, nil, dsp.StandardBands, true},
		{"all methods", map[string]any{"n_per_seg": 128, "n_overlap": 0, "methods": "coh,cohy,imcoh,plv,pli,wpli,msc",
			"bands": []any{map[string]any{"name": "a", "low": 8, "high": 12}, map[string]any{"name": "hi", "low": 53, "high": 56}}},
			dsp.WelchConfig{SegmentLen: 128, Overlap: -1, Window: hannSym},
			[]dsp.ConnMethod{dsp.Coh, dsp.Cohy, dsp.ImCoh, dsp.PLV, dsp.PLI, dsp.WPLI, dsp.MSC}, nil,
			[]dsp.Band{{Name: "a", Low: 8, High: 12}, {Name: "hi", Low: 53, High: 56}}, false},
		{"listed pairs", map[string]any{"n_per_seg": 100, "n_fft": 128, "taper": "hann", "detrend": "linear", "methods": []any{"imcoh", "cohy"},
			"pairs": []any{[]any{"O2", "O1"}, []any{"O1", "C4"}, []any{"Fp1", "O2"}}},
			dsp.WelchConfig{SegmentLen: 100, NFFT: 128, Window: dsp.Hann(nil, 100, true), Detrend: dsp.DetrendLinear},
			[]dsp.ConnMethod{dsp.ImCoh, dsp.Cohy}, []dsp.ChannelPair{{Seed: 1, Target: 0}, {Seed: 0, Target: 3}, {Seed: 4, Target: 1}}, dsp.StandardBands, false},
		{"n_per_seg capped", map[string]any{"n_per_seg": 4096, "methods": []any{"wpli"}},
			dsp.WelchConfig{SegmentLen: n, Window: dsp.Hann(nil, n, false)}, []dsp.ConnMethod{dsp.WPLI}, nil, dsp.StandardBands, false},
	} {
		t.Run(tc.name, tc.run)
	}
}

// coherenceCase is a TestCoherenceStage case: the stage's options and
// what they mean for the direct dsp calls (csd: the CSD matrix route).
type coherenceCase struct {
	name    string
	opts    map[string]any
	welch   dsp.WelchConfig
	methods []dsp.ConnMethod
	pairs   []dsp.ChannelPair
	bands   []dsp.Band
	csd     bool
}

func (tc coherenceCase) run(t *testing.T) {
	const fs, n = 256.0, 1024
	w := connWindow(n, 5, fs)
	res := processOnce(t, "coherence", tc.opts, w)
	defer res[0].Record.Release()
	tc.welch.SampleRate = fs
	var ref cohReference
	ref.want, ref.wantCohy, ref.nseg = connReference(t, w.Data, tc.welch, tc.pairs, tc.methods, tc.bands, tc.csd)
	ref.other, ref.otherCohy, _ = connReference(t, w.Data, tc.welch, tc.pairs, tc.methods, tc.bands, !tc.csd)
	pairs := tc.pairs
	if pairs == nil {
		pairs = dsp.AllChannelPairs(len(w.Data))
	}
	rec := res[0].Record
	if res[0].Kind != arrowout.KindCoherence || res[0].Key != w.WindowKey {
		t.Fatalf("result %v %+v", res[0].Kind, res[0].Key)
	}
	nb := len(tc.bands)
	if rows := int(rec.NumRows()); rows != len(pairs)*len(tc.methods)*nb {
		t.Fatalf("%d rows, want %d pairs × %d methods × %d bands", rows, len(pairs), len(tc.methods), nb)
	}
	if s := column[*array.String](t, rec, "session").Value(0); s != "s" {
		t.Errorf("session %q", s)
	}
	cols := cohColumns(t, rec)
	i := 0
	for p, pr := range pairs {
		for _, m := range tc.methods {
			for bi, bd := range tc.bands {
				cols.check(t, i, w.Channels[pr.Seed].Label, w.Channels[pr.Target].Label, m, bd, ref.nseg)
				cols.checkValue(t, i, m, &ref, p*nb+bi)
				i++
			}
		}
	}
}

// cohReference is a window's connectivity by the direct dsp calls, by
// both routes: want by the case's, other by the other.
type cohReference struct {
	want, other         map[dsp.ConnMethod][]float64
	wantCohy, otherCohy []complex128
	nseg                int
}

// cohRows are the columns of a coherence record.
type cohRows struct {
	seed, target, method, band *array.String
	fmin, fmax, value, re, im  *array.Float64
	segs                       *array.Int32
}

func cohColumns(t *testing.T, rec arrow.Record) cohRows {
	t.Helper()
	return cohRows{
		seed:   column[*array.String](t, rec, "seed"),
		target: column[*array.String](t, rec, "target"),
		method: column[*array.String](t, rec, "method"),
		band:   column[*array.String](t, rec, "band"),
		fmin:   column[*array.Float64](t, rec, "fmin"),
		fmax:   column[*array.Float64](t, rec, "fmax"),
		value:  column[*array.Float64](t, rec, "value"),
		re:     column[*array.Float64](t, rec, "real"),
		im:     column[*array.Float64](t, rec, "imag"),
		segs:   column[*array.Int32](t, rec, "n_segments"),
	}
}

func (r cohRows) where(i int) string {
	return fmt.Sprintf("row %d (%s–%s %s %s)", i, r.seed.Value(i), r.target.Value(i), r.method.Value(i), r.band.Value(i))
}

// check checks row i's labels (the pair, method and band) and number of
// segments.
func (r cohRows) check(t *testing.T, i int, seed, target string, m dsp.ConnMethod, bd dsp.Band, nseg int) {
	t.Helper()
	if r.seed.Value(i) != seed || r.target.Value(i) != target ||
		r.method.Value(i) != string(m) || r.band.Value(i) != bd.Name || r.fmin.Value(i) != bd.Low || r.fmax.Value(i) != bd.High ||
		int(r.segs.Value(i)) != nseg {
		t.Fatalf("%s: want %s–%s %s %s [%g, %g] %d segments", r.where(i), seed, target, m, bd.Name, bd.Low, bd.High, nseg)
	}
}

// checkValue checks row i's value (and, for cohy, its real and imaginary
// parts) against ref's k-th value of method m: equal to the case's route,
// to rounding to the other's.
func (r cohRows) checkValue(t *testing.T, i int, m dsp.ConnMethod, ref *cohReference, k int) {
	t.Helper()
	const tol = 1e-12 // between the two routes
	where := r.where(i)
	if m == dsp.Cohy {
		z, o := ref.wantCohy[k], ref.otherCohy[k]
		if r.re.IsNull(i) || r.re.Value(i) != real(z) || r.im.Value(i) != imag(z) || r.value.Value(i) != cmplx.Abs(z) {
			t.Errorf("%s: %g%+gi |%g|, dsp %v", where, r.re.Value(i), r.im.Value(i), r.value.Value(i), z)
		}
		if cmplx.Abs(z-o) > tol*cmplx.Abs(z) {
			t.Errorf("%s: routes differ: %v and %v", where, z, o)
		}
		return
	}
	v := ref.want[m][k]
	if r.value.Value(i) != v || !r.re.IsNull(i) || !r.im.IsNull(i) {
		t.Errorf("%s: %g (real null %v), dsp %g", where, r.value.Value(i), r.re.IsNull(i), v)
	}
	if o, ok := ref.other[m]; ok && math.Abs(v-o[k]) > tol*math.Abs(v) {
		t.Errorf("%s: routes differ: %g and %g", where, v, o[k])
	}
}

// TestCoherencePairsByLabel: listed pairs follow the labels, not the
// channel order, and score as the same pairs of the all-pairs run (where
// the seed is the later channel); an unknown label fails the session with
// an error naming it.
func TestCoherencePairsByLabel(t *testing.T) {
	const tol = 1e-12
	w := connWindow(768, 4, 256)
	score := func(opts map[string]any) map[string]float64 {
		res := processOnce(t, "coherence", opts, w)
		defer res[0].Record.Release()
		rec := res[0].Record
		seed := column[*array.String](t, rec, "seed")
		target := column[*array.String](t, rec, "target")
		band := column[*array.String](t, rec, "band")
		value := column[*array.Float64](t, rec, "value")
		out := map[string]float64{}
		for i := range int(rec.NumRows()) {
			out[seed.Value(i)+"/"+target.Value(i)+"/"+band.Value(i)] = value.Value(i)
		}
		return out
	}
	all := score(map[string]any{"methods": []any{"imcoh"}})
	listed := score(map[string]any{"methods": []any{"imcoh"}, "pairs": []any{[]any{"C4", "O2"}, []any{"O1", "C3"}}})
	if len(all) != 6*5 || len(listed) != 2*5 {
		t.Fatalf("%d all-pairs rows, %d listed rows", len(all), len(listed))
	}
	for k, v := range listed {
		var ref float64
		if strings.HasPrefix(k, "C4/O2/") {
			ref = all[k] // (3, 1) is in AllChannelPairs
		} else {
			// (0, 2) is not: imcoh is antisymmetric, (2, 0) has the
			// opposite sign.
			ref = -all["C3/O1/"+strings.Split(k, "/")[2]]
		}
		if math.Abs(v-ref) > tol*math.Abs(ref) || v == 0 {
			t.Errorf("%s = %g, all-pairs run %g", k, v, ref)
		}
	}

	// connWindow delays channel c by c samples: in (O1, C3) the target
	// lags the seed, in (C4, O2) it leads, by well under half a cycle.
	if !(listed["O1/C3/alpha"] > 0.05) || !(listed["C4/O2/alpha"] < -0.05) {
		t.Errorf("imcoh signs: O1→C3 %g (want > 0), C4→O2 %g (want < 0)", listed["O1/C3/alpha"], listed["C4/O2/alpha"])
	}

	b, errs := Build("coherence", "mycoh", map[string]any{"pairs": []any{[]any{"O1", "O2"}, []any{"C3", "Pz"}}})
	if errs != nil {
		t.Fatal(errs)
	}
	_, err := b.NewSession(session(w))
	if err == nil || !strings.Contains(err.Error(), `pairs[1]: channel "Pz" is not in this session (channels: O1, O2, C3, C4)`) {
		t.Errorf("unknown label: %v", err)
	}
	one := connWindow(512, 1, 256)
	if _, err := NewCoherence("c", CoherenceConfig{}).NewSession(session(one)); err == nil || !strings.Contains(err.Error(), "need at least 2") {
		t.Errorf("one channel: %v", err)
	}
	high := connWindow(512, 2, 64)
	b, _ = Build("coherence", "", map[string]any{"bands": []any{map[string]any{"name": "hi", "low": 40, "high": 45}}})
	if _, err := b.NewSession(session(high)); err == nil || !strings.Contains(err.Error(), "band hi [40, 45] Hz holds no frequency bin at 64 Hz") {
		t.Errorf("band above Nyquist: %v", err)
	}
}

func TestCoherenceConfigErrors(t *testing.T) {
	for want, opts := range map[string]map[string]any{
		"n_per_seg: must be positive":             {"n_per_seg": -1},
		"n_overlap: must be in [0, n_per_seg)":    {"n_per_seg": 64, "n_overlap": 64},
		"n_fft: must be ≥ n_per_seg":              {"n_per_seg": 64, "n_fft": 32},
		"detrend: want constant, linear or none":  {"detrend": "quadratic"},
		"taper: want hann_symmetric or hann":      {"taper": "hamming"},
		`methods[1]: unknown method "granger"`:    {"methods": []any{"coh", "granger"}},
		`methods[1]: "coh" listed twice`:          {"methods": []any{"coh", "coh"}},
		"pairs[0]: want [seed, target]":           {"pairs": []any{[]any{"O1"}}},
		`pairs[0]: seed and target are both "O1"`: {"pairs": []any{[]any{"O1", "O1"}}},
		"pairs[1]: [O1, O2] listed twice":         {"pairs": []any{[]any{"O1", "O2"}, []any{"O1", "O2"}}},
		"bands[0]: want 0 ≤ low < high":           {"bands": []any{map[string]any{"name": "x", "low": 5, "high": 2}}},
		`bands[1].name: "a" used twice`:           {"bands": []any{map[string]any{"name": "a", "low": 1, "high": 2}, map[string]any{"name": "a", "low": 3, "high": 4}}},
		"invalid keys: metods":                    {"metods": []any{"coh"}},
		"average":                                 {"average": "median"},
	} {
		wantBuildError(t, "coherence", opts, want)
	}
}

// TestCoherenceAllocs: the DSP path (CSD or accumulator, per-bin scores,
// band means) allocates nothing per window; what remains is Arrow's
// record assembly, which does not depend on the window length and hardly
// on the number of pairs (rows are reserved up front).
func TestCoherenceAllocs(t *testing.T) {
	for _, opts := range []map[string]any{
		{"n_per_seg": 128, "methods": []any{"coh", "cohy"}},
		{"n_per_seg": 128, "methods": []any{"coh", "cohy", "wpli"}},
		{"n_per_seg": 128, "pairs": []any{[]any{"O1", "O2"}, []any{"C3", "C4"}}},
	} {
		allocs := func(n, channels int) (dspAllocs, total float64) {
			w := connWindow(n, channels, 256)
			st := newStage(t, "coherence", opts, w)
			process := processFunc(t, st, w)
			process()
			cs := st.(*coherenceSession)
			return testing.AllocsPerRun(10, func() { cs.compute(w.Data, w.StartSample) }), testing.AllocsPerRun(10, process)
		}
		d, short := allocs(512, 4)
		_, long := allocs(8192, 4)
		dm, many := allocs(512, 32)
		t.Logf("%v: dsp %v/%v, process %v (512×4) %v (8192×4) %v (512×32)", opts, d, dm, short, long, many)
		if d != 0 || dm != 0 {
			t.Errorf("%v: DSP path allocates %v (4 channels), %v (32 channels) per window", opts, d, dm)
		}
		if short != long {
			t.Errorf("%v: allocations depend on window length: %v for 512 samples, %v for 8192", opts, short, long)
		}
		if many > short+4 {
			t.Errorf("%v: allocations grow with pairs: %v for 4 channels, %v for 32", opts, short, many)
		}
	}
}

// connSink keeps coherence and xcorr rows of a pipeline run.
type connSink struct {
	mu    sync.Mutex
	coh   map[string][]float64 // seed/target/band → values per window
	xcorr map[string][]arrowout.XCorrRow
	kinds map[arrowout.Kind]int
}

func (s *connSink) Write(_ context.Context, rs []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		s.kinds[r.Kind]++
		rec := r.Record
		switch r.Kind {
		case arrowout.KindCoherence:
			seed := rec.Column(4).(*array.String)
			target := rec.Column(5).(*array.String)
			band := rec.Column(7).(*array.String)
			value := rec.Column(10).(*array.Float64)
			for i := range int(rec.NumRows()) {
				k := seed.Value(i) + "/" + target.Value(i) + "/" + band.Value(i)
				s.coh[k] = append(s.coh[k], value.Value(i))
			}
		case arrowout.KindXCorr:
			ch := rec.Column(4).(*array.String)
			ref := rec.Column(5).(*array.String)
			lag := rec.Column(7).(*array.Float64)
			peak := rec.Column(8).(*array.Float64)
			zero := rec.Column(9).(*array.Float64)
			for i := range int(rec.NumRows()) {
				s.xcorr[ch.Value(i)] = append(s.xcorr[ch.Value(i)], arrowout.XCorrRow{
					Channel: ch.Value(i), Reference: ref.Value(i), PeakLag: lag.Value(i), PeakCorr: peak.Value(i), ZeroLag: zero.Value(i)})
			}
		}
	}
	return nil
}

func (s *connSink) Close() error { return nil }

// TestConnectivityPipeline runs a simulated session (10 Hz alpha from
// posterior generators) through the runtime with both stages: alpha
// coherence between O1 and O2 exceeds that between Fp1 and O2, and the
// reference's correlation with itself peaks at lag 0 with r = 1.
func TestConnectivityPipeline(t *testing.T) {
	defer goleak.VerifyNone(t)
	coh, errs := Build("coherence", "", map[string]any{
		"n_per_seg": 256, "methods": []any{"coh"},
		"pairs": []any{[]any{"O1", "O2"}, []any{"Fp1", "O2"}},
		"bands": []any{map[string]any{"name": "alpha", "low": 8, "high": 12}},
	})
	if errs != nil {
		t.Fatal(errs)
	}
	xc, errs := Build("xcorr", "", map[string]any{"reference": "O1", "max_lag_seconds": 0.2})
	if errs != nil {
		t.Fatal(errs)
	}
	sink := &connSink{coh: map[string][]float64{}, xcorr: map[string][]arrowout.XCorrRow{}, kinds: map[arrowout.Kind]int{}}
	src := pipeline.NewRecordingSource(simSpecs(t, 40), pipeline.RecordingSourceConfig{ChunkSeconds: 0.5})
	r, err := pipeline.New(pipeline.Options{
		Source: src,
		Stages: []pipeline.StageBuilder{coh, xc},
		Sinks:  []pipeline.Sink{sink},
		Window: pipeline.WindowSpec{LengthSeconds: 4, HopSeconds: 2},
		Logger: quietLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// 40 s, 4 s windows every 2 s: windows 0…18.
	if sink.kinds[arrowout.KindCoherence] != 19 || sink.kinds[arrowout.KindXCorr] != 19 {
		t.Fatalf("results per kind: %v", sink.kinds)
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	occ, front := mean(sink.coh["O1/O2/alpha"]), mean(sink.coh["Fp1/O2/alpha"])
	t.Logf("alpha coh: O1–O2 %.3f, Fp1–O2 %.3f", occ, front)
	if !(occ > front) || !(occ > 0.5) {
		t.Errorf("alpha coherence O1–O2 %.3f, Fp1–O2 %.3f: want O1–O2 high and above Fp1–O2", occ, front)
	}
	self := sink.xcorr["O1"]
	if len(self) != 19 {
		t.Fatalf("%d O1 xcorr rows", len(self))
	}
	for i, row := range self {
		if row.Reference != "O1" || row.PeakLag != 0 || math.Abs(row.PeakCorr-1) > 1e-12 || math.Abs(row.ZeroLag-1) > 1e-12 {
			t.Errorf("window %d: O1 with itself: %+v", i, row)
		}
	}
	zero := func(ch string) float64 {
		var v []float64
		for _, row := range sink.xcorr[ch] {
			v = append(v, row.ZeroLag)
		}
		return mean(v)
	}
	t.Logf("zero-lag r with O1: O2 %.3f, Fp1 %.3f", zero("O2"), zero("Fp1"))
	if !(zero("O2") > zero("Fp1")) {
		t.Errorf("zero-lag correlation with O1: O2 %.3f, Fp1 %.3f: want O2 higher", zero("O2"), zero("Fp1"))
	}
}

var quietLogger = slog.New(slog.DiscardHandler)

// simSpecs is one simulated session (simulate.DefaultConfig: 19 10-20
// channels at 256 Hz, posterior alpha, blinks, line noise).
func simSpecs(t *testing.T, seconds float64) []pipeline.RecordingSpec {
	t.Helper()
	cfg := simulate.DefaultConfig()
	cfg.Seed = 7
	cfg.Duration = seconds
	return []pipeline.RecordingSpec{{
		Session: "sim-0",
		Name:    "simulation",
		Open:    func() (formats.Recording, error) { return simulate.New(cfg) },
	}}
}
