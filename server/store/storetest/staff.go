package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

var staffTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"Users", testUsers},
	{"UserValidation", testUserValidation},
	{"LoginFailuresAndLockout", testLockout},
	{"StaffSessions", testStaffSessions},
	{"APIKeys", testAPIKeys},
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newUser(email, role string) store.User {
	u := store.User{Email: email, Name: "Alex Example", Role: role, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}
	if role == store.RoleWardStaff {
		u.Ward = "Willow"
	}
	return u
}

func testUsers(t *testing.T, s store.Store) {
	c := ctx(t)
	u, err := s.CreateUser(c, newUser("  Alex@Example.org ", store.RoleAdmin), "system")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Email != "alex@example.org" || u.CreatedAt.IsZero() {
		t.Fatalf("created %+v", u)
	}
	if _, err := s.CreateUser(c, newUser("ALEX@example.org", store.RoleAdvocate), "system"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate email: %v, want ErrConflict", err)
	}
	got, err := s.GetUserByEmail(c, "Alex@EXAMPLE.org")
	if err != nil || got.ID != u.ID || got.Role != store.RoleAdmin || got.PasswordHash != u.PasswordHash {
		t.Fatalf("by email: %+v %v", got, err)
	}
	if got, err = s.GetUser(c, u.ID); err != nil || got.Email != u.Email || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("by id: %+v %v (want created %v)", got, err, u.CreatedAt)
	}
	if _, err := s.GetUser(c, u.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := s.GetUserByEmail(c, "nobody@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	w, err := s.CreateUser(c, newUser("ward@example.org", store.RoleWardStaff), u.Actor())
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.ListUsers(c)
	if err != nil || len(all) != 2 || all[0].ID != u.ID || all[1].Ward != "Willow" {
		t.Fatalf("list: %+v %v", all, err)
	}
	if err := s.SetPassword(c, w.ID, "$argon2id$new", u.Actor()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(c, w.ID); got.PasswordHash != "$argon2id$new" {
		t.Fatalf("password not changed: %q", got.PasswordHash)
	}
	if err := s.SetPassword(c, w.ID+100, "$argon2id$new", u.Actor()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set password of unknown user: %v", err)
	}
	entries, err := s.ListAudit(c, store.AuditQuery{Subject: "user:" + strconv.FormatInt(w.ID, 10)})
	if err != nil || len(entries) != 2 || entries[0].Action != store.ActionUserCreated || entries[0].Actor != u.Actor() ||
		entries[1].Action != store.ActionUserPassword {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

func testUserValidation(t *testing.T, s store.Store) {
	c := ctx(t)
	tests := []struct {
		name  string
		u     store.User
		field string
	}{
		{"no email", newUser("", store.RoleAdmin), "email"},
		{"bad email", newUser("not an address", store.RoleAdmin), "email"},
		{"no name", func() store.User { u := newUser("a@example.org", store.RoleAdmin); u.Name = " "; return u }(), "name"},
		{"bad role", newUser("a@example.org", "superuser"), "role"},
		{"ward staff without ward", func() store.User { u := newUser("a@example.org", store.RoleWardStaff); u.Ward = ""; return u }(), "ward"},
		{"no hash", func() store.User { u := newUser("a@example.org", store.RoleAdmin); u.PasswordHash = ""; return u }(), "password"},
	}
	for _, tt := range tests {
		_, err := s.CreateUser(c, tt.u, "system")
		var ve *store.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("%s: %v, want a validation error on %s", tt.name, err, tt.field)
		}
	}
	if _, err := s.CreateUser(c, newUser("a@example.org", store.RoleAdmin), "Jane Smith"); err == nil {
		t.Error("an actor with a space was accepted")
	}
}

func testLockout(t *testing.T, s store.Store) {
	c := ctx(t)
	u, err := s.CreateUser(c, newUser("lock@example.org", store.RoleAdvocate), "system")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 5; i++ {
		locked, err := s.RecordLoginFailure(c, u.ID, at, 5, 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if locked != (i == 5) {
			t.Fatalf("failure %d: locked=%v", i, locked)
		}
	}
	got, _ := s.GetUser(c, u.ID)
	if !got.Locked(at.Add(14*time.Minute)) || got.Locked(at.Add(15*time.Minute)) || got.FailedLogins != 0 {
		t.Fatalf("after lockout: %+v", got)
	}
	if _, err := s.RecordLoginFailure(c, u.ID, at, 5, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(c, u.ID); got.FailedLogins != 1 {
		t.Fatalf("failures = %d, want 1", got.FailedLogins)
	}
	if err := s.ClearLoginFailures(c, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(c, u.ID); got.FailedLogins != 0 {
		t.Fatalf("failures = %d after clearing", got.FailedLogins)
	}
	if _, err := s.RecordLoginFailure(c, u.ID+100, at, 5, time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	entries, _ := s.ListAudit(c, store.AuditQuery{Actor: u.Actor()})
	var lockouts int
	for _, e := range entries {
		if e.Action == store.ActionLockout {
			lockouts++
		}
	}
	if lockouts != 1 || len(entries) != 6 {
		t.Fatalf("audit: %d entries, %d lockouts", len(entries), lockouts)
	}
}

func testStaffSessions(t *testing.T, s store.Store) {
	c := ctx(t)
	u, err := s.CreateUser(c, newUser("sess@example.org", store.RoleCoordinator), "system")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	sess := store.Session{TokenHash: hashOf("token-1"), UserID: u.ID, CSRF: "csrf-token", CreatedAt: at, LastSeen: at, ExpiresAt: at.Add(time.Hour)}
	if err := s.CreateSession(c, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(c, sess); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same token twice: %v", err)
	}
	got, err := s.GetSession(c, sess.TokenHash, at)
	if err != nil || got.UserID != u.ID || got.CSRF != "csrf-token" || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := s.GetSession(c, sess.TokenHash, at.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
	if err := s.TouchSession(c, sess.TokenHash, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(c, sess.TokenHash, at); !got.LastSeen.Equal(at.Add(time.Minute)) {
		t.Fatalf("touch: last seen %v", got.LastSeen)
	}
	later := sess
	later.TokenHash, later.ExpiresAt = hashOf("token-2"), at.Add(2*time.Hour)
	if err := s.CreateSession(c, later); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeStaffSessions(c, at.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v, want 1", n, err)
	}
	if _, err := s.GetSession(c, later.TokenHash, at); err != nil {
		t.Fatalf("purge removed a live session: %v", err)
	}
	if err := s.DeleteUserSessions(c, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(c, later.TokenHash, at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after signing the user out everywhere: %v", err)
	}
	if err := s.DeleteSession(c, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(c, sess.TokenHash); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.GetSession(c, sess.TokenHash, at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	bad := sess
	bad.TokenHash = "raw-token-not-a-hash"
	var ve *store.ValidationError
	if err := s.CreateSession(c, bad); !errors.As(err, &ve) {
		t.Fatalf("unhashed token: %v", err)
	}
}

func testAPIKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	k, err := s.CreateAPIKey(c, store.APIKey{Name: "MHA office", KeyHash: hashOf("key-1"), CreatedBy: "staff:1"})
	if err != nil || k.ID == 0 {
		t.Fatalf("create: %+v %v", k, err)
	}
	if _, err := s.CreateAPIKey(c, store.APIKey{Name: "again", KeyHash: hashOf("key-1"), CreatedBy: "staff:1"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("same key twice: %v", err)
	}
	got, err := s.GetAPIKey(c, hashOf("key-1"))
	if err != nil || got.ID != k.ID || got.Name != "MHA office" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := s.GetAPIKey(c, hashOf("key-2")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if err := s.RevokeAPIKey(c, k.ID, "staff:1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(c, k.ID, "staff:1"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	if err := s.RevokeAPIKey(c, k.ID+100, "staff:1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if _, err := s.GetAPIKey(c, hashOf("key-1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked key still works: %v", err)
	}
	keys, err := s.ListAPIKeys(c)
	if err != nil || len(keys) != 1 || keys[0].RevokedAt.IsZero() || keys[0].Name != "MHA office" {
		t.Fatalf("list: %+v %v", keys, err)
	}
	entries, _ := s.ListAudit(c, store.AuditQuery{Actor: "staff:1"})
	if len(entries) != 2 || entries[0].Action != store.ActionAPIKeyCreated || entries[1].Action != store.ActionAPIKeyRevoked {
		t.Fatalf("audit: %+v", entries)
	}
}
