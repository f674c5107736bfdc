package sinks

import (
	"context"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"testing"
)

// TestFileSinkMetadata: FileSinkConfig.Metadata is in every part's schema,
// Parquet and Arrow, after the kind's own keys, which it cannot replace.
func TestFileSinkMetadata(t *testing.T) {
	for _, format := range []FileFormat{FormatParquet, FormatArrow} {
		dir := t.TempDir()
		sink, err := NewFileSink(FileSinkConfig{Dir: dir, Format: format, PartRows: 10, Logger: quiet,
			Metadata: map[string]string{"neurostream.version": "v9", "neurostream.kind": "not-a-kind", "a.first": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		rs := results(8) // 32 rows of each kind: 4 parts
		err = sink.Write(context.Background(), rs)
		release(rs)
		if err == nil {
			err = sink.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []arrowout.Kind{arrowout.KindPSD, arrowout.KindBandPower} {
			recs, err := ReadFiles(dir, k, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 4 {
				t.Errorf("%s %s: %d parts", format, k, len(recs))
			}
			for _, r := range recs {
				md := r.Schema().Metadata()
				want := []string{"neurostream.kind", string(k), "neurostream.schema_version", arrowout.SchemaVersion, "a.first", "1", "neurostream.version", "v9"}
				var got []string
				for i, key := range md.Keys() {
					got = append(got, key, md.Values()[i])
				}
				if len(got) != len(want) {
					t.Fatalf("%s %s: metadata %v, want %v", format, k, got, want)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s %s: metadata %v, want %v", format, k, got, want)
					}
				}
				r.Release()
			}
		}
	}
}
