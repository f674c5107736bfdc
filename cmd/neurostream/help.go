package main

import (
	"embed"
	"strings"
)

// The long help and examples of the commands are plain text in help/,
// named COMMAND.long.txt and COMMAND.example.txt, so they read and diff
// as the text users see.
//
//go:embed help/*.txt
var helpFiles embed.FS

// help returns the text of help/NAME.txt; a missing file is a bug
// caught by any test that builds the command tree.
func help(name string) string {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic("cmd/neurostream: no help text " + name)
	}
	return strings.TrimSuffix(string(b), "\n")
}
