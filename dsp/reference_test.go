package dsp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAverageReferenceMNE compares with mne.set_eeg_reference('average')
// (bad and non-EEG channels neither averaged nor changed) and with the
// exclude-but-re-reference variant computed with numpy.
func TestAverageReferenceMNE(t *testing.T) {
	const tol = 1e-12 // relative to the signal's max |x|
	for i, c := range loadFilterGolden(t).Reference {
		ref := AverageReference{Exclude: c.Exclude, KeepExcluded: c.KeepExcluded}
		y, err := ref.Apply(nil, c.X)
		if err != nil {
			t.Fatal(err)
		}
		scale := filtMaxAbs(c.X...)
		for ch := range y {
			filtCheckClose(t, fmt.Sprintf("case %d (%s) ch %d", i, c.Source, ch), y[ch], c.Y[ch], tol, scale)
		}
		// In place.
		x := make([][]float64, len(c.X))
		for ch := range x {
			x[ch] = append([]float64(nil), c.X[ch]...)
		}
		if _, err := ref.Apply(x, x); err != nil {
			t.Fatal(err)
		}
		for ch := range x {
			filtCheckClose(t, fmt.Sprintf("case %d in place ch %d", i, ch), x[ch], c.Y[ch], tol, scale)
		}
	}
}

// TestCommonAverageBlocks checks a signal longer than the internal block
// against the definition, and that the result averages to zero.
func TestCommonAverageBlocks(t *testing.T) {
	const tol = 1e-12
	x := make([][]float64, 5)
	for c := range x {
		x[c] = make([]float64, 1000)
		for i := range x[c] {
			x[c][i] = rand.NormFloat64() + float64(c)
		}
	}
	y := CommonAverage(nil, x)
	for i := range 1000 {
		var m, s float64
		for c := range x {
			m += x[c][i]
		}
		m /= 5
		for c := range x {
			if d := y[c][i] - (x[c][i] - m); d > tol || d < -tol {
				t.Fatalf("y[%d][%d] = %v, want %v", c, i, y[c][i], x[c][i]-m)
			}
			s += y[c][i]
		}
		if s > tol || s < -tol {
			t.Fatalf("sample %d: re-referenced channels sum to %v", i, s)
		}
	}
}

func TestAverageReferenceErrors(t *testing.T) {
	x := [][]float64{{1, 2}, {3, 4}}
	if _, err := (AverageReference{Exclude: []bool{true, true}}).Apply(nil, x); err == nil {
		t.Error("all channels excluded: accepted")
	}
	wantPanic(t, "ragged", "dsp: CommonAverage: len(x[1]) = 1, want 2 (len(x[0]))",
		func() { CommonAverage(nil, [][]float64{{1, 2}, {3}}) })
	wantPanic(t, "dst", "dsp: CommonAverage: len(dst) = 1, want 2",
		func() { CommonAverage(make([][]float64, 1), x) })
	wantPanic(t, "dst len", "dsp: CommonAverage: len(dst[0]) = 1, want 2",
		func() { CommonAverage([][]float64{make([]float64, 1), nil}, x) })
	wantPanic(t, "exclude", "dsp: AverageReference.Apply: len(Exclude) = 3, want ≤ 2 (len(x))",
		func() { (AverageReference{Exclude: make([]bool, 3)}).Apply(nil, x) })
}

func TestAverageReferenceNoAllocs(t *testing.T) {
	x := make([][]float64, 64)
	for c := range x {
		x[c] = make([]float64, 256)
	}
	dst := CommonAverage(nil, x)
	ref := AverageReference{Exclude: make([]bool, 64)}
	ref.Exclude[3] = true
	if a := testing.AllocsPerRun(20, func() { ref.Apply(dst, x) }); a != 0 {
		t.Errorf("Apply: %v allocs", a)
	}
}

func BenchmarkCommonAverage(b *testing.B) {
	for _, nch := range []int{8, 64} {
		b.Run(fmt.Sprintf("ch=%d", nch), func(b *testing.B) {
			x := make([][]float64, nch)
			for c := range x {
				x[c] = make([]float64, 256)
				for i := range x[c] {
					x[c][i] = rand.NormFloat64()
				}
			}
			dst := CommonAverage(nil, x)
			b.ReportAllocs()
			b.SetBytes(int64(8 * 256 * nch))
			for b.Loop() {
				CommonAverage(dst, x)
			}
		})
	}
}

func ExampleAverageReference() {
	// Three EEG channels and an ECG channel; Cz is bad. Like MNE, the bad
	// and the ECG channel are left out of the mean and left unchanged.
	x := [][]float64{
		{1, 2}, // Fz
		{9, 9}, // Cz (bad)
		{3, 6}, // Pz
		{5, 5}, // ECG
	}
	ref := AverageReference{Exclude: []bool{false, true, false, true}, KeepExcluded: true}
	y, _ := ref.Apply(nil, x)
	fmt.Println(y)
	// Output: [[-1 -2] [9 9] [1 2] [5 5]]
}
