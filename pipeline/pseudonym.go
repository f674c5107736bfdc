package pipeline

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
)

// Pseudonyms replaces session ids, which are often patient identifiers
// (file names such as chb01_03, BIDS subjects), by keyed pseudonyms
// before anything leaves the machine: the Kafka key, the wire chunk's
// neurostream.session, and every result row after it carry the pseudonym
// only. The pseudonym of id is "ps-" followed by the first 16 bytes of
// HMAC-SHA256(key, id) in hex: the same id and key give the same
// pseudonym in every run (sessions stay linkable, a replay after a crash
// continues its sessions); without the key, an id cannot be recovered
// from its pseudonym nor its pseudonym computed from a guessed id.
// docs/operations.md ("Security") has the threat model.
type Pseudonyms struct {
	key []byte
}

// MinPseudonymKey is the shortest key accepted, in bytes.
const MinPseudonymKey = 32

// NewPseudonyms returns the pseudonyms of key, which holds at least
// MinPseudonymKey bytes (e.g. `head -c 32 /dev/urandom > key`, or the
// base64 of 32 random bytes).
func NewPseudonyms(key []byte) (*Pseudonyms, error) {
	if len(key) < MinPseudonymKey {
		return nil, fmt.Errorf("pseudonym key: %d bytes, want at least %d (e.g. head -c 32 /dev/urandom > KEY)", len(key), MinPseudonymKey)
	}
	return &Pseudonyms{key: bytes.Clone(key)}, nil
}

// ReadPseudonymKey reads a key file: its content, without trailing line
// ends, is the key. Errors name the file, never the key.
func ReadPseudonymKey(path string) (*Pseudonyms, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := NewPseudonyms(bytes.TrimRight(b, "\r\n"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Session returns the pseudonym of session id id.
func (p *Pseudonyms) Session(id string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(id))
	return "ps-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// String does not print the key.
func (p Pseudonyms) String() string { return "pipeline.Pseudonyms{key: [redacted]}" }
