package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
		tag, err := db.pool.Exec(ctx, `INSERT INTO chat_sessions (token, state, version, expires_at)
			VALUES ($1, $2, 1, $3) ON CONFLICT (token) DO NOTHING`, token, state, expiresAt)
		if err != nil {
			return 0, fmt.Errorf("postgres: save chat session: %w", mapErr(err))
		}
		if tag.RowsAffected() == 0 {
			return 0, store.ErrConflict
		}
		return 1, nil
	}
	// One statement: the version check and the write cannot be split by another server.
	var next int64
	err := db.pool.QueryRow(ctx, `UPDATE chat_sessions SET state = $1, version = version + 1, expires_at = $2
		WHERE token = $3 AND version = $4 AND expires_at > $5 RETURNING version`,
		state, expiresAt, token, version, db.now()).Scan(&next)
	if err == nil {
		return next, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: save chat session: %w", mapErr(err))
	}
	// Nothing updated: tell "gone" from "changed by someone else".
	var live bool
	err = db.pool.QueryRow(ctx, `SELECT expires_at > $2 FROM chat_sessions WHERE token = $1`, token, db.now()).Scan(&live)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || err == nil && !live:
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("postgres: save chat session: %w", mapErr(err))
	}
	return 0, store.ErrConflict
}

func (db *DB) LoadChatSession(ctx context.Context, token string, at time.Time) ([]byte, int64, error) {
	var state []byte
	var version int64
	err := db.pool.QueryRow(ctx, `SELECT state, version FROM chat_sessions WHERE token = $1 AND expires_at > $2`,
		token, at).Scan(&state, &version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, 0, store.ErrNotFound
	case err != nil:
		return nil, 0, fmt.Errorf("postgres: load chat session: %w", mapErr(err))
	}
	return state, version, nil
}

func (db *DB) DeleteChatSession(ctx context.Context, token string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM chat_sessions WHERE token = $1`, token); err != nil {
		return fmt.Errorf("postgres: delete chat session: %w", mapErr(err))
	}
	return nil
}

func (db *DB) PurgeExpiredChatSessions(ctx context.Context, at time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM chat_sessions WHERE expires_at <= $1`, at)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge chat sessions: %w", mapErr(err))
	}
	return tag.RowsAffected(), nil
}
