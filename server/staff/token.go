package staff

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns 32 random bytes, URL-safe base64: a session id, CSRF token or API key.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+ panics instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is what the store keeps for a token: its SHA-256 in hex. Tokens are
// random, so a fast hash is enough (no salt or stretching needed).
func HashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// SameToken compares two tokens in constant time.
func SameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
