package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

func (db *DB) SaveChatSession(ctx context.Context, token string, state []byte, version int64, expiresAt time.Time) (int64, error) {
	if err := store.ValidateChatSession(token, state, version); err != nil {
		return 0, err
	}
	if state == nil {
		state = []byte{} // the column is NOT NULL; an empty state is still a state
	}
	if version == 0 {
		res, err := db.w.ExecContext(ctx, `INSERT INTO chat_sessions (token, state, version, expires_at)
			VALUES (?, ?, 1, ?) ON CONFLICT (token) DO NOTHING`, token, state, fmtTime(expiresAt))
		if err != nil {
			return 0, fmt.Errorf("sqlite: save chat session: %w", mapErr(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, store.ErrConflict
		}
		return 1, nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: save chat session: %w", mapErr(err))
	}
	defer tx.Rollback()
	var cur int64
	var exp string
	err = tx.QueryRowContext(ctx, `SELECT version, expires_at FROM chat_sessions WHERE token = ?`, token).Scan(&cur, &exp)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("sqlite: save chat session: %w", mapErr(err))
	case exp <= fmtTime(db.now()):
		return 0, store.ErrNotFound
	case cur != version:
		return 0, store.ErrConflict
	}
	if _, err := tx.ExecContext(ctx, `UPDATE chat_sessions SET state = ?, version = ?, expires_at = ? WHERE token = ?`,
		state, version+1, fmtTime(expiresAt), token); err != nil {
		return 0, fmt.Errorf("sqlite: save chat session: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: save chat session: %w", mapErr(err))
	}
	return version + 1, nil
}

func (db *DB) LoadChatSession(ctx context.Context, token string, at time.Time) ([]byte, int64, error) {
	var state []byte
	var version int64
	err := db.r.QueryRowContext(ctx, `SELECT state, version FROM chat_sessions WHERE token = ? AND expires_at > ?`,
		token, fmtTime(at)).Scan(&state, &version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, 0, store.ErrNotFound
	case err != nil:
		return nil, 0, fmt.Errorf("sqlite: load chat session: %w", mapErr(err))
	}
	return state, version, nil
}

func (db *DB) DeleteChatSession(ctx context.Context, token string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM chat_sessions WHERE token = ?`, token); err != nil {
		return fmt.Errorf("sqlite: delete chat session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) PurgeExpiredChatSessions(ctx context.Context, at time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM chat_sessions WHERE expires_at <= ?`, fmtTime(at))
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge chat sessions: %w", mapErr(err))
	}
	return res.RowsAffected()
}
