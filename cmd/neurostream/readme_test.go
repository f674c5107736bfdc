package main

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeCommands returns the neurostream command lines of the README's
// section headed by heading, in order: indented or fenced lines starting
// with "neurostream", continuation backslashes joined.
func readmeCommands(t *testing.T, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q section", heading)
	}
	section := doc[i+len(heading)+2:]
	if j := strings.Index(section, "\n### "); j >= 0 {
		section = section[:j]
	}
	var cmds [][]string
	lines := strings.Split(section, "\n")
	for k := 0; k < len(lines); k++ {
		line := strings.TrimSpace(lines[k])
		if !strings.HasPrefix(line, "neurostream ") {
			continue
		}
		for strings.HasSuffix(line, "\\") && k+1 < len(lines) {
			k++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[k])
		}
		cmds = append(cmds, shellWords(t, strings.TrimPrefix(line, "neurostream ")))
	}
	return cmds
}

// shellWords splits a command line on blanks, with single quotes only.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// TestReadmeTrainSSVEP runs the README's train ssvep example as printed
// and checks that it gives the accuracy the README promises, well above
// chance.
func TestReadmeTrainSSVEP(t *testing.T) {
	cmds := readmeCommands(t, "### `neurostream train ssvep`")
	if len(cmds) < 2 {
		t.Fatalf("README train ssvep example: %q", cmds)
	}
	t.Chdir(t.TempDir())
	var out string
	for _, args := range cmds {
		stdout, stderr, code := cliCode(t, context.Background(), args...)
		if code != 0 {
			t.Fatalf("neurostream %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		out = stdout
	}
	m := regexp.MustCompile(`accuracy \(etrca, targets only\): (\d+)/(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no accuracy in:\n%s", out)
	}
	right, n := atoi(t, m[1]), atoi(t, m[2])
	t.Logf("%s", out)
	if n != 24 || right < 22 { // the README says 24/24; chance is 6/24
		t.Errorf("README example: %d/%d correct", right, n)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
