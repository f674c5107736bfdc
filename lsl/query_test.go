package lsl

import (
	"strings"
	"testing"
)

func TestQuery(t *testing.T) {
	s, err := ParseInfo(liblslFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := parseXML(s.XML(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"", true},
		{"type='EEG'", true},
		{`type="EEG"`, true},
		{"type='eeg'", false},
		{"name='BioSemi & <Co>'", true},
		{"source_id='biosemi-42'", true},
		{"session_id='default' and type='EEG'", true},
		{"session_id='default' and (type='Markers' or name='BioSemi & <Co>')", true},
		{"session_id='default' and type='Markers' or name='BioSemi & <Co>'", true}, // and binds tighter
		{"session_id='other' and (type='Markers' or type='EEG')", false},
		{"channel_count='3' and channel_format='float32'", true}, // liblsl's recovery query
		{"channel_count=3", true},
		{"channel_count>2 and channel_count<=3", true},
		{"nominal_srate='2048'", false}, // the text is 2048.000000000000
		{"nominal_srate=2048", true},
		{"nominal_srate>=1000", true},
		{"nominal_srate!=2048", false},
		{"not(type='EEG')", false},
		{"starts-with(name,'BioSemi')", true},
		{"contains(type,'EE')", true},
		{"desc/acquisition/manufacturer='BioSemi'", true},
		{"desc/channels/channel/label='Status'", true}, // any of the channels
		{"desc/channels/channel/label!='Fp1'", true},   // some channel is not Fp1
		{"count(desc/channels/channel)=3", true},
		{"desc/*/manufacturer='BioSemi'", true},
		{"desc/nothing", false},
		{"desc/acquisition", true},
		{"true() and not(false())", true},
		{"uid=''", false},
	} {
		q, err := compileQuery(c.q)
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if got := q.matches(tree); got != c.want {
			t.Errorf("%q: %v, want %v", c.q, got, c.want)
		}
	}
}

func TestQuerySyntaxErrors(t *testing.T) {
	for _, q := range []string{
		"type=", "type='EEG", "(type='EEG'", "type='EEG')", "type=='EEG'", "foo(name)", "count('x')",
		"starts-with(name)", "type = 'EEG' and", "!type", "name/", "1.2.3=1", "@attr='x'", strings.Repeat("(", 100) + "true()" + strings.Repeat(")", 100),
	} {
		if _, err := compileQuery(q); err == nil {
			t.Errorf("%q compiled", q)
		}
	}
}

func TestProp(t *testing.T) {
	for _, c := range []struct{ prop, value, want string }{
		{"type", "EEG", "type='EEG'"},
		{"name", "Bob's amp", `name="Bob's amp"`},
		{"source_id", "", "source_id=''"},
	} {
		got, err := Prop(c.prop, c.value)
		if err != nil || got != c.want {
			t.Errorf("Prop(%q, %q) = %q, %v; want %q", c.prop, c.value, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"type", `a'b"c`}, {"bad prop", "x"}, {"", "x"}} {
		if _, err := Prop(c[0], c[1]); err == nil {
			t.Errorf("Prop(%q, %q) accepted", c[0], c[1])
		}
	}
}
