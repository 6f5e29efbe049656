package referral

import (
	"crypto/rand"
	"io"
	"strings"
)

// referenceAlphabet is Crockford's base32: digits and letters without I, L, O and U, so
// a reference read aloud over a ward phone or copied from a slip cannot be mistaken.
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReferenceLen is the number of symbols in a reference (40 bits, about a trillion
// values: collisions are rare, and the store retries on one).
const ReferenceLen = 8

// NewReference returns a random reference formatted "ABCD-1234". Pass nil to use
// crypto/rand; tests pass a fixed reader.
func NewReference(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [ReferenceLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	out := make([]byte, 0, ReferenceLen+1)
	for i, c := range b {
		if i == ReferenceLen/2 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[c&31]) // 256 is a multiple of 32: no bias
	}
	return string(out), nil
}

// ParseReference turns what a person typed or said into the canonical "ABCD-1234", or
// returns ok=false. Case, spaces and hyphens are ignored, and the letters Crockford
// reserves for misreadings are mapped back (O→0, I and L→1).
func ParseReference(s string) (ref string, ok bool) {
	var sym []byte
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == ' ' || c == '-':
			continue
		case c == 'O':
			c = '0'
		case c == 'I' || c == 'L':
			c = '1'
		}
		if c > 127 || strings.IndexByte(referenceAlphabet, byte(c)) < 0 {
			return "", false
		}
		sym = append(sym, byte(c))
	}
	if len(sym) != ReferenceLen {
		return "", false
	}
	return string(sym[:4]) + "-" + string(sym[4:]), true
}
