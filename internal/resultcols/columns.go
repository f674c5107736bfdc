// Package resultcols reads the columns of neurostream result records by
// name (docs/schemas.md), for the live view and the reports.
package resultcols

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Columns reads a result record's columns by name, as docs/schemas.md
// names them, so that records read back from Parquet (where list values
// are named "element") or written by an older build with extra columns
// decode the same. A missing or mistyped column is an error naming it.
type Columns struct {
	rec  arrow.Record
	kind string
	err  error
}

// New returns the columns of rec, a record of kind (for errors).
func New(rec arrow.Record, kind string) *Columns { return &Columns{rec: rec, kind: kind} }

// Err is the first missing or mistyped column, or nil. Readers of such
// columns return zero values.
func (c *Columns) Err() error { return c.err }

func (c *Columns) col(name string) arrow.Array {
	idx := c.rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		if c.err == nil {
			c.err = fmt.Errorf("%s record: no column %q", c.kind, name)
		}
		return nil
	}
	return c.rec.Column(idx[0])
}

func (c *Columns) mistyped(name string, a arrow.Array) {
	if c.err == nil {
		c.err = fmt.Errorf("%s record: column %q is %s", c.kind, name, a.DataType())
	}
}

// StringCol is a utf8 column; a null row reads as "".
type StringCol func(i int) string

func (c *Columns) Strings(name string) StringCol {
	switch a := c.col(name).(type) {
	case nil:
	case *array.String:
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return a.Value(i)
		}
	case *array.LargeString:
		return func(i int) string {
			if a.IsNull(i) {
				return ""
			}
			return a.Value(i)
		}
	default:
		c.mistyped(name, a)
	}
	return func(int) string { return "" }
}

// Floats reads a float64 column; a null row reads as NaN.
func (c *Columns) Floats(name string) func(i int) float64 {
	switch a := c.col(name).(type) {
	case nil:
	case *array.Float64:
		return func(i int) float64 {
			if a.IsNull(i) {
				return math.NaN()
			}
			return a.Value(i)
		}
	default:
		c.mistyped(name, a)
	}
	return func(int) float64 { return math.NaN() }
}

// Ints reads an int64, int32 or timestamp column; valid reports a
// non-null row.
func (c *Columns) Ints(name string) func(i int) (v int64, valid bool) {
	switch a := c.col(name).(type) {
	case nil:
	case *array.Int64:
		return func(i int) (int64, bool) { return a.Value(i), a.IsValid(i) }
	case *array.Int32:
		return func(i int) (int64, bool) { return int64(a.Value(i)), a.IsValid(i) }
	case *array.Timestamp:
		return func(i int) (int64, bool) { return int64(a.Value(i)), a.IsValid(i) }
	default:
		c.mistyped(name, a)
	}
	return func(int) (int64, bool) { return 0, false }
}

// FloatLists reads a list<float64> column: the values of row i, aliasing
// the record (copy before keeping them); nil for a null row.
func (c *Columns) FloatLists(name string) func(i int) []float64 {
	a := c.col(name)
	if a == nil {
		return func(int) []float64 { return nil }
	}
	l, ok := a.(*array.List)
	if !ok {
		c.mistyped(name, a)
		return func(int) []float64 { return nil }
	}
	vals, ok := l.ListValues().(*array.Float64)
	if !ok {
		c.mistyped(name, a)
		return func(int) []float64 { return nil }
	}
	raw := vals.Float64Values()
	return func(i int) []float64 {
		if l.IsNull(i) {
			return nil
		}
		start, end := l.ValueOffsets(i)
		return raw[start:end]
	}
}

// StringLists reads a list<utf8> column: a copy of row i's values; nil for
// a null row.
func (c *Columns) StringLists(name string) func(i int) []string {
	a := c.col(name)
	if a == nil {
		return func(int) []string { return nil }
	}
	l, ok := a.(*array.List)
	if !ok {
		c.mistyped(name, a)
		return func(int) []string { return nil }
	}
	vals, ok := l.ListValues().(*array.String)
	if !ok {
		c.mistyped(name, a)
		return func(int) []string { return nil }
	}
	return func(i int) []string {
		if l.IsNull(i) {
			return nil
		}
		start, end := l.ValueOffsets(i)
		out := make([]string, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, vals.Value(int(j)))
		}
		return out
	}
}
