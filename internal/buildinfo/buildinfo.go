// Package buildinfo names the running neurostream build, for --version and
// for the provenance every result file carries.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Info is what the Go toolchain recorded about the running binary.
type Info struct {
	// Module is the main module's path; Version its version: a tag, a
	// pseudo-version, or "(devel)" for a build from a checkout.
	Module, Version string
	// Revision is the VCS commit the binary was built from, Time its
	// commit time (RFC 3339), Modified whether the work tree had
	// uncommitted changes; all empty or false when the toolchain recorded
	// no VCS information (go test, or -buildvcs=false).
	Revision, Time string
	Modified       bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown"}
	}
	in := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the one-line form: "(devel) rev 2497a83c… (modified)
// 2026-01-02T03:04:05Z go1.26.0" (the full 40-digit revision);
// the revision part is left out when none was recorded.
func (in Info) String() string {
	parts := []string{in.Version}
	if in.Revision != "" {
		parts = append(parts, "rev "+in.Revision)
		if in.Modified {
			parts = append(parts, "(modified)")
		}
		if in.Time != "" {
			parts = append(parts, in.Time)
		}
	}
	if in.GoVersion != "" {
		parts = append(parts, in.GoVersion)
	}
	return strings.Join(parts, " ")
}
