package staff

import (
	"strings"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=3,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with OWASP parameters", h)
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt?")
	}
	tests := []struct {
		hash, pw string
		ok       bool
	}{
		{h, "correct horse battery staple", true},
		{h, "correct horse battery stapl", false},
		{h, "", false},
		{"$argon2id$v=19$m=1,t=1,p=1$$", "x", false},
		{"plaintext", "plaintext", false},
		{strings.Replace(h, "m=19456", "m=99999999", 1), "correct horse battery staple", false},
	}
	for i, tt := range tests {
		if got := VerifyPassword(tt.hash, tt.pw); got != tt.ok {
			t.Errorf("%d: VerifyPassword = %v, want %v", i, got, tt.ok)
		}
	}
	if _, err := HashPassword("short"); err != ErrPasswordShort {
		t.Errorf("short password: %v", err)
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		role string
		p    Permission
		ok   bool
	}{
		{store.RoleWardStaff, PermViewQueue, false},
		{store.RoleWardStaff, PermReferOnBehalf, true},
		{store.RoleAdvocate, PermViewQueue, true},
		{store.RoleAdvocate, PermAllocate, false},
		{store.RoleCoordinator, PermAllocate, true},
		{store.RoleCoordinator, PermManageUsers, false},
		{store.RoleAdmin, PermManageAPIKeys, true},
		{store.RoleAdvocate, PermExportRecords, false},
		{store.RoleCoordinator, PermViewMonitoring, true},
		{store.RoleCoordinator, PermExportRecords, true},
		{store.RoleCoordinator, PermPersonRecords, false},
		{store.RoleAdmin, PermPersonRecords, true},
		{"", PermViewQueue, false},
	}
	for _, tt := range tests {
		if got := Can(tt.role, tt.p); got != tt.ok {
			t.Errorf("Can(%q, %q) = %v", tt.role, tt.p, got)
		}
	}
	for _, r := range store.Roles {
		if _, ok := permissions[r]; !ok {
			t.Errorf("role %q has no permissions entry", r)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if !store.ValidTokenHash(HashToken(a)) {
		t.Fatal("HashToken is not what the store accepts")
	}
	if !SameToken(a, a) || SameToken(a, b) || SameToken("", "") {
		t.Fatal("SameToken")
	}
}

func TestIPLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewIPLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if !l.Allow("192.0.2.1") {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if l.Allow("192.0.2.1") {
		t.Fatal("fourth attempt allowed")
	}
	if !l.Allow("192.0.2.2") {
		t.Fatal("another address refused")
	}
	now = now.Add(time.Minute)
	if !l.Allow("192.0.2.1") || l.Allow("192.0.2.1") {
		t.Fatal("refill is not one per minute")
	}
}
