package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPseudonyms: the pseudonym of an id is the first 16 bytes of
// HMAC-SHA256(key, id) (the value openssl computes), fixed for a key,
// different between ids and between keys, and the key never prints.
func TestPseudonyms(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p, err := NewPseudonyms(key)
	if err != nil {
		t.Fatal(err)
	}
	// printf %s chb01_03 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
	const want = "ps-675febd37bfa3fe09efc668ac3505e0f"
	got := p.Session("chb01_03")
	if got != want {
		t.Fatalf("pseudonym %q, want %q", got, want)
	}
	if got != p.Session("chb01_03") {
		t.Error("not deterministic")
	}
	if p.Session("chb01_04") == got {
		t.Error("two ids, one pseudonym")
	}
	other, _ := NewPseudonyms([]byte("another key of at least thirty-two bytes"))
	if other.Session("chb01_03") == got {
		t.Error("two keys, one pseudonym")
	}
	for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%+v", p), fmt.Sprintf("%+v", *p), fmt.Sprintf("%v", []*Pseudonyms{p})} {
		if strings.Contains(s, string(key)) || strings.Contains(s, fmt.Sprint(key[:4])) {
			t.Errorf("the key prints: %s", s)
		}
	}

	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("too short a key\n"), 0o600)
	if _, err := ReadPseudonymKey(short); err == nil || !strings.Contains(err.Error(), short+": pseudonym key: 15 bytes, want at least 32") || strings.Contains(err.Error(), "too short") {
		t.Errorf("short key: %v", err)
	}
	file := filepath.Join(dir, "key")
	os.WriteFile(file, append(key, '\n'), 0o600)
	q, err := ReadPseudonymKey(file)
	if err != nil || q.Session("chb01_03") != got {
		t.Errorf("key file with a newline: %v, %s", err, q.Session("chb01_03"))
	}
}
