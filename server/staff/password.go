// Package staff is the staff workspace's security core: password hashing, roles and
// their permissions, session and CSRF tokens, and sign-in rate limits. It does no
// HTTP; server/web applies it, and server/store keeps accounts and sessions.
package staff

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's Password Storage Cheat Sheet minimum is m=19 MiB, t=2,
// p=1; we use that memory with one more pass, which costs ~30 ms on a small server.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 3
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// hashSlots bounds how many hashes run at once: each takes argonMemory, so a burst
// of sign-ins must queue rather than exhaust the server's memory.
var hashSlots = make(chan struct{}, 4)

func argonKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// PasswordMinLen follows NIST SP 800-63B: length matters, composition rules do not.
const (
	PasswordMinLen = 12
	PasswordMaxLen = 256 // bounds the hashing work one request can ask for
)

// ErrPasswordShort and ErrPasswordLong are a new password's problems.
var (
	ErrPasswordShort = errors.New("staff: password shorter than 12 characters")
	ErrPasswordLong  = errors.New("staff: password longer than 256 characters")
)

// CheckNewPassword says whether a password may be set.
func CheckNewPassword(pw string) error {
	switch n := len([]rune(pw)); {
	case n < PasswordMinLen:
		return ErrPasswordShort
	case len(pw) > PasswordMaxLen:
		return ErrPasswordLong
	}
	return nil
}

// HashPassword returns pw's argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so parameters can be raised later without
// breaking existing hashes.
func HashPassword(pw string) (string, error) {
	if err := CheckNewPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC hash, comparing in constant time.
// A malformed hash never matches.
func VerifyPassword(hash, pw string) bool {
	if len(pw) > PasswordMaxLen {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	// Refuse absurd parameters from a tampered row rather than burn the server.
	if m == 0 || m > 1<<20 || t == 0 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argonKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when the email is unknown, so a sign-in takes as
// long whether or not the account exists.
var dummyHash = func() string {
	h, err := HashPassword("not-a-real-password-ever")
	if err != nil {
		panic(err)
	}
	return h
}()

// BurnTime does the work of one password check, for unknown accounts.
func BurnTime(pw string) { VerifyPassword(dummyHash, pw) }
