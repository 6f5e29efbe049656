package store

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Staff roles. The permissions each role has live in server/staff; the store only
// keeps the name, and refuses names it does not know.
const (
	RoleAdvocate    = "advocate"
	RoleCoordinator = "coordinator"
	RoleWardStaff   = "ward_staff"
	RoleAdmin       = "admin"
)

// Roles lists every role, least powerful first.
var Roles = []string{RoleWardStaff, RoleAdvocate, RoleCoordinator, RoleAdmin}

// User is a staff account. Only a password hash (PHC string) is kept, never the password.
type User struct {
	ID           int64
	Email        string // lower-cased and trimmed; unique
	Name         string // display name
	Role         string
	Ward         string // ward staff only: the ward they work on
	PasswordHash string
	FailedLogins int       // consecutive failures since the last success or lockout
	LockedUntil  time.Time // zero when not locked
	CreatedAt    time.Time
}

// Actor is the audit actor naming u: an id, never a name.
func (u User) Actor() string { return UserActor(u.ID) }

// UserActor is the audit actor for the staff user with this id.
func UserActor(id int64) string { return "staff:" + strconv.FormatInt(id, 10) }

// Locked reports whether sign-in is refused at now.
func (u User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// Session is a signed-in staff browser. The cookie carries a random token; only its
// SHA-256 (hex) is stored, so a copy of the database cannot sign anybody in.
type Session struct {
	TokenHash string // 64 hex characters
	UserID    int64
	CSRF      string // synchronizer token for this session's forms
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute expiry, whatever the activity
}

// APIKey lets the hospital's Mental Health Act office post referrals. Only the
// SHA-256 (hex) of the key is stored.
type APIKey struct {
	ID        int64
	Name      string // what it is for, e.g. "MHA office, St Elsewhere"
	KeyHash   string
	CreatedBy string // audit actor
	CreatedAt time.Time
	RevokedAt time.Time
}

// Staff account limits, mirrored by CHECK constraints.
const (
	EmailMaxLen    = 254
	UserNameMaxLen = 100
	WardMaxLen     = 100
	HashMaxLen     = 512
)

// Staff audit actions.
const (
	ActionUserCreated   = "user.created"
	ActionUserPassword  = "user.password"
	ActionLogin         = "staff.login"
	ActionLoginFailed   = "staff.login_failed"
	ActionLockout       = "staff.lockout"
	ActionLogout        = "staff.logout"
	ActionAPIKeyCreated = "apikey.created"
	ActionAPIKeyRevoked = "apikey.revoked"
)

// StaffStore keeps staff accounts, their sessions and API keys.
type StaffStore interface {
	// CreateUser adds u (normalized, validated) and audits it as actor in the same
	// transaction. ErrConflict if the email is taken.
	CreateUser(ctx context.Context, u User, actor string) (User, error)
	// GetUser and GetUserByEmail return ErrNotFound for an unknown user.
	GetUser(ctx context.Context, id int64) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers returns every user, by id.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPassword replaces the hash, clears failures and lockout, and audits it.
	SetPassword(ctx context.Context, id int64, hash, actor string) error
	// RecordLoginFailure counts one failed sign-in at now. On the max-th consecutive
	// failure it locks the account until now+lockFor, resets the count and returns
	// locked=true. Both are audited in the same transaction.
	RecordLoginFailure(ctx context.Context, id int64, now time.Time, max int, lockFor time.Duration) (locked bool, err error)
	// ClearLoginFailures resets the count after a successful sign-in.
	ClearLoginFailures(ctx context.Context, id int64) error

	// CreateSession stores s; ErrConflict if the token hash exists.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session, or ErrNotFound when it is missing or its
	// absolute expiry is at or before now. Idle expiry is the caller's rule.
	GetSession(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	// TouchSession records activity at now.
	TouchSession(ctx context.Context, tokenHash string, now time.Time) error
	// DeleteSession removes the session; no error if it is already gone.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteUserSessions signs a user out everywhere (after a password reset).
	DeleteUserSessions(ctx context.Context, userID int64) error
	// PurgeStaffSessions deletes sessions whose absolute expiry is at or before now
	// and returns how many.
	PurgeStaffSessions(ctx context.Context, now time.Time) (int64, error)

	// CreateAPIKey stores k and audits it (actor k.CreatedBy).
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// GetAPIKey returns the key with this hash if it is not revoked, else ErrNotFound.
	GetAPIKey(ctx context.Context, keyHash string) (APIKey, error)
	// ListAPIKeys returns every key, revoked ones too, by id.
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey stops a key working, keeping its row, and audits it.
	// ErrNotFound if there is no such key, ErrConflict if it is already revoked.
	RevokeAPIKey(ctx context.Context, id int64, actor string) error
}

// NormalizeEmail lower-cases and trims an address, so sign-in is case-insensitive.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// Normalize returns u as the store saves it.
func (u User) Normalize() User {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	u.Ward = strings.TrimSpace(u.Ward)
	return u
}

// Validate checks a new user.
func (u User) Validate() error {
	u = u.Normalize()
	bad := func(field, code string) error { return &ValidationError{Field: field, Code: code} }
	switch {
	case u.Email == "":
		return bad("email", CodeRequired)
	case len(u.Email) > EmailMaxLen:
		return bad("email", CodeTooLong)
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return bad("email", CodeInvalid)
	}
	switch {
	case u.Name == "":
		return bad("name", CodeRequired)
	case !validText(u.Name):
		return bad("name", CodeInvalid)
	case utf8.RuneCountInString(u.Name) > UserNameMaxLen:
		return bad("name", CodeTooLong)
	}
	if !validRole(u.Role) {
		return bad("role", CodeInvalid)
	}
	switch {
	case u.Role == RoleWardStaff && u.Ward == "":
		return bad("ward", CodeRequired)
	case !validText(u.Ward):
		return bad("ward", CodeInvalid)
	case utf8.RuneCountInString(u.Ward) > WardMaxLen:
		return bad("ward", CodeTooLong)
	}
	switch {
	case u.PasswordHash == "":
		return bad("password", CodeRequired)
	case len(u.PasswordHash) > HashMaxLen:
		return bad("password", CodeTooLong)
	}
	return nil
}

func validRole(r string) bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidateSession checks a session before any database work.
func (s Session) Validate() error {
	switch {
	case !validHash(s.TokenHash):
		return &ValidationError{Field: "token", Code: CodeInvalid}
	case s.UserID <= 0:
		return &ValidationError{Field: "user", Code: CodeInvalid}
	case s.CSRF == "" || len(s.CSRF) > 128:
		return &ValidationError{Field: "csrf", Code: CodeInvalid}
	case s.ExpiresAt.IsZero():
		return &ValidationError{Field: "expires_at", Code: CodeRequired}
	}
	return nil
}

// Validate checks an API key before any database work.
func (k APIKey) Validate() error {
	switch {
	case !validHash(k.KeyHash):
		return &ValidationError{Field: "key", Code: CodeInvalid}
	case strings.TrimSpace(k.Name) == "":
		return &ValidationError{Field: "name", Code: CodeRequired}
	case !validText(k.Name) || utf8.RuneCountInString(k.Name) > UserNameMaxLen:
		return &ValidationError{Field: "name", Code: CodeInvalid}
	}
	return nil
}

// ValidTokenHash reports whether h looks like a stored token hash (64 lower-case hex).
func ValidTokenHash(h string) bool { return validHash(h) }
