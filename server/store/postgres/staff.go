package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

const userColumns = `id, email, name, role, ward, password_hash, failed_logins, locked_until, created_at`

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	var locked *time.Time
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.Ward, &u.PasswordHash, &u.FailedLogins, &locked, &u.CreatedAt); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	if locked != nil {
		u.LockedUntil = locked.UTC()
	}
	return u, nil
}

func userSubject(id int64) string { return fmt.Sprintf("user:%d", id) }

func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// inTx runs fn in a transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return mapErr(tx.Commit(ctx))
}

func (db *DB) CreateUser(ctx context.Context, u store.User, actor string) (store.User, error) {
	u = u.Normalize()
	if err := u.Validate(); err != nil {
		return store.User{}, err
	}
	if err := referral.ValidateActor("actor", actor); err != nil {
		return store.User{}, err
	}
	u.ID, u.FailedLogins, u.LockedUntil, u.CreatedAt = 0, 0, time.Time{}, db.now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO users (email, name, role, ward, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.Email, u.Name, u.Role, u.Ward, u.PasswordHash, u.CreatedAt).Scan(&u.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionUserCreated,
			Subject: userSubject(u.ID), Detail: "role " + u.Role, At: u.CreatedAt})
	})
	if errors.Is(err, store.ErrConflict) {
		return store.User{}, err
	}
	if err != nil {
		return store.User{}, fmt.Errorf("postgres: create user: %w", mapErr(err))
	}
	return u, nil
}

func (db *DB) GetUser(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, userErr(err)
}

func (db *DB) GetUserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, store.NormalizeEmail(email)))
	return u, userErr(err)
}

func userErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	}
	return fmt.Errorf("postgres: get user: %w", mapErr(err))
}

func (db *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", mapErr(err))
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2`, hash, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionUserPassword, Subject: userSubject(id), At: db.now()})
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("postgres: set password: %w", mapErr(err))
	}
	return err
}

func (db *DB) RecordLoginFailure(ctx context.Context, id int64, at time.Time, max int, lockFor time.Duration) (bool, error) {
	var locked bool
	at = at.UTC().Truncate(time.Microsecond)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		// The row lock taken by UPDATE serializes concurrent failures for one account.
		err := tx.QueryRow(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, id).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		e := referral.AuditEntry{Actor: store.UserActor(id), Action: store.ActionLoginFailed, Subject: userSubject(id), At: at}
		if locked = n >= max; locked {
			until := at.Add(lockFor)
			if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2`, until, id); err != nil {
				return err
			}
			e.Action, e.Detail = store.ActionLockout, "until "+until.Format(time.RFC3339)
		}
		return appendAudit(ctx, tx, e)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("postgres: login failure: %w", mapErr(err))
	}
	return locked, err
}

func (db *DB) ClearLoginFailures(ctx context.Context, id int64) error {
	if _, err := db.pool.Exec(ctx, `UPDATE users SET failed_logins = 0 WHERE id = $1 AND failed_logins <> 0`, id); err != nil {
		return fmt.Errorf("postgres: clear login failures: %w", mapErr(err))
	}
	return nil
}

func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if err := s.Validate(); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO staff_sessions (token_hash, user_id, csrf, created_at, last_seen, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.TokenHash, s.UserID, s.CSRF, s.CreatedAt, s.LastSeen, s.ExpiresAt)
	if isUnique(err) {
		return store.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) GetSession(ctx context.Context, tokenHash string, at time.Time) (store.Session, error) {
	var s store.Session
	err := db.pool.QueryRow(ctx, `SELECT token_hash, user_id, csrf, created_at, last_seen, expires_at
		FROM staff_sessions WHERE token_hash = $1 AND expires_at > $2`, tokenHash, at).
		Scan(&s.TokenHash, &s.UserID, &s.CSRF, &s.CreatedAt, &s.LastSeen, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("postgres: get session: %w", mapErr(err))
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeen.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

func (db *DB) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE staff_sessions SET last_seen = $1 WHERE token_hash = $2`, at, tokenHash); err != nil {
		return fmt.Errorf("postgres: touch session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("postgres: delete session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete user sessions: %w", mapErr(err))
	}
	return nil
}

func (db *DB) PurgeStaffSessions(ctx context.Context, at time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM staff_sessions WHERE expires_at <= $1`, at)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge sessions: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}

func (db *DB) CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	if err := k.Validate(); err != nil {
		return store.APIKey{}, err
	}
	if err := referral.ValidateActor("created_by", k.CreatedBy); err != nil {
		return store.APIKey{}, err
	}
	k.CreatedAt, k.RevokedAt = db.now(), time.Time{}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO api_keys (name, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			k.Name, k.KeyHash, k.CreatedBy, k.CreatedAt).Scan(&k.ID)
		if isUnique(err) {
			return store.ErrConflict
		}
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: k.CreatedBy, Action: store.ActionAPIKeyCreated,
			Subject: fmt.Sprintf("apikey:%d", k.ID), At: k.CreatedAt})
	})
	if errors.Is(err, store.ErrConflict) {
		return store.APIKey{}, err
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("postgres: create api key: %w", mapErr(err))
	}
	return k, nil
}

func (db *DB) GetAPIKey(ctx context.Context, keyHash string) (store.APIKey, error) {
	var k store.APIKey
	err := db.pool.QueryRow(ctx, `SELECT id, name, key_hash, created_by, created_at FROM api_keys
		WHERE key_hash = $1 AND revoked_at IS NULL`, keyHash).Scan(&k.ID, &k.Name, &k.KeyHash, &k.CreatedBy, &k.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.APIKey{}, store.ErrNotFound
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("postgres: get api key: %w", mapErr(err))
	}
	k.CreatedAt = k.CreatedAt.UTC()
	return k, nil
}

func (db *DB) ListAPIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, key_hash, created_by, created_at, revoked_at FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.APIKey, error) {
		var k store.APIKey
		var revoked *time.Time
		err := r.Scan(&k.ID, &k.Name, &k.KeyHash, &k.CreatedBy, &k.CreatedAt, &revoked)
		k.CreatedAt = k.CreatedAt.UTC()
		if revoked != nil {
			k.RevokedAt = revoked.UTC()
		}
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys: %w", mapErr(err))
	}
	return out, nil
}

func (db *DB) RevokeAPIKey(ctx context.Context, id int64, actor string) error {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM api_keys WHERE id = $1 FOR UPDATE`, id).Scan(&revoked)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		case revoked != nil:
			return store.ErrConflict
		}
		at := db.now()
		if _, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, at, id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionAPIKeyRevoked,
			Subject: fmt.Sprintf("apikey:%d", id), At: at})
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("postgres: revoke api key: %w", mapErr(err))
	}
	return err
}
