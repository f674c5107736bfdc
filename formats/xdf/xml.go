package xdf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Element is an XML element as pyxdf's _xml2dict sees it: a name, the
// text of a leaf element and the child elements in order. Attributes,
// comments and the text of elements that have children are dropped, as
// there.
type Element struct {
	Name     string
	Text     string
	Children []*Element
}

// Child returns the first child element named name, or nil.
func (e *Element) Child(name string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Value returns the text of the element reached from e by following the
// first child of each name in path, or "" when there is none.
func (e *Element) Value(path ...string) string {
	for _, p := range path {
		e = e.Child(p)
	}
	if e == nil {
		return ""
	}
	return e.Text
}

// All returns the child elements named name.
func (e *Element) All(name string) []*Element {
	if e == nil {
		return nil
	}
	var out []*Element
	for _, c := range e.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// maxDepth bounds the nesting of an XML header; LSL's own headers are a
// few levels deep.
const maxDepth = 256

// parseXML parses one XML document into its root element. Memory is a
// small multiple of len(b) (each element holds at least its tags' bytes).
func parseXML(b []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	// An LSL header declares UTF-8 or nothing; others are refused, as
	// expat refuses what it cannot decode.
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q not supported", label)
	}
	var root *Element
	var stack []*Element
	var text []byte
	for {
		// RawToken skips the name space bookkeeping Token does per
		// element (a third of the memory); end tags are matched here.
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("junk after the document element")
			}
			if len(stack) == maxDepth {
				return nil, fmt.Errorf("elements nested more than %d deep", maxDepth)
			}
			e := &Element{Name: qualified(t.Name)}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, e)
			} else {
				root = e
			}
			stack = append(stack, e)
			text = text[:0]
		case xml.CharData:
			if len(stack) > 0 {
				text = append(text, t...)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("unexpected end element </%s>", t.Name.Local)
			}
			e := stack[len(stack)-1]
			if name := qualified(t.Name); name != e.Name {
				return nil, fmt.Errorf("element <%s> closed by </%s>", e.Name, name)
			}
			if len(e.Children) == 0 {
				e.Text = string(text)
			}
			stack = stack[:len(stack)-1]
			text = text[:0]
		}
	}
	if root == nil {
		return nil, errors.New("no XML element")
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("element <%s> not closed", stack[len(stack)-1].Name)
	}
	return root, nil
}

// qualified is an element's name as written, with its prefix.
func qualified(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
