package open

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/internal/fileio"
)

// Inspection is an open recording and what `neurostream inspect` prints
// of it: a description (Write), its annotations as TSV
// (WriteAnnotations), or every sample as CSV (WriteCSV).
type Inspection struct {
	// Path is the recording's path as given to Inspect.
	Path string
	// Recording is the open recording; Close closes it.
	Recording formats.Recording
}

// Inspect opens the recording at path (see File) for inspection.
func Inspect(path string, opt Options) (*Inspection, error) {
	rec, err := File(path, opt)
	if err != nil {
		return nil, err
	}
	return &Inspection{Path: path, Recording: rec}, nil
}

// Close closes the recording.
func (in *Inspection) Close() error { return in.Recording.Close() }

// shownAnnotations is how many annotations Write lists one by one.
const shownAnnotations = 20

// Write describes the recording: format, shape, rate, duration, start,
// a table of channels, and the annotations counted by description with
// the first 20 listed.
func (in *Inspection) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	info := in.Recording.Info()
	fmt.Fprintf(bw, "file:        %s\n", in.Path)
	fmt.Fprintf(bw, "format:      %s\n", info.Format)
	fmt.Fprintf(bw, "channels:    %d\n", len(info.Channels))
	fmt.Fprintf(bw, "sample rate: %s Hz\n", strconv.FormatFloat(info.SampleRate, 'g', -1, 64))
	fmt.Fprintf(bw, "samples:     %d\n", info.NSamples)
	fmt.Fprintf(bw, "duration:    %.3f s\n", info.Duration())
	if !info.StartTime.IsZero() {
		fmt.Fprintf(bw, "start:       %s\n", info.StartTime.UTC().Format("2006-01-02T15:04:05.999999999Z"))
	}
	fmt.Fprintf(bw, "annotations: %d\n\n", len(info.Annotations))
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tlabel\ttype\tunit\trate Hz\tposition (m)")
	for i, c := range info.Channels {
		pos := "-"
		if c.Pos != nil {
			pos = fmt.Sprintf("%.4f,%.4f,%.4f", c.Pos[0], c.Pos[1], c.Pos[2])
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i, c.Label, c.Type, c.Unit, strconv.FormatFloat(c.SampleRate, 'g', -1, 64), pos)
	}
	tw.Flush()
	if len(info.Annotations) > 0 {
		writeAnnotationSummary(bw, info.Annotations)
	}
	return bw.Flush()
}

// writeAnnotationSummary counts the annotations by description, in order
// of first appearance, and lists the first shownAnnotations.
func writeAnnotationSummary(w io.Writer, anns []formats.Annotation) {
	fmt.Fprintln(w)
	counts := map[string]int{}
	var order []string
	for _, a := range anns {
		if counts[a.Description] == 0 {
			order = append(order, a.Description)
		}
		counts[a.Description]++
	}
	fmt.Fprintln(w, "annotation counts:")
	for _, d := range order {
		fmt.Fprintf(w, "  %6d  %s\n", counts[d], d)
	}
	fmt.Fprintln(w, "\nannotations (onset s, duration s, description):")
	for _, a := range anns[:min(shownAnnotations, len(anns))] {
		fmt.Fprintf(w, "  %10.3f  %8.3f  %s\n", a.Onset, a.Duration, a.Description)
	}
	if n := len(anns) - shownAnnotations; n > 0 {
		fmt.Fprintf(w, "  … %d more (--annotations lists all)\n", n)
	}
}

// WriteAnnotations writes the annotations as TSV with a header line:
// onset and duration in seconds (shortest exact decimal), description
// with tabs and line feeds as spaces.
func (in *Inspection) WriteAnnotations(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "onset\tduration\tdescription")
	clean := strings.NewReplacer("\t", " ", "\n", " ")
	for _, a := range in.Recording.Info().Annotations {
		fmt.Fprintf(bw, "%s\t%s\t%s\n", strconv.FormatFloat(a.Onset, 'f', -1, 64), strconv.FormatFloat(a.Duration, 'f', -1, 64), clean.Replace(a.Description))
	}
	return bw.Flush()
}

// csvBlock is how many samples WriteCSV reads at a time.
const csvBlock = 4096

// WriteCSV writes every sample in SI units as CSV: a header line of
// channel labels (quoted where CSV needs it), then a row per sample with
// each value as the shortest decimal that reads back exactly. It streams
// the recording in blocks, so memory stays constant in its length.
func (in *Inspection) WriteCSV(w io.Writer) error {
	rec := in.Recording
	bw := bufio.NewWriterSize(w, 1<<16)
	info := rec.Info()
	for i, c := range info.Channels {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(csvField(c.Label))
	}
	bw.WriteByte('\n')
	full := make([][]float64, len(info.Channels))
	for c := range full {
		full[c] = make([]float64, csvBlock)
	}
	buf := make([][]float64, len(info.Channels))
	var num []byte
	for start := int64(0); start < info.NSamples; start += csvBlock {
		stop := min(start+csvBlock, info.NSamples)
		for c := range buf {
			buf[c] = full[c][:stop-start]
		}
		if err := rec.ReadSamples(buf, start, stop); err != nil {
			return err
		}
		for i := range stop - start {
			for c := range buf {
				if c > 0 {
					bw.WriteByte(',')
				}
				num = strconv.AppendFloat(num[:0], buf[c][i], 'g', -1, 64)
				bw.Write(num)
			}
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

// WriteCSVFile writes the CSV of WriteCSV to a new file at path
// (truncating one that exists).
func (in *Inspection) WriteCSVFile(path string) error {
	return fileio.WriteFile(path, in.WriteCSV)
}

// csvField quotes s as CSV needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
