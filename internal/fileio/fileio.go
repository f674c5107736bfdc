// Package fileio holds the file writing shared by packages that save
// results, models and recordings.
package fileio

import (
	"io"
	"os"
)

// WriteFile creates (or truncates) the file at path and fills it with
// write. A failed close is an error too: the data may not be on disk.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return write(f)
}
