package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/tokenizer"
)

// Input names recordings and the channels to read from them.
type Input struct {
	// Paths are recordings: files, or folders searched recursively for
	// the files formats/open reads. Required.
	Paths []string
	// Channels are the labels of the channels to read, in this order;
	// every recording must have them all.
	// Default: every EEG and MEG channel of each recording.
	Channels []string
	// Text says what plain-text recordings do not: Text.SampleRate is
	// required for them unless Text.TimeColumn names a time column.
	// Default: no rate (plain-text recordings are refused), unit µV.
	Text text.Options
	// ChannelFiles reads recordings stored one channel per file: a
	// file-name pattern (e.g. "ch*.inp"); each folder under Paths that
	// holds such files is one recording, its channels those files in
	// name order (formats/open, Options.ChannelFiles). Default: "",
	// every file is a recording.
	ChannelFiles string
}

// open returns the readers' options in sets.
func (in Input) open() open.Options {
	return open.Options{Text: in.Text, ChannelFiles: in.ChannelFiles}
}

// Files expands in.Paths into recording files: a file stays itself, a
// folder gives its recordings in name order.
func (in Input) Files() ([]string, error) {
	if len(in.Paths) == 0 {
		return nil, fmt.Errorf("give %w", &FieldError{Field: "corpus.Input.Paths"})
	}
	var files []string
	for _, d := range in.Paths {
		fs, err := open.Find(d, in.open())
		if err != nil {
			return nil, &FieldError{Field: "corpus.Input.Paths", Msg: d, Err: err}
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		return nil, &FieldError{Field: "corpus.Input.Paths", Err: errors.New("no recordings found")}
	}
	return files, nil
}

// Recording is the analysed channels of one recording, read whole.
type Recording struct {
	// Path is the file read.
	Path string
	// Info describes the whole recording (every channel).
	Info *formats.Info
	// Labels are the labels of the channels read, X's rows, and Types
	// their channel types.
	Labels []string
	Types  []formats.ChannelType
	// X[c] is channel Labels[c] at Info.SampleRate, in SI units.
	X [][]float64
}

// Read opens path and reads its analysed channels whole: in.Channels, or
// every EEG and MEG channel.
func (in Input) Read(path string) (*Recording, error) {
	if in.Text.SampleRate == 0 && in.Text.TimeColumn == "" && (open.Detect(path) == open.KindText || in.ChannelFiles != "" && isDir(path)) {
		return nil, fmt.Errorf("%s: plain-text recording: give its sample rate with %w", path, &FieldError{Field: "corpus.Input.Text.SampleRate"})
	}
	r, err := open.File(path, in.open())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	idx, labels, err := in.pick(path, info)
	if err != nil {
		return nil, err
	}
	all, err := formats.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rec := &Recording{Path: path, Info: info, Labels: labels}
	for _, i := range idx {
		rec.X = append(rec.X, all[i])
		rec.Types = append(rec.Types, info.Channels[i].Type)
	}
	return rec, nil
}

// isDir reports whether path is a folder (with ChannelFiles, a recording
// of channel files).
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// pick returns the indices and labels of the channels Read reads.
func (in Input) pick(path string, info *formats.Info) (idx []int, labels []string, err error) {
	if len(in.Channels) == 0 {
		for i, ch := range info.Channels {
			switch ch.Type {
			case formats.EEG, formats.MEGMag, formats.MEGGrad:
				idx = append(idx, i)
				labels = append(labels, ch.Label)
			}
		}
		if len(idx) == 0 {
			return nil, nil, fmt.Errorf("%s: no EEG or MEG channels; name them with %w", path, &FieldError{Field: "corpus.Input.Channels"})
		}
		return idx, labels, nil
	}
	all := info.Labels()
	for _, want := range in.Channels {
		i := slices.Index(all, want)
		if i < 0 {
			return nil, nil, fmt.Errorf("%s: no channel %q (channels: %s)", path, want, strings.Join(all, ","))
		}
		idx = append(idx, i)
		labels = append(labels, want)
	}
	return idx, labels, nil
}

// Source describes the recording at path for a vocabulary's provenance:
// its size and SHA-256 (the rate, channels and motifs are the caller's);
// a folder of channel files (ChannelFiles) is hashed as its channel files
// one after the other, in name order.
func (in Input) Source(path string) (tokenizer.Source, error) {
	files := []string{path}
	if in.ChannelFiles != "" && isDir(path) {
		var err error
		if files, err = open.ChannelFiles(path, in.ChannelFiles); err != nil {
			return tokenizer.Source{}, err
		}
	}
	h := sha256.New()
	var n int64
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return tokenizer.Source{}, err
		}
		m, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return tokenizer.Source{}, fmt.Errorf("%s: %w", name, err)
		}
		n += m
	}
	return tokenizer.Source{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
