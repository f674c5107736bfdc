package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// A kind's schema and its row builder come from one table: its label
// columns and, after them, a column list whose entries hold the Arrow
// field (name, type, nullability, metadata) and the accessor that
// appends a row's value. A schema change is an edit of that list;
// docs/schemas.md is checked against the schemas (TestSchemasDocumented)
// and the records against the golden ones in testdata/records
// (TestGoldenRecords).

// column is one column of a kind after its key columns, filled from rows
// of type R.
type column[R any] struct {
	field arrow.Field
	// add appends row r's value to b, a builder of field's type.
	add func(b array.Builder, r R)
	// text is the bytes of utf8 data per row Reserve sets aside (0 for
	// none, and for other types).
	text int
}

// nullUnless makes c nullable: a row for which valid is false gets a null.
func (c column[R]) nullUnless(valid func(R) bool) column[R] {
	add := c.add
	c.field.Nullable = true
	c.add = func(b array.Builder, r R) {
		if valid(r) {
			add(b, r)
		} else {
			b.AppendNull()
		}
	}
	return c
}

// stringCol is a utf8 column with text bytes per row reserved.
func stringCol[R any](name string, text int, get func(R) string) column[R] {
	c := scalarCol[R, string, *array.StringBuilder](name, arrow.BinaryTypes.String, get)
	c.text = text
	return c
}

// scalarCol is a column of type dt whose builder B appends values V.
func scalarCol[R, V any, B interface{ Append(V) }](name string, dt arrow.DataType, get func(R) V) column[R] {
	return column[R]{
		field: arrow.Field{Name: name, Type: dt},
		add:   func(b array.Builder, r R) { b.(B).Append(get(r)) },
	}
}

func float64Col[R any](name string, get func(R) float64) column[R] {
	return scalarCol[R, float64, *array.Float64Builder](name, arrow.PrimitiveTypes.Float64, get)
}

func int64Col[R any](name string, get func(R) int64) column[R] {
	return scalarCol[R, int64, *array.Int64Builder](name, arrow.PrimitiveTypes.Int64, get)
}

func int32Col[R any](name string, get func(R) int32) column[R] {
	return scalarCol[R, int32, *array.Int32Builder](name, arrow.PrimitiveTypes.Int32, get)
}

func boolCol[R any](name string, get func(R) bool) column[R] {
	return scalarCol[R, bool, *array.BooleanBuilder](name, arrow.FixedWidthTypes.Boolean, get)
}

// timeCol is a timestamp[ns, tz=UTC] column of unix nanoseconds.
func timeCol[R any](name string, get func(R) int64) column[R] {
	return scalarCol[R, arrow.Timestamp, *array.TimestampBuilder](name, arrow.FixedWidthTypes.Timestamp_ns,
		func(r R) arrow.Timestamp { return arrow.Timestamp(get(r)) })
}

// listCol is a list column of values of type dt, which B appends.
func listCol[R, V any, B interface{ AppendValues([]V, []bool) }](name string, dt arrow.DataType, get func(R) []V) column[R] {
	return column[R]{
		field: arrow.Field{Name: name, Type: arrow.ListOf(dt)},
		add: func(b array.Builder, r R) {
			l := b.(*array.ListBuilder)
			l.Append(true)
			l.ValueBuilder().(B).AppendValues(get(r), nil)
		},
	}
}

// float64sCol is a list<float64> column.
func float64sCol[R any](name string, get func(R) []float64) column[R] {
	return listCol[R, float64, *array.Float64Builder](name, arrow.PrimitiveTypes.Float64, get)
}

// int32sCol is a list<int32> column.
func int32sCol[R any](name string, get func(R) []int32) column[R] {
	return listCol[R, int32, *array.Int32Builder](name, arrow.PrimitiveTypes.Int32, get)
}

// stringsCol is a list<utf8> column.
func stringsCol[R any](name string, get func(R) []string) column[R] {
	return listCol[R, string, *array.StringBuilder](name, arrow.BinaryTypes.String, get)
}

// table is a result kind: its label columns (after the window key) and
// the columns rows of type R fill, and the schema they make.
type table[R any] struct {
	labels []string
	cols   []column[R]
	schema *arrow.Schema
}

func newTable[R any](kind Kind, labels []string, cols ...column[R]) *table[R] {
	fields := keyFields(labels)
	for _, c := range cols {
		fields = append(fields, c.field)
	}
	md := arrow.NewMetadata(
		[]string{"neurostream.kind", "neurostream.schema_version"},
		[]string{string(kind), SchemaVersion},
	)
	return &table[R]{labels: labels, cols: cols, schema: arrow.NewSchema(fields, &md)}
}

// Label columns: after the window key, each row names what it describes —
// one channel, or a (seed, target) channel pair.
var (
	channelLabels = []string{"channel"}
	pairLabels    = []string{"seed", "target"}
)

// keyFields returns the key columns: the window key (session, window,
// start_sample, start_time), then one utf8 column per label.
func keyFields(labels []string) []arrow.Field {
	f := []arrow.Field{
		{Name: "session", Type: arrow.BinaryTypes.String},
		{Name: "window", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_sample", Type: arrow.PrimitiveTypes.Int64},
		{Name: "start_time", Type: arrow.FixedWidthTypes.Timestamp_ns},
	}
	for _, l := range labels {
		f = append(f, arrow.Field{Name: l, Type: arrow.BinaryTypes.String})
	}
	return f
}

// rows builds records of a table: the key columns, then the table's
// columns. Rows go to the accessors by value: a pointer passed through a
// func value escapes, and would cost an allocation per row.
type rows[R any] struct {
	t       *table[R]
	b       *array.RecordBuilder
	session *array.StringBuilder
	window  *array.Int64Builder
	start   *array.Int64Builder
	time    *array.TimestampBuilder
	labels  []*array.StringBuilder
	// cols[i] is the builder of t.cols[i].
	cols []array.Builder
}

// rows returns a builder of t's records; mem nil means the default
// allocator.
func (t *table[R]) rows(mem memory.Allocator) rows[R] {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, t.schema)
	r := rows[R]{
		t:       t,
		b:       b,
		session: b.Field(0).(*array.StringBuilder),
		window:  b.Field(1).(*array.Int64Builder),
		start:   b.Field(2).(*array.Int64Builder),
		time:    b.Field(3).(*array.TimestampBuilder),
	}
	for i := range t.labels {
		r.labels = append(r.labels, b.Field(4+i).(*array.StringBuilder))
	}
	r.cols = b.Fields()[4+len(t.labels):]
	return r
}

// add appends a row: the window key k, the labels (as many as the
// table's), then row's columns.
func (r *rows[R]) add(k WindowKey, row R, labels ...string) {
	r.session.Append(k.Session)
	r.window.Append(k.Window)
	r.start.Append(k.StartSample)
	r.time.Append(arrow.Timestamp(k.StartTimeNS))
	for i, l := range labels {
		r.labels[i].Append(l)
	}
	for i, c := range r.t.cols {
		c.add(r.cols[i], row)
	}
}

// reserve makes room for n more rows, with keyBytes bytes of session and
// label text per row, each utf8 column's text per row, and items values
// (itemBytes bytes of text) in each list column, so that appending them
// grows no buffer: one allocation per column instead of one per doubling.
func (r *rows[R]) reserve(n, keyBytes, items, itemBytes int) {
	for _, f := range r.b.Fields() {
		f.Reserve(n)
	}
	r.session.ReserveData(n * keyBytes)
	for _, l := range r.labels {
		l.ReserveData(n * keyBytes)
	}
	for i, c := range r.t.cols {
		switch b := r.cols[i].(type) {
		case *array.StringBuilder:
			b.ReserveData(n * c.text)
		case *array.ListBuilder:
			v := b.ValueBuilder()
			v.Reserve(items)
			if s, ok := v.(*array.StringBuilder); ok {
				s.ReserveData(itemBytes)
			}
		}
	}
}

// Len returns the number of rows appended since the last Flush.
func (r *rows[R]) Len() int { return r.session.Len() }

// Flush returns the appended rows as a record (the caller releases it) and
// starts a new one; nil when there are none.
func (r *rows[R]) Flush() arrow.Record {
	if r.Len() == 0 {
		return nil
	}
	return r.b.NewRecord()
}

// Release frees the builder.
func (r *rows[R]) Release() { r.b.Release() }
