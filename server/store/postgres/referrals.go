package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// notifyChannel carries referral ids (never anything else) to live staff queues on
// every server.
const notifyChannel = "referrals"

const referralColumns = `id, reference, idempotency_key, status, advocate_id, flags, priority, version, body,
	created_at, updated_at, acknowledged_at, allocated_at, first_contact_at, closed_at`

// now is the store's clock (see store.Now).
func (db *DB) now() time.Time { return store.Now(db.clock) }

func (db *DB) AddReferral(ctx context.Context, r referral.Referral) (referral.Referral, bool, error) {
	saved, created, err := store.AddReferral(ctx, r, db.now(), db.refs, func(ctx context.Context, in referral.Referral, body []byte) (referral.Referral, bool, bool, error) {
		saved, created, err := db.insertReferral(ctx, in, body)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "referrals_reference_key":
			return referral.Referral{}, false, true, nil // the statement rolled back as a whole; try another reference
		case err != nil && !errors.Is(err, store.ErrKeyConflict):
			return referral.Referral{}, false, false, fmt.Errorf("postgres: add referral: %w", mapErr(err))
		}
		return saved, created, false, err
	})
	if err != nil {
		return referral.Referral{}, false, err
	}
	if created {
		db.notes.notify(saved.ID)
	}
	return saved, created, nil
}

// insertReferral writes the referral and its audit entry in one statement: a
// statement is its own transaction, so they still commit together, and it costs one
// round trip instead of four (BEGIN, two INSERTs, COMMIT). The notification follows
// the commit (see notifier).
//
// ON CONFLICT DO NOTHING makes a concurrent duplicate wait for the first insert to
// commit and then insert nothing, so one row exists per key without SERIALIZABLE.
// The data-modifying CTEs run only for the row actually inserted.
func (db *DB) insertReferral(ctx context.Context, in referral.Referral, body []byte) (referral.Referral, bool, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO referrals
			(reference, idempotency_key, kind, status, ward, source, flags, priority, queue_rank, version, body, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (idempotency_key) DO NOTHING
			RETURNING id),
		audit AS (
			INSERT INTO audit_log (actor, action, subject, detail, at)
			SELECT $14, $15, $16, $17, $12 FROM ins)
		SELECT id FROM ins`,
		in.Reference, in.IdempotencyKey, in.Kind, in.Status, in.Person.Ward, in.Source,
		in.Flags, in.Priority, -in.Priority, in.Version, body, in.CreatedAt, in.UpdatedAt,
		store.IntakeActor(in), referral.ActionReferralCreated, referral.Subject(in.Reference), string(in.Kind)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// The key exists: a retry, or a reused key. A new statement in READ
		// COMMITTED sees the row the conflicting insert committed.
		first, err := getReferral(ctx, db.pool, `idempotency_key = $1`, in.IdempotencyKey)
		if err != nil {
			return referral.Referral{}, false, err
		}
		if !referral.SameContent(first, in) {
			return referral.Referral{}, false, store.ErrKeyConflict
		}
		return first, false, nil
	}
	if err != nil {
		return referral.Referral{}, false, err
	}
	in.ID = id
	return in, true, nil
}

func getReferral(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, where string, args ...any) (referral.Referral, error) {
	r, err := scanReferral(q.QueryRow(ctx, `SELECT `+referralColumns+` FROM referrals WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return referral.Referral{}, store.ErrNotFound
	}
	return r, err
}

func (db *DB) GetReferral(ctx context.Context, id int64) (referral.Referral, error) {
	r, err := getReferral(ctx, db.pool, `id = $1`, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("postgres: get referral: %w", mapErr(err))
	}
	return r, err
}

func (db *DB) GetReferralByReference(ctx context.Context, ref string) (referral.Referral, error) {
	ref, ok := referral.ParseReference(ref)
	if !ok {
		return referral.Referral{}, store.ErrNotFound
	}
	r, err := getReferral(ctx, db.pool, `reference = $1`, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("postgres: get referral: %w", mapErr(err))
	}
	return r, err
}

func (db *DB) ListQueue(ctx context.Context, q store.QueueQuery) ([]referral.Referral, string, error) {
	if err := q.Validate(); err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var statuses []string
	for _, s := range q.EffectiveStatuses() {
		statuses = append(statuses, string(s))
	}
	where = append(where, "status = ANY("+arg(statuses)+")")
	if len(q.Kinds) > 0 {
		var kinds []string
		for _, k := range q.Kinds {
			kinds = append(kinds, string(k))
		}
		where = append(where, "kind = ANY("+arg(kinds)+")")
	}
	if q.Flags != 0 {
		p := arg(int32(q.Flags))
		where = append(where, "flags & "+p+" = "+p)
	}
	if q.Ward != "" {
		where = append(where, "ward = "+arg(q.Ward))
	}
	if !q.Since.IsZero() {
		where = append(where, "created_at >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "created_at < "+arg(q.Until))
	}
	if q.After != "" {
		k, _ := store.ParseCursor(q.After) // checked by Validate
		where = append(where, "(queue_rank, created_at, id) > ("+arg(k.Rank)+", "+arg(k.CreatedAt)+", "+arg(k.ID)+")")
	}
	limit := q.EffectiveLimit()
	// One extra row tells whether there is a next page.
	rows, err := db.pool.Query(ctx, `SELECT `+referralColumns+` FROM referrals WHERE `+
		strings.Join(where, " AND ")+` ORDER BY queue_rank, created_at, id LIMIT `+arg(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list queue: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (referral.Referral, error) { return scanReferral(r) })
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list queue: %w", mapErr(err))
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = store.KeyOf(out[limit-1]).Cursor()
	}
	return out, next, nil
}

func (db *DB) UpdateStatus(ctx context.Context, c store.StatusChange) (referral.Referral, error) {
	if err := c.Validate(); err != nil {
		return referral.Referral{}, err
	}
	return db.change(ctx, c.ID, c.Version, func(r referral.Referral, at time.Time) (referral.Referral, referral.AuditEntry, error) {
		from := r.Status
		r, err := store.ApplyStatus(r, c.To, at)
		detail := string(from) + " → " + string(c.To)
		if note := strings.TrimSpace(c.Note); note != "" {
			detail += ": " + note
		}
		return r, referral.AuditEntry{Actor: c.Actor, Action: referral.ActionReferralStatus, Detail: detail}, err
	})
}

func (db *DB) Allocate(ctx context.Context, a store.Allocation) (referral.Referral, error) {
	if err := a.Validate(); err != nil {
		return referral.Referral{}, err
	}
	return db.change(ctx, a.ID, a.Version, func(r referral.Referral, at time.Time) (referral.Referral, referral.AuditEntry, error) {
		r, err := store.ApplyAllocation(r, a.AdvocateID, at)
		return r, referral.AuditEntry{Actor: a.Actor, Action: referral.ActionReferralAllocated, Detail: "advocate " + a.AdvocateID}, err
	})
}

// errRule marks errors from the rules (not the database) so they pass through unwrapped.
type errRule struct{ error }

func (e errRule) Unwrap() error { return e.error }

// change applies fn to referral id if its version is still version, writing the result
// and fn's audit entry in one transaction. FOR UPDATE makes racing changes queue up, so
// the second sees the first's version and gets ErrConflict.
func (db *DB) change(ctx context.Context, id, version int64,
	fn func(referral.Referral, time.Time) (referral.Referral, referral.AuditEntry, error)) (referral.Referral, error) {
	var out referral.Referral
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		r, err := getReferral(ctx, tx, `id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if r.Version != version {
			return store.ErrConflict
		}
		at := db.now()
		r, audit, err := fn(r, at)
		if err != nil {
			return errRule{err}
		}
		if _, err := tx.Exec(ctx, `UPDATE referrals SET status = $1, advocate_id = $2, flags = $3, priority = $4,
			queue_rank = $5, version = $6, updated_at = $7, acknowledged_at = $8, allocated_at = $9,
			first_contact_at = $10, closed_at = $11 WHERE id = $12`,
			r.Status, r.AdvocateID, r.Flags, r.Priority, -r.Priority, r.Version, r.UpdatedAt,
			nullTime(r.AcknowledgedAt), nullTime(r.AllocatedAt), nullTime(r.FirstContactAt), nullTime(r.ClosedAt), id); err != nil {
			return err
		}
		audit.Subject, audit.At = referral.Subject(r.Reference), at
		if err := appendAudit(ctx, tx, audit); err != nil {
			return err
		}
		out = r
		return nil
	})
	var rule errRule
	switch {
	case err == nil:
		db.notes.notify(id) // after commit: see notifier
		return out, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		return referral.Referral{}, err
	case errors.As(err, &rule):
		return referral.Referral{}, rule.error
	}
	return referral.Referral{}, fmt.Errorf("postgres: update referral: %w", mapErr(err))
}

func scanReferral(row pgx.Row) (referral.Referral, error) {
	var (
		r                         referral.Referral
		body                      []byte
		ack, alloc, contact, clos *time.Time
	)
	if err := row.Scan(&r.ID, &r.Reference, &r.IdempotencyKey, &r.Status, &r.AdvocateID, &r.Flags, &r.Priority,
		&r.Version, &body, &r.CreatedAt, &r.UpdatedAt, &ack, &alloc, &contact, &clos); err != nil {
		return referral.Referral{}, err
	}
	// Decode into a fresh value: body carries only content, never store fields.
	var c referral.Referral
	if err := json.Unmarshal(body, &c); err != nil {
		return referral.Referral{}, fmt.Errorf("bad body in referral %d: %w", r.ID, err)
	}
	c.ID, c.Reference, c.IdempotencyKey, c.Status, c.AdvocateID = r.ID, r.Reference, r.IdempotencyKey, r.Status, r.AdvocateID
	c.Flags, c.Priority, c.Version = r.Flags, r.Priority, r.Version
	c.CreatedAt, c.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	for _, f := range []struct {
		dst *time.Time
		src *time.Time
	}{{&c.AcknowledgedAt, ack}, {&c.AllocatedAt, alloc}, {&c.FirstContactAt, contact}, {&c.ClosedAt, clos}} {
		if f.src != nil {
			*f.dst = f.src.UTC()
		}
	}
	return c, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (db *DB) RefreshPriorities(ctx context.Context, at time.Time) (int, error) {
	changed := 0
	var after int64
	for {
		rows, err := db.pool.Query(ctx, `SELECT `+referralColumns+` FROM referrals
			WHERE id > $1 AND status IN ('new', 'acknowledged', 'allocated', 'contacted') ORDER BY id LIMIT $2`,
			after, store.RefreshBatch)
		if err != nil {
			return changed, fmt.Errorf("postgres: refresh priorities: %w", mapErr(err))
		}
		batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (referral.Referral, error) { return scanReferral(r) })
		if err != nil {
			return changed, fmt.Errorf("postgres: refresh priorities: %w", mapErr(err))
		}
		if len(batch) == 0 {
			return changed, nil
		}
		after = batch[len(batch)-1].ID
		for _, r := range batch {
			f := referral.Assess(r, at)
			if f == r.Flags {
				continue
			}
			// One statement per referral, so the notification goes out with its own
			// commit; the version guard skips a referral someone changed meanwhile
			// (that change re-assessed it already).
			tag, err := db.pool.Exec(ctx, `WITH u AS (
					UPDATE referrals SET flags = $1, priority = $2, queue_rank = $3
					WHERE id = $4 AND version = $5 RETURNING id)
				SELECT pg_notify($6, id::text) FROM u`,
				f, f.Score(), -f.Score(), r.ID, r.Version, notifyChannel)
			if err != nil {
				return changed, fmt.Errorf("postgres: refresh priorities: %w", mapErr(err))
			}
			if tag.RowsAffected() == 1 {
				changed++
			}
		}
	}
}
