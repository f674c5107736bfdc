package tokenizer

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/internal/fileio"
)

// FileVersion is the vocabulary file format version Write writes for a
// vocabulary with power levels: version 2 adds them (the metadata
// neurostream.tokenizer.power_levels) to version 1, which Write still
// writes for a vocabulary without levels so that older builds read it.
// Read reads both.
const FileVersion = "2"

// fileVersion1 is the format without power levels.
const fileVersion1 = "1"

// Metadata keys of a vocabulary file's schema.
const (
	metaKind       = "neurostream.kind"
	metaVersion    = "neurostream.tokenizer.version"
	metaRate       = "neurostream.tokenizer.sample_rate"
	metaNFFT       = "neurostream.tokenizer.nfft"
	metaHop        = "neurostream.tokenizer.hop"
	metaBins       = "neurostream.tokenizer.bins"
	metaWindow     = "neurostream.tokenizer.window"
	metaPatch      = "neurostream.tokenizer.patch_bins"
	metaContext    = "neurostream.tokenizer.context"
	metaSize       = "neurostream.tokenizer.size"
	metaCells      = "neurostream.tokenizer.cells"
	metaProvenance = "neurostream.tokenizer.provenance"
	metaLevels     = "neurostream.tokenizer.power_levels"
	kindVocabulary = "tokenizer-vocabulary"
)

// powerLevels is the JSON of metaLevels.
type powerLevels struct {
	// Levels is the number of power levels per band and channel type.
	Levels int `json:"levels"`
	// Power says what is quantised (Token.Powers).
	Power string `json:"power"`
	// Bands are the bands, Bands of the build that wrote the file.
	Bands []fileBand `json:"bands"`
	// Edges are, per channel type, the Levels−1 ascending edges of each
	// band.
	Edges map[string][][]float64 `json:"edges"`
}

// fileBand is a Band in a file.
type fileBand struct {
	Name string `json:"name"`
	Low  int    `json:"low_hz"`
	High int    `json:"high_hz"`
}

// powerDefinition is powerLevels.Power: ln of the sum of the frame's power
// bins of each band (natural log of the unit²).
const powerDefinition = "ln band power"

// fileBands returns Bands as written in a file.
func fileBands() []fileBand {
	var fb []fileBand
	for _, b := range Bands {
		fb = append(fb, fileBand(b))
	}
	return fb
}

// Row levels of a vocabulary file.
const (
	levelCentroid = 0
	levelCodeword = 1
)

// schema returns the vocabulary file schema for motif vectors of dim
// values, with the given metadata.
func fileSchema(dim int, md arrow.Metadata) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "level", Type: arrow.PrimitiveTypes.Int8},
		{Name: "index", Type: arrow.PrimitiveTypes.Int32},
		{Name: "cell", Type: arrow.PrimitiveTypes.Int32},
		{Name: "count", Type: arrow.PrimitiveTypes.Int64},
		{Name: "vector", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float64)},
	}, &md)
}

// Write writes v as an Arrow IPC file: one row per coarse centroid (level
// 0: index = cell) and per codeword (level 1: index = token id, cell =
// its cell), with the training count and the vector as float64; the
// schema metadata holds the feature parameters, the provenance and the
// power level edges as JSON (docs/tokenizer.md). A vocabulary without
// power levels is written as version 1.
func (v *Vocabulary) Write(w io.WriteSeeker) error {
	prov, err := json.Marshal(v.Provenance)
	if err != nil {
		return err
	}
	fc := v.Features
	ctx := fc.Context
	mdKeys := []string{metaKind, metaVersion, metaRate, metaNFFT, metaHop, metaBins, metaWindow, metaPatch, metaContext, metaSize, metaCells, metaProvenance}
	mdVals := []string{kindVocabulary, fileVersion1, strconv.Itoa(SampleRate), strconv.Itoa(NFFT), strconv.Itoa(Hop), strconv.Itoa(Bins),
		"hann", strconv.Itoa(fc.PatchBins), strconv.Itoa(ctx), strconv.Itoa(v.Size()), strconv.Itoa(v.Cells()), string(prov)}
	if v.levels > 0 {
		// encoding/json writes float64 in the shortest form that reads
		// back to the same value, so the edges round-trip exactly.
		lv, err := json.Marshal(powerLevels{Levels: v.levels, Power: powerDefinition, Bands: fileBands(), Edges: v.edges})
		if err != nil {
			return err
		}
		mdVals[1] = FileVersion
		mdKeys, mdVals = append(mdKeys, metaLevels), append(mdVals, string(lv))
	}
	md := arrow.NewMetadata(mdKeys, mdVals)
	s := fileSchema(v.dim, md)
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	level := b.Field(0).(*array.Int8Builder)
	index := b.Field(1).(*array.Int32Builder)
	cell := b.Field(2).(*array.Int32Builder)
	count := b.Field(3).(*array.Int64Builder)
	vec := b.Field(4).(*array.FixedSizeListBuilder)
	vals := vec.ValueBuilder().(*array.Float64Builder)
	for c := range v.Cells() {
		var n int64
		for id := v.cellStart[c]; id < v.cellStart[c+1]; id++ {
			n += v.counts[id]
		}
		level.Append(levelCentroid)
		index.Append(int32(c))
		cell.Append(int32(c))
		count.Append(n)
		vec.Append(true)
		vals.AppendValues(v.centroids[c*v.dim:(c+1)*v.dim], nil)
	}
	for c := range v.Cells() {
		for id := v.cellStart[c]; id < v.cellStart[c+1]; id++ {
			level.Append(levelCodeword)
			index.Append(int32(id))
			cell.Append(int32(c))
			count.Append(v.counts[id])
			vec.Append(true)
			vals.AppendValues(v.Codeword(id), nil)
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	fw, err := ipc.NewFileWriter(w, ipc.WithSchema(s))
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// WriteFile writes v to path (see Write).
func (v *Vocabulary) WriteFile(path string) error {
	// fileio hands write the *os.File, which seeks.
	return fileio.WriteFile(path, func(w io.Writer) error { return v.Write(w.(io.WriteSeeker)) })
}

// ReadFile reads a vocabulary file written by Write; errors name the file
// and what is wrong.
func ReadFile(path string) (*Vocabulary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// Read reads a vocabulary from an Arrow IPC file written by Write (an
// *os.File or *bytes.Reader).
func Read(r interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}) (v *Vocabulary, err error) {
	// arrow/go v17's IPC reader indexes flatbuffers without bounds checks
	// and panics on some corrupt files; that is a bad file, not a bug here.
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("corrupt Arrow IPC file (%v)", p)
		}
	}()
	fr, err := ipc.NewFileReader(r)
	if err != nil {
		return nil, fmt.Errorf("not an Arrow IPC file: %w", err)
	}
	defer fr.Close()
	md := fr.Schema().Metadata()
	h, err := readMetadata(md)
	if err != nil {
		return nil, err
	}
	dim := h.fc.Dim()
	want := fileSchema(dim, md)
	if !fr.Schema().Equal(want) {
		return nil, fmt.Errorf("schema %v, want %v", fr.Schema(), want)
	}
	rows := newVocabRows(h.size, h.cells, dim)
	for i := range fr.NumRecords() {
		rec, err := fr.Record(i)
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		if err := rows.add(rec); err != nil {
			return nil, err
		}
	}
	cellStart, err := rows.cellStart()
	if err != nil {
		return nil, err
	}
	v = newVocabulary(h.fc, rows.centroids, cellStart, rows.codes, rows.counts)
	v.Provenance = h.prov
	v.levels, v.edges = h.lv.Levels, h.lv.Edges
	if err := v.check(); err != nil {
		return nil, err
	}
	return v, nil
}

// fileMetadata is what a vocabulary file's schema metadata says.
type fileMetadata struct {
	fc          FeatureConfig
	size, cells int
	prov        Provenance
	lv          powerLevels // version 2
}

// readMetadata checks a vocabulary file's kind, version and STFT, and
// reads its features, size and provenance.
func readMetadata(md arrow.Metadata) (fileMetadata, error) {
	var h fileMetadata
	get := func(k string) string {
		if i := md.FindKey(k); i >= 0 {
			return md.Values()[i]
		}
		return ""
	}
	if k := get(metaKind); k != kindVocabulary {
		return h, fmt.Errorf("schema metadata %s is %q, want %q: not a tokenizer vocabulary", metaKind, k, kindVocabulary)
	}
	ver := get(metaVersion)
	if ver != FileVersion && ver != fileVersion1 {
		return h, fmt.Errorf("vocabulary file version %q, this build reads %q and %q", ver, fileVersion1, FileVersion)
	}
	// The fixed STFT must be this build's.
	for _, c := range []struct {
		key  string
		want string
	}{{metaRate, strconv.Itoa(SampleRate)}, {metaNFFT, strconv.Itoa(NFFT)}, {metaHop, strconv.Itoa(Hop)}, {metaBins, strconv.Itoa(Bins)}, {metaWindow, "hann"}} {
		if got := get(c.key); got != c.want {
			return h, fmt.Errorf("metadata %s is %q, this build computes %q", c.key, got, c.want)
		}
	}
	atoi := func(k string, dst *int) error {
		n, err := strconv.Atoi(get(k))
		if err != nil {
			return fmt.Errorf("metadata %s: %q is not an integer", k, get(k))
		}
		*dst = n
		return nil
	}
	if err := atoi(metaPatch, &h.fc.PatchBins); err != nil {
		return h, err
	}
	if err := atoi(metaContext, &h.fc.Context); err != nil {
		return h, err
	}
	if h.fc.Context == 0 {
		h.fc.Context = NoContext
	}
	var err error
	if h.fc, err = h.fc.withDefaults(); err != nil {
		return h, err
	}
	if err := atoi(metaSize, &h.size); err != nil {
		return h, err
	}
	if err := atoi(metaCells, &h.cells); err != nil {
		return h, err
	}
	if h.size < 1 || h.size > MaxSize || h.cells < 1 || h.cells > h.size {
		return h, fmt.Errorf("metadata: %d tokens in %d cells: want 1 ≤ cells ≤ size ≤ %d", h.size, h.cells, MaxSize)
	}
	if err := json.Unmarshal([]byte(get(metaProvenance)), &h.prov); err != nil {
		return h, fmt.Errorf("metadata %s: %w", metaProvenance, err)
	}
	if ver == FileVersion {
		if h.lv, err = readLevels(get(metaLevels)); err != nil {
			return h, err
		}
	}
	return h, nil
}

// readLevels parses and checks the power levels of a version 2 file.
func readLevels(s string) (powerLevels, error) {
	var lv powerLevels
	if s == "" {
		return lv, fmt.Errorf("metadata %s: missing from a version %s file", metaLevels, FileVersion)
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lv); err != nil {
		return lv, fmt.Errorf("metadata %s: %w", metaLevels, err)
	}
	if lv.Power != powerDefinition || !slices.Equal(lv.Bands, fileBands()) {
		return lv, fmt.Errorf("metadata %s: power %q in bands %v, this build computes %q in %v", metaLevels, lv.Power, lv.Bands, powerDefinition, fileBands())
	}
	if err := checkLevels(lv.Levels, lv.Edges); err != nil {
		return lv, fmt.Errorf("metadata %s: %w", metaLevels, err)
	}
	return lv, nil
}

// vocabRows gathers a vocabulary file's rows: each cell's centroid and
// each token's codeword, count and cell, every one exactly once.
type vocabRows struct {
	dim          int
	centroids    []float64
	codes        []float64
	counts       []int64
	cellOf       []int
	seenC, seenT []bool
	// row counts the rows read, for errors.
	row int
}

func newVocabRows(size, cells, dim int) *vocabRows {
	return &vocabRows{
		dim:       dim,
		centroids: make([]float64, cells*dim),
		codes:     make([]float64, size*dim),
		counts:    make([]int64, size),
		cellOf:    make([]int, size),
		seenC:     make([]bool, cells),
		seenT:     make([]bool, size),
	}
}

// add reads the rows of one record batch.
func (r *vocabRows) add(rec arrow.Record) error {
	level := rec.Column(0).(*array.Int8)
	index := rec.Column(1).(*array.Int32)
	cell := rec.Column(2).(*array.Int32)
	count := rec.Column(3).(*array.Int64)
	vec := rec.Column(4).(*array.FixedSizeList)
	vals := vec.ListValues().(*array.Float64).Float64Values()
	cells, size, dim := len(r.seenC), len(r.seenT), r.dim
	for j := range int(rec.NumRows()) {
		if level.IsNull(j) || index.IsNull(j) || cell.IsNull(j) || vec.IsNull(j) {
			return fmt.Errorf("row %d: null value", r.row)
		}
		idx, c := int(index.Value(j)), int(cell.Value(j))
		off := (int(vec.Offset()) + j) * dim
		x := vals[off : off+dim]
		switch level.Value(j) {
		case levelCentroid:
			if idx < 0 || idx >= cells || r.seenC[idx] || c != idx {
				return fmt.Errorf("row %d: centroid index %d, cell %d: want each cell 0…%d once", r.row, idx, c, cells-1)
			}
			r.seenC[idx] = true
			copy(r.centroids[idx*dim:], x)
		case levelCodeword:
			if idx < 0 || idx >= size || r.seenT[idx] || c < 0 || c >= cells {
				return fmt.Errorf("row %d: token %d in cell %d: want each token 0…%d once in a cell 0…%d", r.row, idx, c, size-1, cells-1)
			}
			r.seenT[idx] = true
			copy(r.codes[idx*dim:], x)
			r.counts[idx] = count.Value(j)
			r.cellOf[idx] = c
		default:
			return fmt.Errorf("row %d: level %d, want 0 (centroid) or 1 (codeword)", r.row, level.Value(j))
		}
		r.row++
	}
	return nil
}

// cellStart checks that every cell and token had its row and that cells
// hold contiguous token ids, and returns where each cell's ids start.
func (r *vocabRows) cellStart() ([]int, error) {
	for c, ok := range r.seenC {
		if !ok {
			return nil, fmt.Errorf("no centroid row for cell %d", c)
		}
	}
	cells := len(r.seenC)
	cellStart := make([]int, cells+1)
	for id, ok := range r.seenT {
		if !ok {
			return nil, fmt.Errorf("no codeword row for token %d", id)
		}
		if id > 0 && r.cellOf[id] < r.cellOf[id-1] {
			return nil, fmt.Errorf("token %d is in cell %d after a token of cell %d: cells must hold contiguous ids", id, r.cellOf[id], r.cellOf[id-1])
		}
		cellStart[r.cellOf[id]+1]++
	}
	for c := range cells {
		cellStart[c+1] += cellStart[c]
	}
	return cellStart, nil
}
