package brainvision

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// The header's settings part is an INI file that MNE reads with Python's
// configparser.ConfigParser(interpolation=None). This is that parser's
// behaviour with its defaults: "=" and ":" delimiters, "#" and ";"
// full-line comments, keys lower-cased, values stripped, indented lines
// continuing the previous value (blank lines inside kept), a DEFAULT
// section whose keys every section inherits, and duplicate sections or
// keys rejected. Whatever configparser refuses is refused here.

// iniLine is one line of decoded text and the byte offset of its start in
// the file.
type iniLine struct {
	text string // without the trailing "\n"
	off  int64
}

type iniValue struct {
	parts []string // joined with "\n" and right-stripped on lookup
	off   int64    // offset of the line that started the value
}

func (v *iniValue) String() string { return pyparse.RStrip(strings.Join(v.parts, "\n")) }

type iniSection struct {
	name string
	off  int64
	keys []string // in file order
	vals map[string]*iniValue
}

func newSection(name string, off int64) *iniSection {
	return &iniSection{name: name, off: off, vals: map[string]*iniValue{}}
}

type iniFile struct {
	defaults *iniSection
	sections map[string]*iniSection
}

// iniError is a syntax error at a line; the caller turns it into a
// *formats.Error naming the file.
type iniError struct {
	off int64
	msg string
}

// parseINI parses lines as configparser.read_file does.
func parseINI(lines []iniLine) (*iniFile, *iniError) {
	f := &iniFile{defaults: newSection("DEFAULT", -1), sections: map[string]*iniSection{}}
	var cur *iniSection
	var opt *iniValue // the value being continued, nil right after a section header
	indent := 0
	for _, ln := range lines {
		line := ln.text
		stripped := pyparse.Strip(line)
		comment := strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";")
		if comment || stripped == "" {
			// A blank (not comment) line inside a value is kept as
			// an empty continuation line.
			if !comment && cur != nil && opt != nil {
				opt.parts = append(opt.parts, "")
			}
			continue
		}
		lead := 0 // leading whitespace, in characters as Python counts
		for _, r := range line {
			if !pyparse.IsSpace(r) {
				break
			}
			lead++
		}
		if cur != nil && opt != nil && lead > indent {
			opt.parts = append(opt.parts, stripped)
			continue
		}
		indent = lead
		if name, ok := sectionName(stripped); ok {
			opt = nil
			if name == "DEFAULT" {
				cur = f.defaults
				continue
			}
			if _, dup := f.sections[name]; dup {
				return nil, &iniError{ln.off, fmt.Sprintf("section [%s] appears twice", name)}
			}
			cur = newSection(name, ln.off)
			f.sections[name] = cur
			continue
		}
		if cur == nil {
			return nil, &iniError{ln.off, fmt.Sprintf("line %q comes before any [section] header", clip(line))}
		}
		i := strings.IndexAny(stripped, "=:")
		if i < 0 {
			return nil, &iniError{ln.off, fmt.Sprintf("line %q in [%s] is not key=value", clip(line), cur.name)}
		}
		key := strings.ToLower(pyparse.RStrip(stripped[:i]))
		if key == "" {
			return nil, &iniError{ln.off, fmt.Sprintf("line %q in [%s] has an empty key", clip(line), cur.name)}
		}
		if _, dup := cur.vals[key]; dup {
			return nil, &iniError{ln.off, fmt.Sprintf("key %q appears twice in [%s]", key, cur.name)}
		}
		opt = &iniValue{parts: []string{pyparse.Strip(stripped[i+1:])}, off: ln.off}
		cur.vals[key] = opt
		cur.keys = append(cur.keys, key)
	}
	return f, nil
}

// sectionName matches configparser's SECTCRE, `\[(?P<header>.+)\]`, at the
// start of a stripped line: the name runs to the last "]".
func sectionName(s string) (string, bool) {
	if !strings.HasPrefix(s, "[") {
		return "", false
	}
	j := strings.LastIndexByte(s, ']')
	if j < 2 {
		return "", false
	}
	return s[1:j], true
}

// section returns a section, or nil.
func (f *iniFile) section(name string) *iniSection { return f.sections[name] }

// get looks key up in section s, then in DEFAULT, as ConfigParser.get.
func (f *iniFile) get(s *iniSection, key string) (*iniValue, bool) {
	if v, ok := s.vals[key]; ok {
		return v, true
	}
	v, ok := f.defaults.vals[key]
	return v, ok
}

// items lists a section's keys as ConfigParser.items does: DEFAULT's keys
// first, then the section's own, a section value overriding a default.
func (f *iniFile) items(s *iniSection) []string {
	keys := make([]string, 0, len(f.defaults.keys)+len(s.keys))
	keys = append(keys, f.defaults.keys...)
	for _, k := range s.keys {
		if _, ok := f.defaults.vals[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
