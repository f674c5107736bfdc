package edf

import (
	"fmt"
	"io"
	"math"

	"github.com/neurostream/neurostream/formats"
)

// WriteOptions configures WriteRecording.
type WriteOptions struct {
	// Patient and Recording fill the EDF+ identification subfields.
	Patient, Recording string
	// RecordDuration is the data-record length in seconds; it must hold a
	// whole number of samples at the recording's rate. Default: the first
	// of 1, 0.5, 0.25, 0.2, 0.1, 2, 5 and 10 s that does.
	RecordDuration float64
}

// WriteRecording writes any recording as EDF+C with 16-bit samples: its
// channels (V channels in µV, T in fT, T/m in fT/cm; see
// WriterHeader.Channels for what EDF keeps of channel types),
// annotations and start time. It reads the recording twice in blocks,
// first for each channel's range (which the 16-bit quantization then
// spans), so memory stays constant in recording length. A recording that does not end on a record boundary is padded
// with zeros to the next one, and the padding is annotated "EDF padding".
func WriteRecording(w io.Writer, rec formats.Recording, opt WriteOptions) error {
	in := rec.Info()
	if len(in.Channels) == 0 || in.NSamples == 0 {
		return fmt.Errorf("edf: nothing to write: %d channels, %d samples", len(in.Channels), in.NSamples)
	}
	dur := opt.RecordDuration
	if dur == 0 {
		for _, d := range []float64{1, 0.5, 0.25, 0.2, 0.1, 2, 5, 10} {
			if isWhole(d * in.SampleRate) {
				dur = d
				break
			}
		}
		if dur == 0 {
			return fmt.Errorf("edf: no record duration holds whole samples at %g Hz: set RecordDuration", in.SampleRate)
		}
	}
	if !isWhole(dur * in.SampleRate) {
		return fmt.Errorf("edf: record duration %g s holds %g samples at %g Hz, not a whole number", dur, dur*in.SampleRate, in.SampleRate)
	}
	per := int64(math.Round(dur * in.SampleRate))
	nrec := (in.NSamples + per - 1) / per

	nc := len(in.Channels)
	buf := make([][]float64, nc)
	for c := range buf {
		buf[c] = make([]float64, per)
	}
	lo, hi := make([]float64, nc), make([]float64, nc)
	for c := range lo {
		lo[c], hi[c] = math.Inf(1), math.Inf(-1)
	}
	view := make([][]float64, nc)
	read := func(r int64) ([][]float64, error) {
		start := r * per
		stop := min(start+per, in.NSamples)
		for c := range buf {
			clear(buf[c][stop-start:])
			view[c] = buf[c][:stop-start]
		}
		if err := rec.ReadSamples(view, start, stop); err != nil {
			return nil, err
		}
		return buf, nil
	}
	for r := range nrec {
		data, err := read(r)
		if err != nil {
			return fmt.Errorf("edf: reading record %d: %w", r, err)
		}
		for c, x := range data {
			for _, v := range x {
				lo[c], hi[c] = min(lo[c], v), max(hi[c], v)
			}
		}
	}
	for c := range lo {
		if lo[c] == hi[c] { // a flat channel still needs a range: ±1 in the stored unit
			_, scale := storedUnit(in.Channels[c].Unit)
			lo[c], hi[c] = lo[c]-1/scale, hi[c]+1/scale
		}
	}
	chans := make([]formats.Channel, nc)
	copy(chans, in.Channels)
	for c := range chans {
		chans[c].SampleRate = in.SampleRate
	}
	ann := append([]formats.Annotation(nil), in.Annotations...)
	if pad := nrec*per - in.NSamples; pad > 0 {
		ann = append(ann, formats.Annotation{Onset: float64(in.NSamples) / in.SampleRate, Duration: float64(pad) / in.SampleRate, Description: "EDF padding"})
	}
	wr, err := NewWriter(w, WriterHeader{
		Patient: opt.Patient, Recording: opt.Recording, Start: in.StartTime, RecordDuration: dur,
		NRecords: nrec, Channels: chans, PhysMin: lo, PhysMax: hi, Annotations: ann,
	})
	if err != nil {
		return err
	}
	for r := range nrec {
		data, err := read(r)
		if err != nil {
			return fmt.Errorf("edf: reading record %d: %w", r, err)
		}
		if err := wr.WriteRecord(data); err != nil {
			return err
		}
	}
	return wr.Close()
}

func isWhole(x float64) bool { return math.Abs(x-math.Round(x)) < 1e-9 && math.Round(x) >= 1 }
