package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/testenv"
)

const (
	docPath    = "docs/wire-format.md"
	docHeading = "## Reading a chunk with pyarrow"
)

// docPythonReader returns the ```python block under docHeading in
// docs/wire-format.md. A missing heading or block fails the test whether or
// not Python is available: the doc is the contract.
func docPythonReader(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), docPath))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(doc), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) != docHeading {
		i++
	}
	if i == len(lines) {
		t.Fatalf("%s: heading %q not found", docPath, docHeading)
	}
	for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```python"; i++ {
		if strings.HasPrefix(lines[i], "## ") {
			t.Fatalf("%s: no ```python block under %q", docPath, docHeading)
		}
	}
	start := i + 1
	for i = start; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
	}
	if start >= len(lines) || i == len(lines) {
		t.Fatalf("%s: unterminated ```python block under %q", docPath, docHeading)
	}
	return strings.Join(lines[start:i], "\n") + "\n"
}

func runPython(t *testing.T, py, script string, args ...string) (stdout []byte, err error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), py, append([]string{path}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONIOENCODING=utf-8")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// interopChunk has what tends to break readers: labels with commas, quotes
// and non-ASCII, every channel type, positions on some channels, and a rate
// whose decimal needs 16 digits.
func interopChunk() *Chunk {
	labels := []string{"Fz", "C3,C4 bipolar", `"quoted"`, "MEG 0113", "MEG 0112", "Ünïcødé 脑电", "EOG061", "STI 014"}
	types := []formats.ChannelType{formats.EEG, formats.EEG, formats.ECG, formats.MEGGrad, formats.MEGMag, formats.Misc, formats.EOG, formats.Stim}
	units := []string{"V", "V", "V", "T/m", "T", "µV", "V", "V"}
	c := &Chunk{Session: "sub-01/ses-02, run é", SampleRate: 1000.0 / 3, FirstSample: 123456789012,
		StartTimeNS: 1700000000123456789, Seq: 7}
	for i, l := range labels {
		ch := formats.Channel{Label: l, Type: types[i], Unit: units[i], SampleRate: c.SampleRate}
		if i%2 == 0 {
			ch.Pos = &[3]float64{float64(i) * 0.01, -0.0123456789, 0.08}
		}
		c.Channels = append(c.Channels, ch)
		col := make([]float32, 37)
		for r := range col {
			col[r] = float32(math.Sin(float64(i*37+r))) * 1e-5
		}
		c.Data = append(c.Data, col)
	}
	return c
}

// TestDocPythonReader runs the reader in docs/wire-format.md on a chunk the
// Encoder wrote and checks every line it prints; then checks that its type
// checks reject a nullable column.
func TestDocPythonReader(t *testing.T) {
	script := docPythonReader(t)
	py := testenv.Python(t)

	c := interopChunk()
	path := filepath.Join(t.TempDir(), "chunk.arrows")
	if err := os.WriteFile(path, mustEncode(t, c), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runPython(t, py, script, path)
	if err != nil {
		t.Fatalf("doc reader failed: %v", err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("unexpected output line %q", sc.Text())
		}
		got[k] = v
	}
	jsonField := func(key string, dst any) {
		t.Helper()
		if err := json.Unmarshal([]byte(got[key]), dst); err != nil {
			t.Fatalf("output %s: %q: %v", key, got[key], err)
		}
	}

	var session string
	jsonField("session", &session)
	rate, err := strconv.ParseFloat(got["sample_rate"], 64)
	if err != nil || rate != c.SampleRate || session != c.Session {
		t.Errorf("session %q rate %q, want %q %v", session, got["sample_rate"], c.Session, c.SampleRate)
	}
	for key, want := range map[string]int64{"first_sample": c.FirstSample, "start_time_ns": c.StartTimeNS, "seq": c.Seq} {
		if got[key] != strconv.FormatInt(want, 10) {
			t.Errorf("%s: got %q, want %d", key, got[key], want)
		}
	}
	var labels, types, units []string
	jsonField("labels", &labels)
	jsonField("types", &types)
	jsonField("units", &units)
	for i, ch := range c.Channels {
		if i >= len(labels) || labels[i] != ch.Label || types[i] != string(ch.Type) || units[i] != ch.Unit {
			t.Fatalf("channels: got %q %q %q, want %+v", labels, types, units, c.Channels)
		}
	}
	var shape []int
	jsonField("shape", &shape)
	if !reflect.DeepEqual(shape, []int{len(c.Channels), c.Len()}) {
		t.Errorf("shape %v, want [%d %d]", shape, len(c.Channels), c.Len())
	}
	var first, last []float64
	jsonField("first_row", &first)
	jsonField("last_row", &last)
	for i, col := range c.Data {
		// pyarrow turns float32 into the float64 of equal value: exact.
		if first[i] != float64(col[0]) || last[i] != float64(col[len(col)-1]) {
			t.Errorf("channel %d: rows %v..%v, want %v..%v", i, first[i], last[i], col[0], col[len(col)-1])
		}
	}

	// The reader's checks are real: a nullable column is refused.
	f := f32Field("Fz")
	f.Nullable = true
	bad := filepath.Join(t.TempDir(), "nullable.arrows")
	if err := os.WriteFile(bad, arrowStream(t, arrow.NewSchema([]arrow.Field{f}, metaOf(goodMeta())),
		[]arrow.Array{f32Col(1, 2)}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runPython(t, py, script, bad); err == nil || !strings.Contains(err.Error(), "want non-nullable float32") {
		t.Errorf("doc reader accepted a nullable column (err %v)", err)
	}
}

// pythonWriter builds a chunk with pyarrow alone, the way a non-Go
// producer would, and writes it to argv[1]; argv[2] gets the same chunk
// with pyarrow's default nullable fields, which the decoder must refuse.
const pythonWriter = `
import sys

import pyarrow as pa

rows = 41
channels = [  # label, type, unit, pos
    ("Fz", "eeg", "V", "0.0,0.0714,0.0701"),
    ("C3,C4 bipolar", "eeg", "V", None),
    ("MEG 0113", "meg_grad", "T/m", "-0.1, 0.02, 0.05"),
    ("MEG 0111", "meg_mag", "T", None),
    ("Ünïcødé 脑电", "misc", "µV", None),
    ("STI 014", "stim", "V", None),
]
fields, columns = [], []
for c, (label, typ, unit, pos) in enumerate(channels):
    metadata = {"type": typ, "unit": unit}
    if pos is not None:
        metadata["pos"] = pos
    fields.append(pa.field(label, pa.float32(), nullable=False, metadata=metadata))
    columns.append(pa.array([(c * 1000 + r) / 1024 for r in range(rows)], type=pa.float32()))
metadata = {
    "neurostream.session": "sub-07/ses-é",
    "neurostream.sample_rate": repr(1000 / 3),
    "neurostream.first_sample": str(2**40 + 5),
    "neurostream.start_time_ns": str(1_700_000_000_123_456_789),
    "neurostream.seq": str(12),
    "neurostream.version": "1",
}
schema = pa.schema(fields, metadata=metadata)
with pa.OSFile(sys.argv[1], "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
    writer.write_batch(pa.record_batch(columns, schema=schema))

loose = pa.schema([pa.field(f.name, f.type, metadata=f.metadata) for f in fields], metadata=metadata)
with pa.OSFile(sys.argv[2], "wb") as sink, pa.ipc.new_stream(sink, loose) as writer:
    writer.write_batch(pa.record_batch(columns, schema=loose))
`

// TestDecodePyarrowWritten proves that a non-Go producer can write the
// format: Go decodes a chunk pyarrow built and gets exactly what it holds.
func TestDecodePyarrowWritten(t *testing.T) {
	py := testenv.Python(t)
	dir := t.TempDir()
	good, loose := filepath.Join(dir, "good.arrows"), filepath.Join(dir, "loose.arrows")
	if _, err := runPython(t, py, pythonWriter, good, loose); err != nil {
		t.Fatal(err)
	}

	want := &Chunk{Session: "sub-07/ses-é", SampleRate: 1000.0 / 3, FirstSample: 1<<40 + 5, StartTimeNS: 1_700_000_000_123_456_789, Seq: 12}
	for c, ch := range []formats.Channel{
		{Label: "Fz", Type: formats.EEG, Unit: "V", Pos: &[3]float64{0, 0.0714, 0.0701}},
		{Label: "C3,C4 bipolar", Type: formats.EEG, Unit: "V"},
		{Label: "MEG 0113", Type: formats.MEGGrad, Unit: "T/m", Pos: &[3]float64{-0.1, 0.02, 0.05}},
		{Label: "MEG 0111", Type: formats.MEGMag, Unit: "T"},
		{Label: "Ünïcødé 脑电", Type: formats.Misc, Unit: "µV"},
		{Label: "STI 014", Type: formats.Stim, Unit: "V"},
	} {
		ch.SampleRate = want.SampleRate
		want.Channels = append(want.Channels, ch)
		col := make([]float32, 41)
		for r := range col {
			col[r] = float32(c*1000+r) / 1024 // exact in float32 and float64
		}
		want.Data = append(want.Data, col)
	}

	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var got Chunk
	if err := NewDecoder(nil).Decode(&got, b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("decoded pyarrow chunk:\n got %+v\nwant %+v", got, *want)
	}
	if err := NewValidator(Reject).Check(&got); err != nil {
		t.Errorf("pyarrow chunk does not validate: %v", err)
	}

	b, err = os.ReadFile(loose)
	if err != nil {
		t.Fatal(err)
	}
	var de *DecodeError
	if err := NewDecoder(nil).Decode(&got, b); !errors.As(err, &de) || de.Column != "Fz" || !strings.Contains(de.Msg, "nullable=False") {
		t.Errorf("pyarrow default nullable fields: got %v, want a nullable column error naming Fz", err)
	}
}
