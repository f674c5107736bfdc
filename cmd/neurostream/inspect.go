package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/pipeline/config"
)

func newInspectCmd() *cobra.Command {
	var (
		dumpCSV     string
		annotations bool
		textOpt     text.Options
	)
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Describe a recording: channels, types, units, rates, duration, annotations",
		Long: "inspect opens any supported recording (EDF/EDF+/BDF, BrainVision, GDF, FIF, text/CSV) and prints\n" +
			"what it holds. --dump-csv writes every sample in SI units (V, T, T/m) as CSV; --annotations prints\n" +
			"the annotations as TSV (onset, duration, description) instead of the description.",
		Example: "  neurostream inspect recording.edf\n  neurostream inspect --annotations recording.edf\n" +
			"  neurostream inspect --dump-csv samples.csv recording.vhdr\n  neurostream inspect --rate 173.61 Z001.txt",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := open.File(args[0], open.Options{Text: textOpt})
			if err != nil {
				return inspectTextFlags.Rename(err)
			}
			defer rec.Close()
			out := cmd.OutOrStdout()
			if annotations {
				return writeAnnotations(out, rec.Info().Annotations)
			}
			if dumpCSV != "" {
				return dumpSamples(dumpCSV, rec)
			}
			describe(out, args[0], rec.Info())
			return nil
		},
	}
	cmd.Flags().StringVar(&dumpCSV, "dump-csv", "", "write all samples in SI units to this CSV file (- for stdout)")
	cmd.Flags().BoolVar(&annotations, "annotations", false, "print annotations as TSV: onset, duration, description")
	cmd.Flags().Float64Var(&textOpt.SampleRate, "rate", 0, "sample rate in Hz of a plain-text file")
	cmd.Flags().StringVar(&textOpt.Unit, "unit", "uV", "unit of the numbers in a plain-text file")
	cmd.Flags().StringVar(&textOpt.TimeColumn, "time-column", "", "CSV column of timestamps in seconds (not a channel)")
	cmd.Flags().StringVar(&textOpt.MarkerColumn, "marker-column", "", "CSV column of event codes (becomes annotations)")
	return cmd
}

// inspectTextFlags are inspect's names for the plain-text options.
var inspectTextFlags = config.TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "--time-column", MarkerColumn: "--marker-column"}

func describe(w io.Writer, path string, in *formats.Info) {
	fmt.Fprintf(w, "file:        %s\n", path)
	fmt.Fprintf(w, "format:      %s\n", in.Format)
	fmt.Fprintf(w, "channels:    %d\n", len(in.Channels))
	fmt.Fprintf(w, "sample rate: %s Hz\n", strconv.FormatFloat(in.SampleRate, 'g', -1, 64))
	fmt.Fprintf(w, "samples:     %d\n", in.NSamples)
	fmt.Fprintf(w, "duration:    %.3f s\n", in.Duration())
	if !in.StartTime.IsZero() {
		fmt.Fprintf(w, "start:       %s\n", in.StartTime.UTC().Format("2006-01-02T15:04:05.999999999Z"))
	}
	fmt.Fprintf(w, "annotations: %d\n\n", len(in.Annotations))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tlabel\ttype\tunit\trate Hz\tposition (m)")
	for i, c := range in.Channels {
		pos := "-"
		if c.Pos != nil {
			pos = fmt.Sprintf("%.4f,%.4f,%.4f", c.Pos[0], c.Pos[1], c.Pos[2])
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i, c.Label, c.Type, c.Unit, strconv.FormatFloat(c.SampleRate, 'g', -1, 64), pos)
	}
	tw.Flush()
	if len(in.Annotations) > 0 {
		fmt.Fprintln(w)
		counts := map[string]int{}
		var order []string
		for _, a := range in.Annotations {
			if counts[a.Description] == 0 {
				order = append(order, a.Description)
			}
			counts[a.Description]++
		}
		fmt.Fprintln(w, "annotation counts:")
		for _, d := range order {
			fmt.Fprintf(w, "  %6d  %s\n", counts[d], d)
		}
		const show = 20
		fmt.Fprintln(w, "\nannotations (onset s, duration s, description):")
		for _, a := range in.Annotations[:min(show, len(in.Annotations))] {
			fmt.Fprintf(w, "  %10.3f  %8.3f  %s\n", a.Onset, a.Duration, a.Description)
		}
		if n := len(in.Annotations) - show; n > 0 {
			fmt.Fprintf(w, "  … %d more (--annotations lists all)\n", n)
		}
	}
}

func writeAnnotations(w io.Writer, ann []formats.Annotation) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "onset\tduration\tdescription")
	for _, a := range ann {
		d := strings.NewReplacer("\t", " ", "\n", " ").Replace(a.Description)
		fmt.Fprintf(bw, "%s\t%s\t%s\n", strconv.FormatFloat(a.Onset, 'f', -1, 64), strconv.FormatFloat(a.Duration, 'f', -1, 64), d)
	}
	return bw.Flush()
}

// dumpSamples streams the whole recording to CSV in blocks, so memory stays
// constant in recording length.
func dumpSamples(path string, rec formats.Recording) (err error) {
	var w io.Writer = os.Stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	in := rec.Info()
	for i, c := range in.Channels {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(csvField(c.Label))
	}
	bw.WriteByte('\n')
	const block = 4096
	full := make([][]float64, len(in.Channels))
	for c := range full {
		full[c] = make([]float64, block)
	}
	buf := make([][]float64, len(in.Channels))
	var num []byte
	for start := int64(0); start < in.NSamples; start += block {
		stop := min(start+block, in.NSamples)
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

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
