package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

func appendAudit(ctx context.Context, tx pgx.Tx, e referral.AuditEntry) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5)`,
		e.Actor, e.Action, e.Subject, e.Detail, e.At)
	return err
}

func (db *DB) AppendAudit(ctx context.Context, e referral.AuditEntry) (referral.AuditEntry, error) {
	e = e.Normalize()
	if err := e.Validate(); err != nil {
		return referral.AuditEntry{}, err
	}
	e.At = db.now()
	err := db.pool.QueryRow(ctx, `INSERT INTO audit_log (actor, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		e.Actor, e.Action, e.Subject, e.Detail, e.At).Scan(&e.ID)
	if err != nil {
		return referral.AuditEntry{}, fmt.Errorf("postgres: append audit: %w", mapErr(err))
	}
	return e, nil
}

func (db *DB) ListAudit(ctx context.Context, q store.AuditQuery) ([]referral.AuditEntry, error) {
	args := []any{q.AfterID}
	where := []string{"id > $1"}
	if q.Subject != "" {
		args = append(args, q.Subject)
		where = append(where, "subject = $"+strconv.Itoa(len(args)))
	}
	if q.Actor != "" {
		args = append(args, q.Actor)
		where = append(where, "actor = $"+strconv.Itoa(len(args)))
	}
	args = append(args, store.FeedbackQuery{Limit: q.Limit}.EffectiveLimit())
	rows, err := db.pool.Query(ctx, `SELECT id, actor, action, subject, detail, at FROM audit_log WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (referral.AuditEntry, error) {
		var e referral.AuditEntry
		err := r.Scan(&e.ID, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.At)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", mapErr(err))
	}
	return out, nil
}

const optOutColumns = `id, person_name, ward, hospital, reference, reason, recorded_by, created_at, revoked_at, revoked_by`

func (db *DB) AddOptOut(ctx context.Context, o referral.OptOut) (referral.OptOut, error) {
	o = o.Normalize()
	if err := o.Validate(); err != nil {
		return referral.OptOut{}, err
	}
	o.ID, o.RevokedAt, o.RevokedBy = 0, time.Time{}, ""
	o.CreatedAt = db.now()
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO optouts (person_name, ward, hospital, reference, reason, recorded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			o.PersonName, o.Ward, o.Hospital, o.Reference, o.Reason, o.RecordedBy, o.CreatedAt).Scan(&o.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: o.RecordedBy, Action: referral.ActionOptOutAdded,
			Subject: fmt.Sprintf("optout:%d", o.ID), At: o.CreatedAt})
	})
	if err != nil {
		return referral.OptOut{}, fmt.Errorf("postgres: add opt-out: %w", mapErr(err))
	}
	return o, nil
}

func (db *DB) RevokeOptOut(ctx context.Context, id int64, actor string) (referral.OptOut, error) {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return referral.OptOut{}, err
	}
	var o referral.OptOut
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		o, err = scanOptOut(tx.QueryRow(ctx, `SELECT `+optOutColumns+` FROM optouts WHERE id = $1 FOR UPDATE`, id))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		case !o.Active():
			return store.ErrConflict
		}
		o.RevokedAt, o.RevokedBy = db.now(), actor
		if _, err := tx.Exec(ctx, `UPDATE optouts SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, o.RevokedAt, actor, id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: referral.ActionOptOutRevoked,
			Subject: fmt.Sprintf("optout:%d", id), At: o.RevokedAt})
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return referral.OptOut{}, err
	case err != nil:
		return referral.OptOut{}, fmt.Errorf("postgres: revoke opt-out: %w", mapErr(err))
	}
	return o, nil
}

func (db *DB) ListOptOuts(ctx context.Context, q store.OptOutQuery) ([]referral.OptOut, error) {
	where := []string{"true"}
	var args []any
	if !q.IncludeRevoked {
		where = append(where, "revoked_at IS NULL")
	}
	if q.PersonName != "" {
		args = append(args, strings.TrimSpace(q.PersonName))
		where = append(where, "person_name = $"+strconv.Itoa(len(args)))
	}
	if q.Ward != "" {
		args = append(args, q.Ward)
		where = append(where, "ward = $"+strconv.Itoa(len(args)))
	}
	if q.Reference != "" {
		args = append(args, q.Reference)
		where = append(where, "reference = $"+strconv.Itoa(len(args)))
	}
	args = append(args, store.FeedbackQuery{Limit: q.Limit}.EffectiveLimit())
	rows, err := db.pool.Query(ctx, `SELECT `+optOutColumns+` FROM optouts WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list opt-outs: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (referral.OptOut, error) { return scanOptOut(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list opt-outs: %w", mapErr(err))
	}
	return out, nil
}

func scanOptOut(row pgx.Row) (referral.OptOut, error) {
	var o referral.OptOut
	var revoked *time.Time
	if err := row.Scan(&o.ID, &o.PersonName, &o.Ward, &o.Hospital, &o.Reference, &o.Reason, &o.RecordedBy,
		&o.CreatedAt, &revoked, &o.RevokedBy); err != nil {
		return referral.OptOut{}, err
	}
	o.CreatedAt = o.CreatedAt.UTC()
	if revoked != nil {
		o.RevokedAt = revoked.UTC()
	}
	return o, nil
}
