package lsl

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// IrregularRate is the nominal rate of a stream without a regular rate
// (markers, events): liblsl's LSL_IRREGULAR_RATE.
const IrregularRate = 0.0

// ProtocolVersion is the protocol this package speaks, ×100 as in the
// info's version field (1.10).
const ProtocolVersion = 110

// Limits on stream info documents from the network. An info over them is
// refused with an error naming the limit, never allocated.
const (
	// MaxInfoSize bounds one info XML document in bytes.
	MaxInfoSize = 8 << 20
	// maxInfoDepth bounds the nesting of desc elements.
	maxInfoDepth = 64
	// maxInfoElements bounds the number of elements in one document.
	maxInfoElements = 1 << 17
	// MaxChannelCount bounds channel_count in any info this package
	// accepts; inlets have a smaller configurable bound (InletConfig).
	MaxChannelCount = 1 << 20
)

// StreamInfo describes one stream: liblsl's stream_info. An outlet fills
// the fields after Name…SourceID and Desc; a resolved info has them all,
// and Desc only once an inlet fetched the full info.
type StreamInfo struct {
	// Name of the stream, required ("BioSemi", "PsychoPy markers").
	Name string
	// Type by convention of the XDF meta-data project ("EEG", "MEG",
	// "Markers", "Gaze").
	Type string
	// ChannelCount is the number of values per sample.
	ChannelCount int
	// NominalRate is the sampling rate in Hz, or IrregularRate (0).
	NominalRate float64
	// Format of every value.
	Format ChannelFormat
	// SourceID identifies the source (device serial number…); an inlet
	// recovers from an outlet restart by finding the same SourceID again.
	SourceID string

	// Version is the protocol version ×100 (110).
	Version int
	// CreatedAt is the outlet's LSL clock when it was created, in seconds.
	CreatedAt float64
	// UID is unique per outlet instance; it changes when an outlet restarts.
	UID string
	// SessionID is the lab's session ([lab] SessionID, "default").
	SessionID string
	// Hostname of the outlet's machine.
	Hostname string
	// V4Address is where the outlet answered from, filled by the resolver
	// (the outlet leaves it empty). V4DataPort is its TCP data port and
	// V4ServicePort its UDP info and time port.
	V4Address     string
	V4DataPort    int
	V4ServicePort int
	// V6Address, V6DataPort and V6ServicePort are liblsl's IPv6 endpoints,
	// kept as received; this package connects over IPv4 only.
	V6Address     string
	V6DataPort    int
	V6ServicePort int

	// Desc is the <desc> element: free-form meta-data (channels,
	// acquisition, …). Nil means empty.
	Desc *Element
}

// Element is one XML element of a desc tree. Attributes are not kept:
// liblsl's API neither writes nor reads them.
type Element struct {
	Name string
	// Text is the element's own character data; whitespace-only runs
	// between child elements are dropped, as pugixml does.
	Text     string
	Children []*Element
}

// Child returns the first child named name, or nil. A nil e has no
// children.
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

// ChildText returns the text of the first child named name, or "".
func (e *Element) ChildText(name string) string {
	if c := e.Child(name); c != nil {
		return c.Text
	}
	return ""
}

// Append adds a child element with the given text and returns it.
func (e *Element) Append(name, text string) *Element {
	c := &Element{Name: name, Text: text}
	e.Children = append(e.Children, c)
	return c
}

// Clone returns a deep copy; nil for nil.
func (e *Element) Clone() *Element {
	if e == nil {
		return nil
	}
	c := &Element{Name: e.Name, Text: e.Text}
	if len(e.Children) > 0 {
		c.Children = make([]*Element, len(e.Children))
		for i, ch := range e.Children {
			c.Children[i] = ch.Clone()
		}
	}
	return c
}

// ChannelInfo is one desc/channels/channel entry, the XDF meta-data
// convention LabRecorder, MNE-LSL and amplifier apps follow.
type ChannelInfo struct {
	Label string
	// Unit as written by the source ("microvolts", "uV", "µV", "V").
	Unit string
	// Type of the channel ("EEG", "EOG", "Trigger", …).
	Type string
}

// Channels returns desc/channels/channel in order; nil when the info has
// none.
func (s StreamInfo) Channels() []ChannelInfo {
	chs := s.Desc.Child("channels")
	if chs == nil {
		return nil
	}
	var out []ChannelInfo
	for _, c := range chs.Children {
		if c.Name != "channel" {
			continue
		}
		out = append(out, ChannelInfo{Label: c.ChildText("label"), Unit: c.ChildText("unit"), Type: c.ChildText("type")})
	}
	return out
}

// SetChannels replaces desc/channels with one channel element per entry
// (label, unit and type children; empty fields are left out).
func (s *StreamInfo) SetChannels(chs []ChannelInfo) {
	if s.Desc == nil {
		s.Desc = &Element{Name: "desc"}
	}
	el := &Element{Name: "channels"}
	for _, c := range chs {
		ch := el.Append("channel", "")
		for _, kv := range [...][2]string{{"label", c.Label}, {"unit", c.Unit}, {"type", c.Type}} {
			if kv[1] != "" {
				ch.Append(kv[0], kv[1])
			}
		}
	}
	s.Desc.replace(el)
}

// Acquisition is desc/acquisition: the device that recorded the stream.
type Acquisition struct {
	Manufacturer string
	Model        string
	SerialNumber string
}

// Acquisition returns desc/acquisition's common fields (zero when absent);
// the rest of it is in Desc.Child("acquisition").
func (s StreamInfo) Acquisition() Acquisition {
	a := s.Desc.Child("acquisition")
	return Acquisition{Manufacturer: a.ChildText("manufacturer"), Model: a.ChildText("model"), SerialNumber: a.ChildText("serial_number")}
}

// SetAcquisition replaces desc/acquisition (empty fields are left out).
func (s *StreamInfo) SetAcquisition(a Acquisition) {
	if s.Desc == nil {
		s.Desc = &Element{Name: "desc"}
	}
	el := &Element{Name: "acquisition"}
	for _, kv := range [...][2]string{{"manufacturer", a.Manufacturer}, {"model", a.Model}, {"serial_number", a.SerialNumber}} {
		if kv[1] != "" {
			el.Append(kv[0], kv[1])
		}
	}
	s.Desc.replace(el)
}

// replace swaps the first child named like el for el, or appends it.
func (e *Element) replace(el *Element) {
	for i, c := range e.Children {
		if c.Name == el.Name {
			e.Children[i] = el
			return
		}
	}
	e.Children = append(e.Children, el)
}

// Clone returns a deep copy of s.
func (s StreamInfo) Clone() StreamInfo {
	s.Desc = s.Desc.Clone()
	return s
}

// Validate checks what an outlet needs: a name, a known format, channel
// count and rate in range.
func (s *StreamInfo) Validate() error {
	switch {
	case s.Name == "":
		return errors.New("lsl: stream info: Name is required")
	case !s.Format.valid():
		return fmt.Errorf("lsl: stream info %q: Format %v is not a channel format", s.Name, s.Format)
	case s.ChannelCount < 1 || s.ChannelCount > MaxChannelCount:
		return fmt.Errorf("lsl: stream info %q: ChannelCount %d outside 1..%d", s.Name, s.ChannelCount, MaxChannelCount)
	case s.NominalRate < 0 || math.IsNaN(s.NominalRate) || math.IsInf(s.NominalRate, 0):
		return fmt.Errorf("lsl: stream info %q: NominalRate %v must be finite and ≥ 0", s.Name, s.NominalRate)
	}
	return nil
}

// XML returns the info document as liblsl writes it: pugixml's layout
// (tab indents, <empty />), fields in liblsl's order. full=false writes the
// shortinfo (an empty <desc />), which discovery replies carry; full=true
// adds Desc, as the fullinfo request returns.
func (s *StreamInfo) XML(full bool) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\"?>\n<info>\n")
	field := func(name, val string) {
		b.WriteString("\t<")
		b.WriteString(name)
		b.WriteByte('>')
		xmlEscape(&b, val)
		b.WriteString("</")
		b.WriteString(name)
		b.WriteString(">\n")
	}
	field("name", s.Name)
	field("type", s.Type)
	field("channel_count", strconv.Itoa(s.ChannelCount))
	field("channel_format", s.Format.String())
	field("source_id", s.SourceID)
	field("nominal_srate", formatDouble(s.NominalRate))
	field("version", formatDouble(float64(s.Version)/100))
	field("created_at", formatDouble(s.CreatedAt))
	field("uid", s.UID)
	field("session_id", s.SessionID)
	field("hostname", s.Hostname)
	field("v4address", s.V4Address)
	field("v4data_port", strconv.Itoa(s.V4DataPort))
	field("v4service_port", strconv.Itoa(s.V4ServicePort))
	field("v6address", s.V6Address)
	field("v6data_port", strconv.Itoa(s.V6DataPort))
	field("v6service_port", strconv.Itoa(s.V6ServicePort))
	if full && s.Desc != nil && (len(s.Desc.Children) > 0 || s.Desc.Text != "") {
		d := *s.Desc
		d.Name = "desc"
		writeElement(&b, &d, 1)
	} else {
		b.WriteString("\t<desc />\n")
	}
	b.WriteString("</info>\n")
	return b.Bytes()
}

// writeElement writes e indented by depth tabs, or with depth < 0 on one
// line: an element with both text and children is written on one line,
// since indenting would add white space to its text.
func writeElement(b *bytes.Buffer, e *Element, depth int) {
	inline := depth < 0 || e.Text != "" && len(e.Children) > 0
	if depth >= 0 {
		b.WriteString(strings.Repeat("\t", depth))
	}
	b.WriteByte('<')
	b.WriteString(e.Name)
	switch {
	case len(e.Children) == 0 && e.Text == "":
		b.WriteString(" />")
	case len(e.Children) == 0:
		b.WriteByte('>')
		xmlEscape(b, e.Text)
	case inline:
		b.WriteByte('>')
		xmlEscape(b, e.Text)
		for _, c := range e.Children {
			writeElement(b, c, -1)
		}
	default:
		b.WriteString(">\n")
		for _, c := range e.Children {
			writeElement(b, c, depth+1)
		}
		b.WriteString(strings.Repeat("\t", depth))
	}
	if len(e.Children) > 0 || e.Text != "" {
		b.WriteString("</")
		b.WriteString(e.Name)
		b.WriteByte('>')
	}
	if depth >= 0 {
		b.WriteByte('\n')
	}
}

// xmlEscape writes character data as pugixml does (&, < and > escaped,
// quotes as they are), except that \r is escaped so that it survives
// parsing, and what XML 1.0 cannot hold (other control characters,
// invalid UTF-8) becomes U+FFFD, as encoding/xml writes it.
func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\t' || r == '\n' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF:
			b.WriteRune(r) // invalid UTF-8 ranges as U+FFFD
		default:
			b.WriteRune(0xFFFD)
		}
	}
}

// formatDouble writes v as liblsl's to_string(double) does (C++
// setprecision(16) with showpoint): 16 significant digits, trailing zeros
// kept ("250.0000000000000", "1.100000000000000", "1.000000000000000e-05").
func formatDouble(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	e := strconv.FormatFloat(v, 'e', 15, 64) // d.ddddddddddddddde±XX
	i := strings.LastIndexByte(e, 'e')
	exp, _ := strconv.Atoi(e[i+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	return strconv.FormatFloat(v, 'f', 15-exp, 64)
}

// ParseInfo parses a shortinfo or fullinfo document with liblsl's rules:
// name and uid non-empty, channel_format known, channel_count and ports in
// range, version > 0. Text around the document (a discovery reply's query
// id line is cut off by the caller) is an error. The document must be at
// most MaxInfoSize bytes, its desc at most 64 deep and 131072 elements.
func ParseInfo(doc []byte) (StreamInfo, error) {
	var s StreamInfo
	if len(doc) > MaxInfoSize {
		return s, fmt.Errorf("lsl: stream info: %d bytes, over the %d-byte limit", len(doc), MaxInfoSize)
	}
	root, err := parseXML(doc)
	if err != nil {
		return s, fmt.Errorf("lsl: stream info: %w", err)
	}
	if root.Name != "info" {
		return s, fmt.Errorf("lsl: stream info: root element <%s>, want <info>", root.Name)
	}
	bad := func(field string, err error) (StreamInfo, error) {
		return StreamInfo{}, fmt.Errorf("lsl: stream info %q: <%s>: %w", root.ChildText("name"), field, err)
	}
	s.Name = root.ChildText("name")
	if s.Name == "" {
		return s, errors.New("lsl: stream info: empty <name>")
	}
	s.Type = root.ChildText("type")
	if s.ChannelCount, err = parseInt(root.ChildText("channel_count"), 0, MaxChannelCount); err != nil {
		return bad("channel_count", err)
	}
	if s.NominalRate, err = parseFloat(root.ChildText("nominal_srate")); err != nil {
		return bad("nominal_srate", err)
	}
	if s.NominalRate < 0 {
		return bad("nominal_srate", fmt.Errorf("%v is negative", s.NominalRate))
	}
	if s.Format, err = ParseChannelFormat(strings.TrimSpace(root.ChildText("channel_format"))); err != nil {
		return bad("channel_format", err)
	}
	s.SourceID = root.ChildText("source_id")
	v, err := parseFloat(root.ChildText("version"))
	if err != nil {
		return bad("version", err)
	}
	if v <= 0 || v > 1e6 {
		return bad("version", fmt.Errorf("%v is not a protocol version", v))
	}
	s.Version = int(math.Round(v * 100))
	if s.CreatedAt, err = parseFloat(root.ChildText("created_at")); err != nil {
		return bad("created_at", err)
	}
	s.UID = root.ChildText("uid")
	if s.UID == "" {
		return bad("uid", errors.New("empty"))
	}
	s.SessionID = root.ChildText("session_id")
	s.Hostname = root.ChildText("hostname")
	s.V4Address = strings.TrimSpace(root.ChildText("v4address"))
	s.V6Address = strings.TrimSpace(root.ChildText("v6address"))
	for _, p := range [...]struct {
		name string
		dst  *int
	}{{"v4data_port", &s.V4DataPort}, {"v4service_port", &s.V4ServicePort}, {"v6data_port", &s.V6DataPort}, {"v6service_port", &s.V6ServicePort}} {
		if *p.dst, err = parseInt(root.ChildText(p.name), 0, 65535); err != nil {
			return bad(p.name, err)
		}
	}
	if d := root.Child("desc"); d != nil && (len(d.Children) > 0 || d.Text != "") {
		s.Desc = d
	}
	return s, nil
}

func parseInt(s string, lo, hi int) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d outside %d..%d", v, lo, hi)
	}
	return v, nil
}

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// parseXML reads one element tree with bounded depth and element count.
func parseXML(doc []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var stack []*Element
	var texts [][]byte // character data of each open element, joined once at its end
	var root *Element
	n := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("more than one root element")
			}
			if n++; n > maxInfoElements {
				return nil, fmt.Errorf("more than %d elements", maxInfoElements)
			}
			if len(stack) >= maxInfoDepth {
				return nil, fmt.Errorf("elements nested more than %d deep", maxInfoDepth)
			}
			el := &Element{Name: t.Name.Local}
			if t.Name.Space != "" {
				el.Name = t.Name.Space + ":" + t.Name.Local
			}
			if len(stack) == 0 {
				root = el
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, el)
			}
			stack = append(stack, el)
			texts = append(texts, nil)
		case xml.EndElement:
			top := len(stack) - 1
			if len(texts[top]) > 0 {
				stack[top].Text = string(texts[top])
			}
			stack, texts = stack[:top], texts[:top]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			if len(bytes.TrimSpace(t)) == 0 {
				continue // pugixml drops whitespace-only data
			}
			texts[len(texts)-1] = append(texts[len(texts)-1], t...)
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// newUID returns a random version-4 UUID, the form of liblsl's uids.
func newUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
