package kafka

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/pipeline/arrowout"
)

var (
	dictType   = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	dictSchema = arrow.NewSchema([]arrow.Field{{Name: "d", Type: dictType}}, nil)
)

// encodeTestRecords returns records of several schemas, each window's
// values different: psd (a list column), bandpower, a slice of psd, and a
// dictionary-encoded column (not cached).
func encodeTestRecords(t *testing.T, window int64) []arrow.Record {
	t.Helper()
	k := arrowout.WindowKey{Session: fmt.Sprintf("s-%d", window%3), Window: window, StartSample: 256 * window, StartTimeNS: 1e9 * window}
	psd := arrowout.NewPSDRows(nil)
	bp := arrowout.NewBandPowerRows(nil)
	for ch := range 3 + int(window%4) {
		vals := make([]float64, 5+int(window%3))
		for i := range vals {
			vals[i] = float64(ch*100+i) + float64(window)/7
		}
		psd.Append(k, fmt.Sprintf("C%d", ch), "V", 0, 0.5, vals)
		bp.Append(k, fmt.Sprintf("C%d", ch), "V", "alpha", 8, 13, float64(window), 0.25)
	}
	p := psd.Flush()
	db := array.NewDictionaryBuilder(memory.DefaultAllocator, dictType).(*array.BinaryDictionaryBuilder)
	db.AppendString(fmt.Sprintf("x%d", window))
	db.AppendString("y")
	dict := db.NewArray()
	recs := []arrow.Record{p, bp.Flush(), p.NewSlice(1, p.NumRows()), array.NewRecord(dictSchema, []arrow.Array{dict}, 2)}
	dict.Release()
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// TestRecordEncodersMatchEncodeRecord: the pooled encoders give the bytes
// EncodeRecord gives, for the first record of a schema and the later ones,
// sliced records, and dictionary columns; from several goroutines.
func TestRecordEncodersMatchEncodeRecord(t *testing.T) {
	e := newRecordEncoders(memory.DefaultAllocator)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := int64(g); w < 40; w += 4 {
				for i, rec := range encodeTestRecords(t, w) {
					want, err := EncodeRecord(rec, memory.DefaultAllocator)
					if err != nil {
						t.Error(err)
						return
					}
					got, err := e.encode(rec)
					if err != nil {
						t.Error(err)
						return
					}
					if !bytes.Equal(got, want) {
						t.Errorf("window %d record %d: %d bytes differ from EncodeRecord's %d", w, i, len(got), len(want))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(e.pools) != 3 || e.pools[arrowout.PSDSchema] == nil || e.pools[arrowout.BandPowerSchema] == nil || e.pools[dictSchema] != nil {
		t.Errorf("pools %v: want psd and bandpower pooled, the dictionary schema known and not", e.pools)
	}
}

// BenchmarkEncodeRecord compares EncodeRecord with the pooled encoders on
// a 19-channel psd record of 257 bins.
func BenchmarkEncodeRecord(b *testing.B) {
	psd := arrowout.NewPSDRows(nil)
	vals := make([]float64, 257)
	for ch := range 19 {
		psd.Append(arrowout.WindowKey{Session: "bench-1", Window: 7}, fmt.Sprintf("C%d", ch), "V", 0, 0.5, vals)
	}
	rec := psd.Flush()
	defer rec.Release()
	b.Run("EncodeRecord", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeRecord(rec, memory.DefaultAllocator); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		e := newRecordEncoders(memory.DefaultAllocator)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.encode(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
