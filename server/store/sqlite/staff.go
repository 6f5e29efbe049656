package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

const userColumns = `id, email, name, role, ward, password_hash, failed_logins, locked_until, created_at`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var locked sql.NullString
	var created string
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Ward, &u.PasswordHash, &u.FailedLogins, &locked, &created); err != nil {
		return store.User{}, err
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return store.User{}, err
	}
	if locked.Valid {
		if u.LockedUntil, err = parseTime(locked.String); err != nil {
			return store.User{}, err
		}
	}
	return u, nil
}

func userSubject(id int64) string { return fmt.Sprintf("user:%d", id) }

func (db *DB) CreateUser(ctx context.Context, u store.User, actor string) (store.User, error) {
	u = u.Normalize()
	if err := u.Validate(); err != nil {
		return store.User{}, err
	}
	if err := referral.ValidateActor("actor", actor); err != nil {
		return store.User{}, err
	}
	u.ID, u.FailedLogins, u.LockedUntil, u.CreatedAt = 0, 0, time.Time{}, db.now()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", mapErr(err))
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO users (email, name, role, ward, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, u.Email, u.Name, u.Role, u.Ward, u.PasswordHash, fmtTime(u.CreatedAt)).Scan(&u.ID)
	if isUniqueViolation(err, "email") {
		return store.User{}, store.ErrConflict
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", mapErr(err))
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionUserCreated,
		Subject: userSubject(u.ID), Detail: "role " + u.Role, At: u.CreatedAt}); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return store.User{}, fmt.Errorf("sqlite: create user: %w", mapErr(err))
	}
	return u, nil
}

func (db *DB) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, userErr(err)
}

func (db *DB) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, store.NormalizeEmail(email)))
	return u, userErr(err)
}

func userErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	}
	return fmt.Errorf("sqlite: get user: %w", mapErr(err))
}

func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", mapErr(err))
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", mapErr(err))
	}
	return out, nil
}

func (db *DB) SetPassword(ctx context.Context, id int64, hash, actor string) error {
	if hash == "" || len(hash) > store.HashMaxLen {
		return &store.ValidationError{Field: "password", Code: store.CodeInvalid}
	}
	if err := referral.ValidateActor("actor", actor); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", mapErr(err))
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionUserPassword,
		Subject: userSubject(id), At: db.now()}); err != nil {
		return fmt.Errorf("sqlite: set password: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: set password: %w", mapErr(err))
	}
	return nil
}

func (db *DB) RecordLoginFailure(ctx context.Context, id int64, at time.Time, max int, lockFor time.Duration) (bool, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: login failure: %w", mapErr(err))
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, store.ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: login failure: %w", mapErr(err))
	}
	at = at.UTC().Truncate(time.Microsecond)
	e := referral.AuditEntry{Actor: store.UserActor(id), Action: store.ActionLoginFailed, Subject: userSubject(id), At: at}
	locked := n >= max
	if locked {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?`, fmtTime(at.Add(lockFor)), id); err != nil {
			return false, fmt.Errorf("sqlite: login failure: %w", mapErr(err))
		}
		e.Action, e.Detail = store.ActionLockout, "until "+fmtTime(at.Add(lockFor))
	}
	if err := appendAudit(ctx, tx, e); err != nil {
		return false, fmt.Errorf("sqlite: login failure: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: login failure: %w", mapErr(err))
	}
	return locked, nil
}

func (db *DB) ClearLoginFailures(ctx context.Context, id int64) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE users SET failed_logins = 0 WHERE id = ? AND failed_logins <> 0`, id); err != nil {
		return fmt.Errorf("sqlite: clear login failures: %w", mapErr(err))
	}
	return nil
}

func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if err := s.Validate(); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user_id, csrf, created_at, last_seen, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, s.TokenHash, s.UserID, s.CSRF, fmtTime(s.CreatedAt), fmtTime(s.LastSeen), fmtTime(s.ExpiresAt))
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) GetSession(ctx context.Context, tokenHash string, at time.Time) (store.Session, error) {
	var s store.Session
	var created, seen, expires string
	err := db.r.QueryRowContext(ctx, `SELECT token_hash, user_id, csrf, created_at, last_seen, expires_at
		FROM staff_sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash, fmtTime(at)).
		Scan(&s.TokenHash, &s.UserID, &s.CSRF, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("sqlite: get session: %w", mapErr(err))
	}
	for _, p := range []struct {
		s string
		t *time.Time
	}{{created, &s.CreatedAt}, {seen, &s.LastSeen}, {expires, &s.ExpiresAt}} {
		if *p.t, err = parseTime(p.s); err != nil {
			return store.Session{}, err
		}
	}
	return s, nil
}

func (db *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := db.w.ExecContext(ctx, `UPDATE staff_sessions SET last_seen = ? WHERE token_hash = ?`, fmtTime(at), tokenHash); err != nil {
		return fmt.Errorf("sqlite: touch session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: delete user sessions: %w", mapErr(err))
	}
	return nil
}

func (db *DB) PurgeStaffSessions(ctx context.Context, at time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM staff_sessions WHERE expires_at <= ?`, fmtTime(at))
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge sessions: %w", mapErr(err))
	}
	return res.RowsAffected()
}

func (db *DB) CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	if err := k.Validate(); err != nil {
		return store.APIKey{}, err
	}
	if err := referral.ValidateActor("created_by", k.CreatedBy); err != nil {
		return store.APIKey{}, err
	}
	k.CreatedAt, k.RevokedAt = db.now(), time.Time{}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: create api key: %w", mapErr(err))
	}
	defer tx.Rollback()
	err = tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		k.Name, k.KeyHash, k.CreatedBy, fmtTime(k.CreatedAt)).Scan(&k.ID)
	if isUniqueViolation(err, "key_hash") {
		return store.APIKey{}, store.ErrConflict
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: create api key: %w", mapErr(err))
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: k.CreatedBy, Action: store.ActionAPIKeyCreated,
		Subject: fmt.Sprintf("apikey:%d", k.ID), At: k.CreatedAt}); err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: create api key: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: create api key: %w", mapErr(err))
	}
	return k, nil
}

func (db *DB) GetAPIKey(ctx context.Context, keyHash string) (store.APIKey, error) {
	var k store.APIKey
	var created string
	err := db.r.QueryRowContext(ctx, `SELECT id, name, key_hash, created_by, created_at FROM api_keys
		WHERE key_hash = ? AND revoked_at IS NULL`, keyHash).Scan(&k.ID, &k.Name, &k.KeyHash, &k.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, store.ErrNotFound
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: get api key: %w", mapErr(err))
	}
	k.CreatedAt, err = parseTime(created)
	return k, err
}

func (db *DB) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, key_hash, created_by, created_at, revoked_at FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		var k store.APIKey
		var created string
		var revoked sql.NullString
		if err := rows.Scan(&k.ID, &k.Name, &k.KeyHash, &k.CreatedBy, &created, &revoked); err != nil {
			return nil, fmt.Errorf("sqlite: list api keys: %w", mapErr(err))
		}
		if k.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if revoked.Valid {
			if k.RevokedAt, err = parseTime(revoked.String); err != nil {
				return nil, err
			}
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list api keys: %w", mapErr(err))
	}
	return out, nil
}

func (db *DB) RevokeAPIKey(ctx context.Context, id int64, actor string) error {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", mapErr(err))
	}
	defer tx.Rollback()
	var revoked sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT revoked_at FROM api_keys WHERE id = ?`, id).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return fmt.Errorf("sqlite: revoke api key: %w", mapErr(err))
	case revoked.Valid:
		return store.ErrConflict
	}
	at := db.now()
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, fmtTime(at), id); err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", mapErr(err))
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionAPIKeyRevoked,
		Subject: fmt.Sprintf("apikey:%d", id), At: at}); err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: revoke api key: %w", mapErr(err))
	}
	return nil
}
