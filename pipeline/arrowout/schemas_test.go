package arrowout

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
)

// docColumn is a column as a table of docs/schemas.md lists it.
type docColumn struct{ name, typ string }

// docTables returns the column tables of docs/schemas.md by section: each
// row's names (a row may list several, "`fmin`, `fmax`") with its type
// cell ("float64, nullable").
func docTables(t *testing.T) map[string][]docColumn {
	t.Helper()
	doc, err := os.ReadFile("../../docs/schemas.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]docColumn{}
	var cur string
	name := regexp.MustCompile("`([a-z_]+)`")
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			cur = strings.Trim(h, "`")
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line[1:], " | ")
		if len(cells) < 2 {
			t.Fatalf("docs/schemas.md: %q: no type cell", line)
		}
		for _, m := range name.FindAllStringSubmatch(cells[0], -1) {
			sections[cur] = append(sections[cur], docColumn{m[1], strings.TrimSpace(cells[1])})
		}
	}
	return sections
}

// docType is the type of f as docs/schemas.md writes it.
func docType(f arrow.Field) string {
	s := typeName(f.Type)
	if f.Nullable {
		s += ", nullable"
	}
	return s
}

func typeName(dt arrow.DataType) string {
	switch dt := dt.(type) {
	case *arrow.StringType:
		return "utf8"
	case *arrow.BooleanType:
		return "bool"
	case *arrow.ListType:
		return "list<" + typeName(dt.Elem()) + ">"
	case *arrow.TimestampType:
		return "timestamp[" + dt.Unit.String() + ", tz=" + dt.TimeZone + "]"
	}
	return dt.String() // float64, int64, int32
}

// TestSchemasDocumented: every kind has a section in docs/schemas.md whose
// table lists exactly its columns after the key columns, in order, with
// their types and nullability; the key columns' section lists theirs.
func TestSchemasDocumented(t *testing.T) {
	sections := docTables(t)
	keys := sections["Key columns (every kind)"]
	keyNames := map[string]string{}
	for _, c := range keys {
		keyNames[c.name] = c.typ
	}
	for _, f := range keyFields(append(slices.Clone(channelLabels), pairLabels...)) {
		if got, ok := keyNames[f.Name]; !ok || got != docType(f) {
			t.Errorf("key column %s: docs/schemas.md gives type %q, the schemas %q", f.Name, got, docType(f))
		}
	}
	for _, k := range Kinds() {
		var cols []docColumn
		for _, f := range Schema(k).Fields() {
			if _, key := keyNames[f.Name]; !key {
				cols = append(cols, docColumn{f.Name, docType(f)})
			}
		}
		if !slices.Equal(cols, sections[string(k)]) {
			t.Errorf("%s: schema columns\n%v\ndocs/schemas.md lists\n%v", k, cols, sections[string(k)])
		}
	}
}
