package lsl

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A query selects streams by their info, in liblsl's query language: an
// XPath 1.0 predicate evaluated on the <info> element. This package
// implements the part of XPath that stream queries use:
//
//	name='BioSemi'                      equality of a field's text
//	type='EEG' and source_id='amp-17'   and, or, not(…), parentheses
//	channel_count=8  nominal_srate>100  numbers compare numerically
//	desc/acquisition/manufacturer='X'   paths into the full info
//	starts-with(name,'Bio')  contains(type,'EE')  count(desc/channels/channel)=8
//	name!='X'  <, <=, >, >=
//
// Comparisons follow XPath: a path matches when any element it selects
// compares true; strings compare as text ('250' does not equal the
// nominal_srate text "250.0000000000000", a number 250 does). Anything
// else is a syntax error.

// Prop returns the query prop='value' (what liblsl's resolve_byprop
// builds), quoting value with " when it contains '. A value with both
// quote characters cannot be written in XPath 1.0 and is refused.
func Prop(prop, value string) (string, error) {
	if !isName(prop) {
		return "", fmt.Errorf("lsl: query property %q is not a field name", prop)
	}
	switch {
	case !strings.Contains(value, "'"):
		return prop + "='" + value + "'", nil
	case !strings.Contains(value, `"`):
		return prop + `="` + value + `"`, nil
	}
	return "", fmt.Errorf("lsl: query value %q has both quote characters", value)
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// query is a compiled predicate.
type query struct{ root qnode }

// compileQuery parses q; the empty query matches every stream.
func compileQuery(q string) (*query, error) {
	p := &qparser{src: q}
	p.next()
	if p.tok.kind == tEOF {
		return &query{root: qlit{val: qval{kind: vBool, b: true}}}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, fmt.Errorf("lsl: query %q: %w", q, err)
	}
	if p.tok.kind != tEOF {
		return nil, fmt.Errorf("lsl: query %q: unexpected %q at offset %d", q, p.tok.text, p.tok.pos)
	}
	return &query{root: n}, nil
}

// matches evaluates the query on an <info> element tree.
func (q *query) matches(info *Element) bool { return q.root.eval(info).boolean() }

// ---- values ----

type vkind int

const (
	vNodes vkind = iota
	vString
	vNumber
	vBool
)

type qval struct {
	kind  vkind
	nodes []*Element
	s     string
	n     float64
	b     bool
}

func stringValue(e *Element) string {
	if len(e.Children) == 0 {
		return e.Text
	}
	var sb strings.Builder
	var walk func(*Element)
	walk = func(e *Element) {
		sb.WriteString(e.Text)
		for _, c := range e.Children {
			walk(c)
		}
	}
	walk(e)
	return sb.String()
}

func toNumber(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || strings.ContainsAny(s, "eExXpPiInN_") { // XPath numbers have no exponent, hex, inf or nan
		return math.NaN()
	}
	return v
}

func (v qval) boolean() bool {
	switch v.kind {
	case vNodes:
		return len(v.nodes) > 0
	case vString:
		return v.s != ""
	case vNumber:
		return v.n != 0 && !math.IsNaN(v.n)
	}
	return v.b
}

func (v qval) str() string {
	switch v.kind {
	case vNodes:
		if len(v.nodes) == 0 {
			return ""
		}
		return stringValue(v.nodes[0])
	case vString:
		return v.s
	case vNumber:
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	}
	if v.b {
		return "true"
	}
	return "false"
}

func (v qval) number() float64 {
	switch v.kind {
	case vNumber:
		return v.n
	case vBool:
		if v.b {
			return 1
		}
		return 0
	}
	return toNumber(v.str())
}

// compare implements XPath 1.0's comparison of two values (section 3.4).
func compare(op string, a, b qval) bool {
	if a.kind == vNodes || b.kind == vNodes {
		if a.kind != vNodes {
			a, b = b, a
			op = flip(op)
		}
		if b.kind == vBool {
			return compareAtoms(op, qval{kind: vBool, b: a.boolean()}, b)
		}
		for _, n := range a.nodes {
			x := qval{kind: vString, s: stringValue(n)}
			if b.kind == vNodes {
				for _, m := range b.nodes {
					if compareAtoms(op, x, qval{kind: vString, s: stringValue(m)}) {
						return true
					}
				}
				continue
			}
			if compareAtoms(op, x, b) {
				return true
			}
		}
		return false
	}
	return compareAtoms(op, a, b)
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case ">":
		return "<"
	case "<=":
		return ">="
	case ">=":
		return "<="
	}
	return op
}

func compareAtoms(op string, a, b qval) bool {
	if op == "=" || op == "!=" {
		var eq bool
		switch {
		case a.kind == vBool || b.kind == vBool:
			eq = a.boolean() == b.boolean()
		case a.kind == vNumber || b.kind == vNumber:
			eq = a.number() == b.number()
		default:
			eq = a.str() == b.str()
		}
		return eq == (op == "=")
	}
	x, y := a.number(), b.number()
	switch op {
	case "<":
		return x < y
	case "<=":
		return x <= y
	case ">":
		return x > y
	}
	return x >= y
}

// ---- syntax tree ----

type qnode interface{ eval(info *Element) qval }

type qlit struct{ val qval }

func (n qlit) eval(*Element) qval { return n.val }

type qpath struct{ steps []string }

func (n qpath) eval(info *Element) qval {
	cur := []*Element{info}
	for _, s := range n.steps {
		var next []*Element
		for _, e := range cur {
			for _, c := range e.Children {
				if s == "*" || c.Name == s {
					next = append(next, c)
				}
			}
		}
		cur = next
	}
	return qval{kind: vNodes, nodes: cur}
}

type qbool struct {
	and  bool
	l, r qnode
}

func (n qbool) eval(info *Element) qval {
	l := n.l.eval(info).boolean()
	if n.and && !l || !n.and && l {
		return qval{kind: vBool, b: l}
	}
	return qval{kind: vBool, b: n.r.eval(info).boolean()}
}

type qcmp struct {
	op   string
	l, r qnode
}

func (n qcmp) eval(info *Element) qval {
	return qval{kind: vBool, b: compare(n.op, n.l.eval(info), n.r.eval(info))}
}

type qcall struct {
	fn   string
	args []qnode
}

func (n qcall) eval(info *Element) qval {
	switch n.fn {
	case "not":
		return qval{kind: vBool, b: !n.args[0].eval(info).boolean()}
	case "true":
		return qval{kind: vBool, b: true}
	case "false":
		return qval{kind: vBool, b: false}
	case "count":
		return qval{kind: vNumber, n: float64(len(n.args[0].eval(info).nodes))}
	case "starts-with":
		return qval{kind: vBool, b: strings.HasPrefix(n.args[0].eval(info).str(), n.args[1].eval(info).str())}
	case "contains":
		return qval{kind: vBool, b: strings.Contains(n.args[0].eval(info).str(), n.args[1].eval(info).str())}
	}
	panic("lsl: unknown query function " + n.fn) // parseCall admits only the above
}

// ---- parser ----

type tkind int

const (
	tEOF tkind = iota
	tName
	tString
	tNumber
	tOp
	tLParen
	tRParen
	tComma
	tSlash
	tBad
)

type token struct {
	kind tkind
	text string
	pos  int
}

type qparser struct {
	src   string
	pos   int
	tok   token
	depth int
}

func (p *qparser) next() {
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	c := p.src[p.pos]
	switch {
	case c == '\'' || c == '"':
		p.scanString(c)
	case isDigit(c) || c == '.' && p.pos+1 < len(p.src) && isDigit(p.src[p.pos+1]):
		p.scanWhile(tNumber, func(c byte) bool { return isDigit(c) || c == '.' })
	case c == '!' || c == '<' || c == '>':
		p.scanOp(c)
	case c == '_' || isLetter(c):
		p.scanWhile(tName, func(c byte) bool { return c == '_' || c == '-' || c == '.' || isLetter(c) || isDigit(c) })
	default:
		p.pos++
		kind, ok := punctuation[c]
		if !ok {
			p.tok = token{kind: tBad, text: string(c), pos: start}
			return
		}
		p.tok = token{kind: kind, text: p.src[start:p.pos], pos: start}
	}
}

// punctuation are the one-character tokens ("*" is the name of any
// element).
var punctuation = map[byte]tkind{'(': tLParen, ')': tRParen, ',': tComma, '/': tSlash, '*': tName, '=': tOp}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// scanString scans a string literal quoted by q; an unterminated one is
// a bad token holding the rest of the query.
func (p *qparser) scanString(q byte) {
	start := p.pos
	end := strings.IndexByte(p.src[p.pos+1:], q)
	if end < 0 {
		p.tok = token{kind: tBad, text: p.src[p.pos:], pos: start}
		p.pos = len(p.src)
		return
	}
	p.tok = token{kind: tString, text: p.src[p.pos+1 : p.pos+1+end], pos: start}
	p.pos += end + 2
}

// scanWhile scans a token of kind made of the bytes in reports true for.
func (p *qparser) scanWhile(kind tkind, in func(byte) bool) {
	start := p.pos
	for p.pos < len(p.src) && in(p.src[p.pos]) {
		p.pos++
	}
	p.tok = token{kind: kind, text: p.src[start:p.pos], pos: start}
}

// scanOp scans the comparison starting with c: <, <=, >, >= or !=.
func (p *qparser) scanOp(c byte) {
	start := p.pos
	p.pos++
	if p.pos < len(p.src) && p.src[p.pos] == '=' {
		p.pos++
	} else if c == '!' {
		p.tok = token{kind: tBad, text: "!", pos: start}
		return
	}
	p.tok = token{kind: tOp, text: p.src[start:p.pos], pos: start}
}

func (p *qparser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.tok.pos, fmt.Sprintf(format, args...))
}

func (p *qparser) parseOr() (qnode, error) {
	if p.depth++; p.depth > 64 {
		return nil, p.errorf("nested more than 64 deep")
	}
	defer func() { p.depth-- }()
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tName && p.tok.text == "or" {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = qbool{and: false, l: l, r: r}
	}
	return l, nil
}

func (p *qparser) parseAnd() (qnode, error) {
	l, err := p.parseCmp()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tName && p.tok.text == "and" {
		p.next()
		r, err := p.parseCmp()
		if err != nil {
			return nil, err
		}
		l = qbool{and: true, l: l, r: r}
	}
	return l, nil
}

func (p *qparser) parseCmp() (qnode, error) {
	l, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOp {
		op := p.tok.text
		p.next()
		r, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		l = qcmp{op: op, l: l, r: r}
	}
	return l, nil
}

var queryFuncs = map[string]int{"not": 1, "true": 0, "false": 0, "count": 1, "starts-with": 2, "contains": 2}

func (p *qparser) parsePrimary() (qnode, error) {
	switch p.tok.kind {
	case tLParen:
		p.next()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errorf("missing )")
		}
		p.next()
		return n, nil
	case tString:
		n := qlit{val: qval{kind: vString, s: p.tok.text}}
		p.next()
		return n, nil
	case tNumber:
		v, err := strconv.ParseFloat(p.tok.text, 64)
		if err != nil {
			return nil, p.errorf("bad number %q", p.tok.text)
		}
		p.next()
		return qlit{val: qval{kind: vNumber, n: v}}, nil
	case tName:
		name := p.tok.text
		p.next()
		if p.tok.kind == tLParen {
			return p.parseCall(name)
		}
		steps := []string{name}
		for p.tok.kind == tSlash {
			p.next()
			if p.tok.kind != tName {
				return nil, p.errorf("path step expected after /")
			}
			steps = append(steps, p.tok.text)
			p.next()
		}
		return qpath{steps: steps}, nil
	case tEOF:
		return nil, p.errorf("unexpected end")
	}
	return nil, p.errorf("unexpected %q", p.tok.text)
}

func (p *qparser) parseCall(fn string) (qnode, error) {
	arity, ok := queryFuncs[fn]
	if !ok {
		return nil, p.errorf("unsupported function %s()", fn)
	}
	p.next() // (
	var args []qnode
	for p.tok.kind != tRParen {
		if len(args) > 0 {
			if p.tok.kind != tComma {
				return nil, p.errorf("expected , or ) in %s()", fn)
			}
			p.next()
		}
		a, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	p.next()
	if len(args) != arity {
		return nil, p.errorf("%s() takes %d arguments, got %d", fn, arity, len(args))
	}
	if fn == "count" {
		if _, ok := args[0].(qpath); !ok {
			return nil, errors.New("count() takes a path")
		}
	}
	return qcall{fn: fn, args: args}, nil
}
