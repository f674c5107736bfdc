package simulate

import (
	"fmt"
	"math"
	"testing"
)

// slope fits log10 P against log10 f over [lo, hi] Hz by least squares.
func slope(p []float64, rate float64, seg int, lo, hi float64) float64 {
	var sx, sy, sxx, sxy, n float64
	for k := bin(lo, rate, seg); k <= bin(hi, rate, seg); k++ {
		x := math.Log10(float64(k) * rate / float64(seg))
		y := math.Log10(p[k])
		sx, sy, sxx, sxy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, n+1
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

func TestBackgroundSpectrum(t *testing.T) {
	const tol = 0.1 // on the fitted exponent
	for _, beta := range []float64{1, 1.5, 2} {
		c := quiet(11, 300)
		c.Background.Enabled = true
		c.Background.Exponent = beta
		s := mustNew(t, c)
		x := read(t, s, 0, s.Info().NSamples)
		for _, l := range []string{"Cz", "O1", "T4"} {
			ch := x[chanIndex(t, s, l)]
			if got := slope(welch(ch, 256, 1024), 256, 1024, 2, 40); math.Abs(got+beta) > tol {
				t.Errorf("β=%v %s: fitted slope %.3f over 2-40 Hz, want %.3f ± %v", beta, l, got, -beta, tol)
			}
			if r := rms(ch); math.Abs(r-15e-6) > 0.15*15e-6 {
				t.Errorf("β=%v %s: RMS %.2f µV, want 15 ± 15%%", beta, l, r*1e6)
			}
		}
	}
}

// meanCoherence is the mean Welch coherence over 2-40 Hz.
func meanCoherence(x, y []float64) float64 {
	const seg = 512
	coh := coherence(x, y, seg)
	var m float64
	lo, hi := bin(2, 256, seg), bin(40, 256, seg)
	for k := lo; k <= hi; k++ {
		m += coh[k]
	}
	return m / float64(hi-lo+1)
}

func TestCoherence(t *testing.T) {
	c := quiet(5, 300)
	c.Background.Enabled = true
	s := mustNew(t, c)
	x := read(t, s, 0, s.Info().NSamples)
	near := [][2]string{{"C3", "Cz"}, {"O1", "O2"}, {"Fp1", "Fp2"}, {"F3", "C3"}, {"P4", "O2"}}
	far := [][2]string{{"Fp1", "O1"}, {"T3", "T4"}, {"F7", "T6"}, {"Fp2", "O1"}}

	// The model predicts coherence (wᵢ·wⱼ)²/(|wᵢ|²|wⱼ|²) from the mixing
	// rows; the estimate must agree with it.
	mix := s.field.mix
	predict := func(i, j int) float64 {
		var dot, ii, jj float64
		_, ns := mix.Dims()
		for k := 0; k < ns; k++ {
			a, b := mix.At(i, k), mix.At(j, k)
			dot, ii, jj = dot+a*b, ii+a*a, jj+b*b
		}
		return dot * dot / (ii * jj)
	}
	minNear, maxFar := math.Inf(1), 0.0
	for gi, group := range [][][2]string{near, far} {
		for _, p := range group {
			i, j := chanIndex(t, s, p[0]), chanIndex(t, s, p[1])
			got, want := meanCoherence(x[i], x[j]), predict(i, j)
			// Welch bias is about 1/segments (~0.003 here).
			if math.Abs(got-want) > 0.05 {
				t.Errorf("%s-%s: coherence %.3f, model %.3f", p[0], p[1], got, want)
			}
			if gi == 0 {
				minNear = math.Min(minNear, got)
			} else {
				maxFar = math.Max(maxFar, got)
			}
		}
	}
	if minNear < 0.25 || maxFar > 0.03 {
		t.Errorf("neighbour coherence ≥ %.3f, distant ≤ %.3f; want neighbours > 0.25 and distant < 0.03", minNear, maxFar)
	}
}

func TestAlpha(t *testing.T) {
	const seg = 1024 // 4 s, 0.25 Hz bins
	for _, f0 := range []float64{9, 10, 11.5} {
		c := quiet(2, 120)
		c.Background.Enabled = true
		c.Alpha.Enabled = true
		c.Alpha.Frequency = f0
		s := mustNew(t, c)
		x := read(t, s, 0, s.Info().NSamples)
		pFp1 := welch(x[chanIndex(t, s, "Fp1")], 256, seg)
		for _, l := range []string{"O1", "O2"} {
			p := welch(x[chanIndex(t, s, l)], 256, seg)
			peak := bin(6, 256, seg)
			for k := peak; k <= bin(14, 256, seg); k++ {
				if p[k] > p[peak] {
					peak = k
				}
			}
			if f := float64(peak) * 256 / seg; math.Abs(f-f0) > 0.5 {
				t.Errorf("alpha %v Hz: %s peak at %v Hz", f0, l, f)
			}
			k0 := bin(f0, 256, seg)
			if r := p[k0] / p[bin(f0+4, 256, seg)]; r < 10 {
				t.Errorf("alpha %v Hz: %s peak only %.1f× the PSD 4 Hz above", f0, l, r)
			}
			if r := p[k0] / pFp1[k0]; r < 5 {
				t.Errorf("alpha %v Hz: %s/Fp1 power at the peak %.1f, want occipital dominance > 5", f0, l, r)
			}
		}
	}

	// Waxing and waning: the envelope of alpha alone varies (a Rayleigh
	// envelope has coefficient of variation 0.52; a steady sinusoid 0).
	c := quiet(4, 300)
	c.Alpha.Enabled = true
	s := mustNew(t, c)
	o1 := read(t, s, 0, s.Info().NSamples)[chanIndex(t, s, "O1")]
	var env []float64
	for i := 0; i+64 <= len(o1); i += 64 { // 0.25 s windows
		env = append(env, rms(o1[i:i+64]))
	}
	var m, v float64
	for _, e := range env {
		m += e
	}
	m /= float64(len(env))
	for _, e := range env {
		v += (e - m) * (e - m)
	}
	cv := math.Sqrt(v/float64(len(env))) / m
	if cv < 0.3 || cv > 0.8 {
		t.Errorf("alpha envelope coefficient of variation %.2f, want 0.3-0.8", cv)
	}
	if r := rms(o1); math.Abs(r-10e-6) > 2e-6 {
		t.Errorf("alpha RMS at O1 %.2f µV, want 10 ± 2", r*1e6)
	}
}

func TestLineNoise(t *testing.T) {
	for _, tt := range []struct {
		freq      float64
		harmonics int
	}{{50, 1}, {60, 2}} {
		c := quiet(9, 30)
		c.Background.Enabled = true
		c.LineNoise.Enabled = true
		c.LineNoise.Frequency = tt.freq
		c.LineNoise.Harmonics = tt.harmonics
		s := mustNew(t, c)
		x := read(t, s, 0, s.Info().NSamples)[chanIndex(t, s, "Cz")]
		p := periodogram(x, 256)
		n := len(x)
		snr := func(f float64) float64 {
			k := bin(f, 256, n)
			var ref float64
			for d := 20; d < 40; d++ {
				ref += p[k-d] + p[k+d]
			}
			return p[k] / (ref / 40)
		}
		if r := snr(tt.freq); r < 100 {
			t.Errorf("%v Hz: line peak %.0f× the neighbourhood", tt.freq, r)
		}
		if tt.harmonics > 1 {
			if r := snr(2 * tt.freq); r < 30 {
				t.Errorf("%v Hz: harmonic %v Hz peak %.0f× the neighbourhood", tt.freq, 2*tt.freq, r)
			}
		} else if r := snr(2 * tt.freq); r > 10 {
			t.Errorf("%v Hz: peak at %v Hz (%.0f×) without harmonics", tt.freq, 2*tt.freq, r)
		}
		if r := snr(tt.freq + 7); r > 10 {
			t.Errorf("%v Hz: peak %.0f× at %v Hz", tt.freq, r, tt.freq+7)
		}
	}
}

func TestSSVEP(t *testing.T) {
	// Four 5 s trials each at 12 and 15 Hz, 5 s rest between, on
	// background and alpha (12 Hz sits on alpha's upper flank).
	c := quiet(6, 90)
	c.Background.Enabled = true
	c.Alpha.Enabled = true
	c.SSVEP.Enabled = true
	for i := 0; i < 8; i++ {
		c.SSVEP.Trials = append(c.SSVEP.Trials, Trial{Onset: 10 + 10*float64(i), Duration: 5, Frequency: []float64{12, 15}[i%2]})
	}
	s := mustNew(t, c)
	in := s.Info()
	if len(in.Annotations) != 8 {
		t.Fatalf("annotations %v", in.Annotations)
	}
	for i, a := range in.Annotations {
		want := []string{"ssvep/12Hz", "ssvep/15Hz"}[i%2]
		if a.Description != want || a.Onset != c.SSVEP.Trials[i].Onset || a.Duration != 5 {
			t.Errorf("annotation %d = %+v, want %s at %v for 5 s", i, a, want, c.SSVEP.Trials[i].Onset)
		}
	}
	x := read(t, s, 0, in.NSamples)

	// Mean periodogram (4 s windows, 0.25 Hz bins) over the stimulation
	// windows [onset+0.5, onset+4.5) and the rest windows before them.
	meanP := func(ch []float64, f, offset float64) []float64 {
		var sum []float64
		var n float64
		for _, tr := range c.SSVEP.Trials {
			if tr.Frequency != f {
				continue
			}
			i := int((tr.Onset + offset) * 256)
			p := periodogram(ch[i:i+1024], 256)
			if sum == nil {
				sum = make([]float64, len(p))
			}
			for k := range p {
				sum[k] += p[k]
			}
			n++
		}
		for k := range sum {
			sum[k] /= n
		}
		return sum
	}
	// Peak SNR: the bin over the mean of the bins 0.5-2 Hz above it (above,
	// so alpha below 12 Hz does not count as noise).
	snr := func(p []float64, f float64) float64 {
		k := bin(f, 256, 1024)
		var ref float64
		for d := 2; d <= 8; d++ {
			ref += p[k+d]
		}
		return p[k] / (ref / 7)
	}
	for _, f := range []float64{12, 15} {
		for _, l := range []string{"O1", "O2"} {
			ch := x[chanIndex(t, s, l)]
			stim, rest := meanP(ch, f, 0.5), meanP(ch, f, -4.5)
			for _, h := range []float64{f, 2 * f} {
				k := bin(h, 256, 1024)
				if r := snr(stim, h); r < 8 {
					t.Errorf("%s %v Hz trials: peak SNR at %v Hz is %.1f during stimulation", l, f, h, r)
				}
				if r := snr(rest, h); r > 3 {
					t.Errorf("%s %v Hz trials: peak SNR at %v Hz is %.1f at rest", l, f, h, r)
				}
				if r := stim[k] / rest[k]; r < 5 {
					t.Errorf("%s %v Hz trials: power at %v Hz only %.1f× rest", l, f, h, r)
				}
			}
		}
		fp1 := x[chanIndex(t, s, "Fp1")]
		k := bin(f, 256, 1024)
		if r := meanP(fp1, f, 0.5)[k] / meanP(fp1, f, -4.5)[k]; r > 2 {
			t.Errorf("Fp1 %v Hz trials: power %.1f× rest, want no frontal SSVEP", f, r)
		}
	}

	// Generated schedule: frequencies from the list, each once per round.
	c = quiet(6, 200)
	c.SSVEP.Enabled = true
	s = mustNew(t, c)
	tr := s.Truth()
	// Onsets 2, 8, …, 194: the last trial that ends by 200 s.
	if len(tr) != 33 {
		t.Fatalf("%d generated trials, want 33", len(tr))
	}
	for r := 0; r+4 <= len(tr); r += 4 {
		seen := map[float64]bool{}
		for _, e := range tr[r : r+4] {
			seen[e.Frequency] = true
			if e.Description() != fmt.Sprintf("ssvep/%gHz", e.Frequency) {
				t.Errorf("description %q", e.Description())
			}
		}
		if len(seen) != 4 {
			t.Errorf("round %d frequencies %v, want all of 8 11 13 15", r/4, seen)
		}
	}
	for i, e := range tr {
		if want := 2 + 6*float64(i); math.Abs(e.Onset-want) > 1e-9 || e.Duration != 4 {
			t.Errorf("trial %d at %v for %v s, want %v for 4 s", i, e.Onset, e.Duration, want)
		}
	}
}

func TestBlinks(t *testing.T) {
	c := quiet(12, 600)
	c.Blinks.Enabled = true
	s := mustNew(t, c)
	in := s.Info()
	x := read(t, s, 0, in.NSamples)
	fp1, o1, cz := x[chanIndex(t, s, "Fp1")], x[chanIndex(t, s, "O1")], x[chanIndex(t, s, "Cz")]

	// Poisson count: mean 150, sd about 12 (less with the dead time).
	if n := len(in.Annotations); n < 110 || n > 190 {
		t.Errorf("%d blinks in 600 s at 0.25/s", n)
	}
	inBlink := make([]bool, len(fp1))
	prev := math.Inf(-1)
	for _, a := range in.Annotations {
		if a.Description != "blink" || a.Duration != 0.3 {
			t.Fatalf("annotation %+v", a)
		}
		if a.Onset-prev < 0.6-1e-9 {
			t.Errorf("blinks %v s apart, want at least 0.6", a.Onset-prev)
		}
		prev = a.Onset
		i0, i1 := int(math.Ceil(a.Onset*256)), int(math.Ceil((a.Onset+a.Duration)*256))
		for i := i0; i < i1; i++ {
			inBlink[i] = true
		}
		pf, po, pc := maxAbs(fp1[i0:i1]), maxAbs(o1[i0:i1]), maxAbs(cz[i0:i1])
		if pf < 95e-6 || pf > 200e-6 {
			t.Errorf("blink at %v s: Fp1 peak %.0f µV, want 100-200", a.Onset, pf*1e6)
		}
		if po > pf/20 || pc > pf/5 {
			t.Errorf("blink at %v s: peaks Fp1 %.0f, Cz %.1f, O1 %.1f µV", a.Onset, pf*1e6, pc*1e6, po*1e6)
		}
	}
	// Blinks alone: the signal is exactly where the annotations say.
	for i, v := range fp1 {
		if !inBlink[i] && v != 0 {
			t.Fatalf("Fp1 sample %d = %g outside every blink", i, v)
		}
	}
	tr := s.Truth()
	if tr[0].Channels[0] != "Fp1" || tr[0].Amplitude < 100e-6 || tr[0].Amplitude > 200e-6 {
		t.Errorf("truth %+v", tr[0])
	}
}

// smooth is a 5-point moving average (first zero at 51 Hz at 256 Hz), the
// low-pass a line-length detector works on.
func smooth(x []float64) []float64 {
	y := make([]float64, len(x))
	for i := range x {
		var s float64
		for j := max(i-2, 0); j <= min(i+2, len(x)-1); j++ {
			s += x[j]
		}
		y[i] = s / 5
	}
	return y
}

func TestSeizureSpread(t *testing.T) {
	// The seizure alone: each channel is exactly zero until its
	// recruitment, so onsets can be read to the sample.
	const onset, dur = 10.0, 30.0
	c := quiet(8, 50)
	c.Seizures.Enabled = true
	c.Seizures.Events = []SeizureEvent{{Onset: onset, Duration: dur}}
	s := mustNew(t, c)
	ev := s.Truth()[0]
	if ev.Kind != KindSeizure || ev.Onset != onset || ev.Duration != dur || ev.Frequency != 8 || ev.EndFrequency != 3 {
		t.Fatalf("truth %+v", ev)
	}
	if ev.Channels[0] != "T3" && ev.Channels[0] != "T5" || ev.ChannelOnsets[0] != onset {
		t.Fatalf("seizure starts at %v (%v s), want T3 or T5 at %v", ev.Channels[0], ev.ChannelOnsets[0], onset)
	}
	x := read(t, s, 0, s.Info().NSamples)
	pos := func(l string) [3]float64 { return *s.Info().Channels[chanIndex(t, s, l)].Pos }
	focus := []string{ev.Channels[0], ev.Channels[1]}
	recruited := map[string]bool{}
	for i, l := range ev.Channels {
		recruited[l] = true
		ch := x[chanIndex(t, s, l)]
		first := -1
		for n, v := range ch {
			if v != 0 {
				first = n
				break
			}
		}
		if got := float64(first) / 256; math.Abs(got-ev.ChannelOnsets[i]) > 2.0/256 {
			t.Errorf("%s: first ictal sample at %v s, truth %v s", l, got, ev.ChannelOnsets[i])
		}
		// Onset delay is distance to the nearest focus channel / speed.
		d := math.Min(dist(pos(l), pos(focus[0])), dist(pos(l), pos(focus[1])))
		if want := onset + d/0.02; math.Abs(ev.ChannelOnsets[i]-want) > 1e-9 {
			t.Errorf("%s: truth onset %v s, want %v s for %v m", l, ev.ChannelOnsets[i], want, d)
		}
		if i > 0 && ev.ChannelOnsets[i] < ev.ChannelOnsets[i-1] {
			t.Errorf("%s recruited before %s", l, ev.Channels[i-1])
		}
		// Gain falls with distance.
		if g := maxAbs(ch) / maxAbs(x[chanIndex(t, s, focus[0])]); math.Abs(g-math.Exp(-d/0.15)) > 0.05 {
			t.Errorf("%s: peak %.2f of the focus, want %.2f", l, g, math.Exp(-d/0.15))
		}
		if end := ch[int((onset+dur)*256)+1:]; maxAbs(end) != 0 {
			t.Errorf("%s: ictal activity after the end", l)
		}
	}
	for i, ch := range s.Info().Channels {
		if !recruited[ch.Label] && maxAbs(x[i]) != 0 {
			t.Errorf("%s: activity on a channel the truth leaves out", ch.Label)
		}
	}
	if len(ev.Channels) != 19 {
		t.Errorf("%d channels recruited in 30 s, want all 19 (farthest is < 0.2 m at 0.02 m/s)", len(ev.Channels))
	}
}

func TestSeizure(t *testing.T) {
	const onset, dur = 30.0, 40.0
	c := quiet(8, 90)
	c.Background.Enabled = true
	c.Alpha.Enabled = true
	c.Seizures.Enabled = true
	c.Seizures.Events = []SeizureEvent{{Onset: onset, Duration: dur}}
	s := mustNew(t, c)
	in := s.Info()
	if len(in.Annotations) != 1 || in.Annotations[0].Description != "seizure" || in.Annotations[0].Onset != onset || in.Annotations[0].Duration != dur {
		t.Fatalf("annotations %+v", in.Annotations)
	}
	x := read(t, s, 0, in.NSamples)

	// Line length of the low-passed signal in 1 s windows.
	ll := func(l string, from, to float64) []float64 {
		ch := smooth(x[chanIndex(t, s, l)])
		var out []float64
		for i := int(from * 256); i+256 <= int(to*256); i += 256 {
			out = append(out, lineLength(ch[i:i+256]))
		}
		return out
	}
	mean := func(v []float64) float64 {
		var m float64
		for _, e := range v {
			m += e
		}
		return m / float64(len(v))
	}
	// Detected onset: the first of two consecutive 1 s windows after the
	// seizure onset with line length above 1.5× the channel's pre-ictal
	// mean (pre-ictal windows stay below 1.25×).
	detect := func(l string) float64 {
		base := mean(ll(l, 0, onset))
		v := ll(l, onset, onset+dur)
		for i := 0; i+1 < len(v); i++ {
			if v[i] > 1.5*base && v[i+1] > 1.5*base {
				return onset + float64(i)
			}
		}
		return math.Inf(1)
	}
	base := mean(ll("T3", 0, onset))
	if r := mean(ll("T3", onset+2, onset+dur)) / base; r < 3 {
		t.Errorf("T3 line length rises only %.1f× during the seizure", r)
	}
	if r := mean(ll("T3", onset+dur+1, 90)) / base; r > 1.25 {
		t.Errorf("T3 line length %.1f× baseline after the seizure", r)
	}
	// Spread: detection later further from the focus, within 1.5 s of
	// the truth.
	ev := s.Truth()[0]
	truth := map[string]float64{}
	for i, l := range ev.Channels {
		truth[l] = ev.ChannelOnsets[i]
	}
	prev := 0.0
	for _, l := range []string{"T3", "C3", "Cz", "C4"} {
		got := detect(l)
		if got <= prev || math.Abs(got-truth[l]) > 1.5 {
			t.Errorf("%s: detected onset %v s (previous channel %v s), truth %v s", l, got, prev, truth[l])
		}
		prev = got
	}
	// Frequency evolution at the focus: dominant frequency near 8 Hz in
	// the first 4 s, near 3 Hz in the last 4 s before the fade.
	t3x := x[chanIndex(t, s, "T3")]
	dom := func(from float64) float64 {
		p := periodogram(t3x[int(from*256):int(from*256)+1024], 256)
		best := bin(1.5, 256, 1024)
		for k := best; k <= bin(12, 256, 1024); k++ {
			if p[k] > p[best] {
				best = k
			}
		}
		return float64(best) / 4
	}
	if f := dom(onset + 0.5); f < 6.5 || f > 8.5 {
		t.Errorf("dominant frequency in the first 4 s: %v Hz, want about 7.7", f)
	}
	if f := dom(onset + dur - 5); f < 2.5 || f > 4 {
		t.Errorf("dominant frequency near the end: %v Hz, want about 3.3", f)
	}
	// Amplitude grows: peak late vs early at the focus.
	if a, b := maxAbs(t3x[int((onset+dur-8)*256):int((onset+dur-2)*256)]), maxAbs(t3x[int(onset*256):int((onset+3)*256)]); a < 2*b {
		t.Errorf("T3 peak amplitude late %.0f µV vs early %.0f µV, want growth", a*1e6, b*1e6)
	}
}

func TestSeizureSchedulePoisson(t *testing.T) {
	c := quiet(21, 24*3600)
	c.Seizures.Enabled = true
	c.Seizures.RatePerHour = 2
	s := mustNew(t, c)
	tr := s.Truth()
	// 24 h at 2/h counted from each seizure's end: about 47 ± 14.
	if len(tr) < 30 || len(tr) > 65 {
		t.Errorf("%d seizures in 24 h at 2/h", len(tr))
	}
	for i, e := range tr {
		if e.Kind != KindSeizure || e.Duration < 20 || e.Duration > 60 || e.Onset+e.Duration > c.Duration {
			t.Errorf("seizure %d: %+v", i, e)
		}
		if i > 0 && e.Onset < tr[i-1].Onset+tr[i-1].Duration {
			t.Errorf("seizure %d overlaps the previous one", i)
		}
		if a := s.Info().Annotations[i]; a.Onset != e.Onset || a.Duration != e.Duration || a.Description != "seizure" {
			t.Errorf("annotation %d %+v, truth %+v", i, a, e)
		}
	}
	// Samples at an arbitrary seizure are readable without the rest.
	e := tr[len(tr)/2]
	ch := chanIndex(t, s, e.Channels[0])
	x := read(t, s, int64((e.Onset+e.Duration/2)*256), int64((e.Onset+e.Duration/2+2)*256))[ch]
	if maxAbs(x) < 30e-6 {
		t.Errorf("seizure at %v s: focus peak %.0f µV mid-seizure", e.Onset, maxAbs(x)*1e6)
	}
}
