package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func appendAudit(ctx context.Context, x execer, e referral.AuditEntry) error {
	_, err := x.ExecContext(ctx, `INSERT INTO audit_log (actor, action, subject, detail, at) VALUES (?, ?, ?, ?, ?)`,
		e.Actor, e.Action, e.Subject, e.Detail, fmtTime(e.At))
	return err
}

func (db *DB) AppendAudit(ctx context.Context, e referral.AuditEntry) (referral.AuditEntry, error) {
	e = e.Normalize()
	if err := e.Validate(); err != nil {
		return referral.AuditEntry{}, err
	}
	e.At = db.now()
	err := db.w.QueryRowContext(ctx, `INSERT INTO audit_log (actor, action, subject, detail, at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		e.Actor, e.Action, e.Subject, e.Detail, fmtTime(e.At)).Scan(&e.ID)
	if err != nil {
		return referral.AuditEntry{}, fmt.Errorf("sqlite: append audit: %w", mapErr(err))
	}
	return e, nil
}

func (db *DB) ListAudit(ctx context.Context, q store.AuditQuery) ([]referral.AuditEntry, error) {
	where := []string{"id > ?"}
	args := []any{q.AfterID}
	if q.Subject != "" {
		where = append(where, "subject = ?")
		args = append(args, q.Subject)
	}
	if q.Actor != "" {
		where = append(where, "actor = ?")
		args = append(args, q.Actor)
	}
	args = append(args, store.FeedbackQuery{Limit: q.Limit}.EffectiveLimit())
	rows, err := db.r.QueryContext(ctx, `SELECT id, actor, action, subject, detail, at FROM audit_log WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", mapErr(err))
	}
	defer rows.Close()
	var out []referral.AuditEntry
	for rows.Next() {
		var e referral.AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &e.Actor, &e.Action, &e.Subject, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", mapErr(err))
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("sqlite: list audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", mapErr(err))
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: add opt-out: %w", mapErr(err))
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `INSERT INTO optouts (person_name, ward, hospital, reference, reason, recorded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.PersonName, o.Ward, o.Hospital, o.Reference, o.Reason, o.RecordedBy, fmtTime(o.CreatedAt)).Scan(&o.ID); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: add opt-out: %w", mapErr(err))
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: o.RecordedBy, Action: referral.ActionOptOutAdded,
		Subject: fmt.Sprintf("optout:%d", o.ID), At: o.CreatedAt}); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: add opt-out: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: add opt-out: %w", mapErr(err))
	}
	return o, nil
}

func (db *DB) RevokeOptOut(ctx context.Context, id int64, actor string) (referral.OptOut, error) {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return referral.OptOut{}, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: revoke opt-out: %w", mapErr(err))
	}
	defer tx.Rollback()
	o, err := scanOptOut(tx.QueryRowContext(ctx, `SELECT `+optOutColumns+` FROM optouts WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return referral.OptOut{}, store.ErrNotFound
	case err != nil:
		return referral.OptOut{}, fmt.Errorf("sqlite: revoke opt-out: %w", mapErr(err))
	case !o.Active():
		return referral.OptOut{}, store.ErrConflict
	}
	o.RevokedAt, o.RevokedBy = db.now(), actor
	if _, err := tx.ExecContext(ctx, `UPDATE optouts SET revoked_at = ?, revoked_by = ? WHERE id = ?`,
		fmtTime(o.RevokedAt), actor, id); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: revoke opt-out: %w", mapErr(err))
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: referral.ActionOptOutRevoked,
		Subject: fmt.Sprintf("optout:%d", id), At: o.RevokedAt}); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: revoke opt-out: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return referral.OptOut{}, fmt.Errorf("sqlite: revoke opt-out: %w", mapErr(err))
	}
	return o, nil
}

func (db *DB) ListOptOuts(ctx context.Context, q store.OptOutQuery) ([]referral.OptOut, error) {
	where := []string{"1 = 1"}
	var args []any
	if !q.IncludeRevoked {
		where = append(where, "revoked_at IS NULL")
	}
	if q.PersonName != "" {
		where = append(where, "person_name = ?")
		args = append(args, strings.TrimSpace(q.PersonName))
	}
	if q.Ward != "" {
		where = append(where, "ward = ?")
		args = append(args, q.Ward)
	}
	if q.Reference != "" {
		where = append(where, "reference = ?")
		args = append(args, q.Reference)
	}
	args = append(args, store.FeedbackQuery{Limit: q.Limit}.EffectiveLimit())
	rows, err := db.r.QueryContext(ctx, `SELECT `+optOutColumns+` FROM optouts WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list opt-outs: %w", mapErr(err))
	}
	defer rows.Close()
	var out []referral.OptOut
	for rows.Next() {
		o, err := scanOptOut(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list opt-outs: %w", mapErr(err))
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list opt-outs: %w", mapErr(err))
	}
	return out, nil
}

func scanOptOut(row interface{ Scan(...any) error }) (referral.OptOut, error) {
	var o referral.OptOut
	var created string
	var revoked sql.NullString
	if err := row.Scan(&o.ID, &o.PersonName, &o.Ward, &o.Hospital, &o.Reference, &o.Reason, &o.RecordedBy,
		&created, &revoked, &o.RevokedBy); err != nil {
		return referral.OptOut{}, err
	}
	var err error
	if o.CreatedAt, err = parseTime(created); err != nil {
		return referral.OptOut{}, err
	}
	if revoked.Valid {
		if o.RevokedAt, err = parseTime(revoked.String); err != nil {
			return referral.OptOut{}, err
		}
	}
	return o, nil
}
