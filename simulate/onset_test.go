package simulate

import (
	"math"
	"testing"
)

// TestSeizureOnset checks the onset phase of one seizure alone (no
// background): a sinusoid at the drawn onset frequency whose amplitude
// builds up geometrically from OnsetAmplitude to StartAmplitude over
// OnsetDuration, after which the established discharge goes on.
func TestSeizureOnset(t *testing.T) {
	const onset, dur = 10.0, 60.0
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		c := quiet(seed, 80)
		c.Seizures.Enabled, c.Seizures.OnsetPhase = true, true
		c.Seizures.Events = []SeizureEvent{{Onset: onset, Duration: dur}}
		s := mustNew(t, c)
		ev := s.Truth()[0]
		T, f0, a0 := ev.OnsetDuration, ev.Frequency, ev.OnsetAmplitude
		if T < 10 || T > 20 || f0 < 2 || f0 > 9 || a0 < 0.1*50e-6 || a0 > 0.3*50e-6 {
			t.Fatalf("seed %d: onset phase %v s at %v Hz from %v V, want 10-20 s at 2-9 Hz from 5-15 µV", seed, T, f0, a0)
		}
		if want := f0 * 3 / 8; math.Abs(ev.EndFrequency-want) > 1e-12 {
			t.Errorf("seed %d: end frequency %v Hz, want %v (onset × 3/8)", seed, ev.EndFrequency, want)
		}
		focus := s.Info().Channels[chanIndex(t, s, ev.Channels[0])].Label
		x := read(t, s, 0, s.Info().NSamples)[chanIndex(t, s, focus)]
		// Peak per 1 s (at least two cycles at 2 Hz), from 1 s in (past the
		// 0.5 s recruitment ramp) to the end of the onset phase.
		peak := func(from float64) float64 {
			return maxAbs(x[int((onset+from)*256):int((onset+from+1)*256)])
		}
		if p := peak(0.5); p > 0.35*50e-6 {
			t.Errorf("seed %d: peak %.1f µV in the first second, want a low-voltage onset (≤ 17.5 µV)", seed, p*1e6)
		}
		for u := 1.0; u+1 <= T; u++ {
			// The geometric course at the window's end bounds its peak.
			want := a0 * math.Pow(50e-6/a0, (u+1)/T)
			got := peak(u)
			if got > want*1.001 || got < want*math.Pow(50e-6/a0, -1/T)*0.95 {
				t.Errorf("seed %d: peak %.2f µV at %v-%v s of the onset phase, want the geometric ramp (%.2f µV at its end)", seed, got*1e6, u, u+1, want*1e6)
			}
		}
		// After the onset phase the amplitude goes on growing to 250 µV.
		if p := maxAbs(x[int((onset+dur-6)*256):int((onset+dur-2)*256)]); p < 150e-6 {
			t.Errorf("seed %d: peak %.0f µV near the end, want about 240 µV", seed, p*1e6)
		}
		// Onset morphology: a sinusoid at f0, no harmonics (the
		// established discharge turns into spike-and-wave later).
		n := int(4 * 256)
		p := periodogram(x[int((onset+1)*256):int((onset+1)*256)+n], 256)
		k := 1
		for j := range p[:len(p)/2] {
			if p[j] > p[k] {
				k = j
			}
		}
		if got, want := float64(k)*256/float64(n), f0-(f0-ev.EndFrequency)*3/dur; math.Abs(got-want) > 0.5 {
			t.Errorf("seed %d: dominant frequency %v Hz in the onset's first seconds, want about %.2f", seed, got, want)
		}
		var h float64
		for j := 2*k - 2; j <= 2*k+2; j++ {
			h += p[j]
		}
		if h > 0.01*p[k] {
			t.Errorf("seed %d: second harmonic at %.3g of the fundamental in the onset phase, want a sinusoid", seed, h/p[k])
		}
	}
}

// TestSeizureOnsetSchedule checks the per-seizure draws over a day: both
// onset rhythms in about their literature proportions, onset phases
// within bounds, and a schedule (onsets, durations) that the onset draws
// leave unchanged.
func TestSeizureOnsetSchedule(t *testing.T) {
	c := quiet(21, 24*3600)
	c.Seizures.Enabled, c.Seizures.OnsetPhase = true, true
	tr := mustNew(t, c).Truth()
	c.Seizures.OnsetPhase = false
	sudden := mustNew(t, c).Truth()
	if len(tr) != len(sudden) || len(tr) < 100 {
		t.Fatalf("%d seizures with onset phases, %d without; want the same schedule of about 140", len(tr), len(sudden))
	}
	var delta int
	durs := map[float64]bool{}
	for i, e := range tr {
		if e.Onset != sudden[i].Onset || e.Duration != sudden[i].Duration {
			t.Fatalf("seizure %d at %v s for %v s, %v s for %v s without onset phases", i, e.Onset, e.Duration, sudden[i].Onset, sudden[i].Duration)
		}
		if sudden[i].OnsetDuration != 0 || sudden[i].Frequency != 8 || sudden[i].OnsetAmplitude != 50e-6 {
			t.Fatalf("sudden onset %+v", sudden[i])
		}
		if e.OnsetDuration < math.Min(10, e.Duration/2) || e.OnsetDuration > math.Min(20, e.Duration/2) {
			t.Errorf("seizure %d: onset phase %v s of %v s", i, e.OnsetDuration, e.Duration)
		}
		if e.Frequency < 5 {
			delta++
		}
		durs[e.OnsetDuration] = true
	}
	if r := float64(delta) / float64(len(tr)); r < 0.2 || r > 0.5 {
		t.Errorf("%.2f of the onsets in delta, want about 0.35", r)
	}
	if len(durs) < len(tr)/2 {
		t.Errorf("%d distinct onset durations in %d seizures, want a draw per seizure", len(durs), len(tr))
	}
	// Equal configurations give equal onsets.
	c.Seizures.OnsetPhase = true
	again := mustNew(t, c).Truth()
	for i := range tr {
		if again[i].Frequency != tr[i].Frequency || again[i].OnsetDuration != tr[i].OnsetDuration || again[i].OnsetAmplitude != tr[i].OnsetAmplitude {
			t.Fatalf("seizure %d: %+v, then %+v", i, tr[i], again[i])
		}
	}
}
