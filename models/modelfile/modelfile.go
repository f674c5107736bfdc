// Package modelfile holds what every neurostream model file shares: a JSON
// object whose first two keys name its format and version, written and
// read the same way for every model family (models/seizure,
// models/ssvep), so that a reader refuses another family's file, or a
// version it does not know, with the same words.
//
// JSON numbers round-trip float64 exactly (encoding/json writes the
// shortest representation that parses back to the same value), so a model
// read back scores bit for bit like the one written.
package modelfile

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/neurostream/neurostream/internal/fileio"
)

// Header identifies a model file. Embed it first in a family's file
// struct: encoding/json then writes its fields as the object's first keys,
// "format" and "version".
type Header struct {
	// Format names the model family, e.g. "neurostream-seizure-logreg".
	Format string `json:"format"`
	// Version is the layout version within the family.
	Version int `json:"version"`
}

// header lets Read find the Header embedded in any file struct.
func (h *Header) header() *Header { return h }

// File is a model-file struct that embeds Header.
type File interface{ header() *Header }

// Kind is a model family as one build reads it.
type Kind struct {
	// Format is the family's format name.
	Format string
	// Oldest and Newest bound the versions this build reads.
	Oldest, Newest int
	// Strict refuses keys the file struct does not have. Default: false
	// (unknown keys are ignored).
	Strict bool
}

// Check returns an error when h is not of kind k: another format, or a
// version outside [k.Oldest, k.Newest].
func (k Kind) Check(h Header) error {
	if h.Format != k.Format {
		return fmt.Errorf("format %q, want %q", h.Format, k.Format)
	}
	switch {
	case h.Version >= k.Oldest && h.Version <= k.Newest:
		return nil
	case k.Oldest == k.Newest:
		return fmt.Errorf("version %d, this build reads version %d", h.Version, k.Newest)
	default:
		return fmt.Errorf("version %d, this build reads versions %d to %d", h.Version, k.Oldest, k.Newest)
	}
}

// Read decodes one JSON object from r into f and checks its header
// against k. Errors are the decoder's or Check's, for the caller to
// prefix with what it was loading.
func (k Kind) Read(r io.Reader, f File) error {
	dec := json.NewDecoder(r)
	if k.Strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(f); err != nil {
		return err
	}
	return k.Check(*f.header())
}

// Write encodes f to w as one JSON object and a newline, each level
// indented by indent ("" writes one line).
func Write(w io.Writer, f File, indent string) error {
	enc := json.NewEncoder(w)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(f)
}

// WriteFile creates the file at path and writes it with save (a model's
// Save method). A failed close is an error too: the model may not be on
// disk.
func WriteFile(path string, save func(io.Writer) error) error {
	return fileio.WriteFile(path, save)
}
