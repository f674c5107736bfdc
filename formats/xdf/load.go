package xdf

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// File is a whole XDF file in memory, as pyxdf's load_xdf returns it.
type File struct {
	// Name is the path or name the file was opened by.
	Name string
	// Version is the file header's version ("1.0"); Header its <info>
	// element (LabRecorder adds <datetime>, the time the file was
	// created), nil when the file has none.
	Version string
	Header  *Element
	// Streams are in the order of their headers in the file.
	Streams []*Stream
	// Warnings says what was wrong with a damaged file and what was read
	// instead, one sentence each, naming the file and byte (see
	// formats.Info.Warnings).
	Warnings []string
}

// Stream returns the stream with the given id, or nil.
func (f *File) Stream(id uint32) *Stream {
	for _, s := range f.Streams {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Load reads the XDF file at path with every stream's values, then
// synchronises and dejitters the time stamps as sync says, as pyxdf's
// load_xdf(path, synchronize_clocks=…, dejitter_timestamps=…) does.
// Memory is a small multiple of the file's size; for long recordings
// prefer Open, which reads samples on demand.
func Load(path string, sync Sync) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	return Read(fh, st.Size(), path, sync)
}

// Read is Load for size bytes of r, named name in errors and warnings.
func Read(r io.ReaderAt, size int64, name string, sync Sync) (*File, error) {
	if err := sync.Validate(); err != nil {
		return nil, err
	}
	p := newParser(r, size, name, func(*Stream) valueMode { return keepValues })
	if err := p.run(); err != nil {
		return nil, err
	}
	process(p.f, sync, p.fileWarn)
	p.summarizeWarnings()
	return p.f, nil
}

// fileWarn records a warning about the file's streams, at most
// maxWarnings of each kind.
func (p *parser) fileWarn(format string, args ...any) {
	if p.warned == nil {
		p.warned = map[string]int{}
	}
	if p.warned[format]++; p.warned[format] > maxWarnings {
		return
	}
	w := p.f.Name + ": " + fmt.Sprintf(format, args...)
	if !slices.Contains(p.f.Warnings, w) {
		p.f.Warnings = append(p.f.Warnings, w)
	}
}
