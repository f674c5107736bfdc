package edf

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// Damaged copies of shared recordings: each either reads with a warning
// saying what was done, or fails naming the field, never silently wrong.
const (
	// 64 EEG signals and annotations, 125 records of 1 s at 160 Hz.
	motor = "eegmmidb-motor-imagery/S001/S001R04.edf"
	// 0.5 s records.
	marley = "ssvep-marley/wearable_demo_trial2/Marley_01_raw.edf"
)

func patch(off int, field string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], fmt.Sprintf("%-8s", field))
		return b
	}
}

// TestTruncated: a file cut in half reads its whole records, as MNE does,
// and says so.
func TestTruncated(t *testing.T) {
	whole := formatstest.Damage(t, formatstest.Edit(func(b []byte) []byte { return b }), motor)[0]
	cut := formatstest.Damage(t, formatstest.Edit(func(b []byte) []byte { return b[:len(b)/2] }), motor)[0]
	w, err := Open(whole)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if len(w.Info().Warnings) != 0 {
		t.Fatalf("sound file warns: %q", w.Info().Warnings)
	}
	r, err := Open(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	// 20608-byte records after a 16896-byte header.
	recs := (int64(2596896/2) - 16896) / 20608
	if info.NSamples != recs*160 {
		t.Errorf("%d samples, want the %d whole records' %d", info.NSamples, recs, recs*160)
	}
	formatstest.HasWarning(t, info, filepath.Base(cut), "number of data records", "header says 125 (125 s)",
		fmt.Sprintf("holds %d whole records and", recs), "truncated", fmt.Sprintf("reading the %d whole records (%d s)", recs, recs))
	if len(info.Warnings) != 1 {
		t.Errorf("warnings %q, want one", info.Warnings)
	}
	// The records it reads are the original's.
	got, want := formatstest.ReadAll(t, r), formatstest.ReadAll(t, w)
	for c := range got {
		for i, v := range got[c] {
			if v != want[c][i] {
				t.Fatalf("channel %d sample %d = %v, the whole file has %v", c, i, v, want[c][i])
			}
		}
	}
	// Annotations are those of the records read.
	for _, a := range info.Annotations {
		if a.Onset > float64(recs) {
			t.Errorf("annotation %v after the last record read", a)
		}
	}
}

// TestRecordCountMismatch: a header count of -1 or fewer records than
// the file holds reads what the file holds, with a warning.
func TestRecordCountMismatch(t *testing.T) {
	for _, c := range []struct{ nrec, want string }{
		{"-1", "-1 (the recorder did not close the file); reading the 125 whole records it holds (125 s)"},
		{"100", "the header says 100 (100 s), the file holds 125 (125 s); reading all 125"},
	} {
		p := formatstest.Damage(t, formatstest.Edit(patch(offNRecords, c.nrec)), motor)[0]
		r, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if r.Info().NSamples != 125*160 {
			t.Errorf("nrec %s: %d samples, want %d", c.nrec, r.Info().NSamples, 125*160)
		}
		formatstest.HasWarning(t, r.Info(), "number of data records", c.want)
		r.Close()
	}
}

// TestCorruptCounts: fields whose corruption would misread every sample
// are errors naming them.
func TestCorruptCounts(t *testing.T) {
	const ns = 65 // motor's signals
	cases := []struct {
		name, file string
		edit       func([]byte) []byte
		field      string
		offset     int64
		msg        string
	}{
		// MNE warns and assumes 1 s, halving this file's rate.
		{"record duration 0", marley, patch(offDuration, "0"), "duration of a data record", offDuration, "0 s with"},
		// MNE reads zeros and shifts every later signal and the
		// annotations (so the start time too).
		{"no samples in a signal", motor, patch(fixedLen+216*ns+8*3, "0"), "signal 3 number of samples", fixedLen + 216*ns + 8*3, "at least 1 sample"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := formatstest.Damage(t, formatstest.Edit(c.edit), c.file)[0]
			r, err := Open(p)
			if err == nil {
				r.Close()
				t.Fatalf("opened with rate %v, %d samples, warnings %q", r.Info().SampleRate, r.Info().NSamples, r.Info().Warnings)
			}
			fe := formatstest.AsError(t, err)
			if fe.File != p || fe.Field != c.field || fe.Offset != c.offset || !bytes.Contains([]byte(fe.Msg), []byte(c.msg)) {
				t.Errorf("error %q, want file %s, field %q, offset %d, message with %q", err, p, c.field, c.offset, c.msg)
			}
		})
	}
}
