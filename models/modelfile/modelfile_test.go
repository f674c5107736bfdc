package modelfile

import (
	"bytes"
	"strings"
	"testing"
)

type testFile struct {
	Header
	Weights []float64 `json:"weights"`
}

func TestWriteKeysFirst(t *testing.T) {
	f := testFile{Header{"x-model", 2}, []float64{0.1, 1e-300, -3}}
	var one, indented bytes.Buffer
	if err := Write(&one, &f, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := one.String(), `{"format":"x-model","version":2,"weights":[0.1,1e-300,-3]}`+"\n"; got != want {
		t.Errorf("one line: %q, want %q", got, want)
	}
	if err := Write(&indented, &f, " "); err != nil {
		t.Fatal(err)
	}
	if got, want := indented.String(), "{\n \"format\": \"x-model\",\n \"version\": 2,\n \"weights\": [\n  0.1,\n  1e-300,\n  -3\n ]\n}\n"; got != want {
		t.Errorf("indented: %q, want %q", got, want)
	}
	var back testFile
	if err := (Kind{Format: "x-model", Oldest: 1, Newest: 2, Strict: true}).Read(&indented, &back); err != nil {
		t.Fatal(err)
	}
	if back.Header != f.Header || len(back.Weights) != 3 || back.Weights[1] != 1e-300 {
		t.Errorf("read back %+v", back)
	}
}

func TestReadRefuses(t *testing.T) {
	one := Kind{Format: "x-model", Oldest: 1, Newest: 1}
	span := Kind{Format: "x-model", Oldest: 1, Newest: 3, Strict: true}
	for _, c := range []struct {
		kind Kind
		file string
		want string // "" reads
	}{
		{one, `{"format":"x-model","version":1,"extra":1}`, ""},
		{span, `{"format":"x-model","version":3}`, ""},
		{one, `{"format":"y-model","version":1}`, `format "y-model", want "x-model"`},
		{one, `{"format":"x-model","version":2}`, "version 2, this build reads version 1"},
		{span, `{"format":"x-model","version":0}`, "version 0, this build reads versions 1 to 3"},
		{span, `{"format":"x-model","version":4}`, "version 4, this build reads versions 1 to 3"},
		{span, `{"format":"x-model","version":1,"extra":1}`, `unknown field "extra"`},
		{span, `{"format":"x-model","version":`, "unexpected EOF"},
	} {
		var f testFile
		err := c.kind.Read(strings.NewReader(c.file), &f)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.file, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.file, err, c.want)
		}
	}
}
