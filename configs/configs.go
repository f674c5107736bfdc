// Package configs holds the ready pipeline descriptions shipped with
// neurostream, embedded so the binary runs them with no files around it.
package configs

import "embed"

// FS holds every *.yaml in this folder.
//
//go:embed *.yaml
var FS embed.FS
