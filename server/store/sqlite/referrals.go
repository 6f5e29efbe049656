package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

const referralColumns = `id, reference, idempotency_key, status, advocate_id, flags, priority, version, body,
	created_at, updated_at, acknowledged_at, allocated_at, first_contact_at, closed_at`

// now is the store's clock (see store.Now).
func (db *DB) now() time.Time { return store.Now(db.clock) }

func (db *DB) AddReferral(ctx context.Context, r referral.Referral) (referral.Referral, bool, error) {
	saved, created, err := store.AddReferral(ctx, r, db.now(), db.refs, func(ctx context.Context, in referral.Referral, body []byte) (referral.Referral, bool, bool, error) {
		saved, created, err := db.insertReferral(ctx, in, body)
		if isUniqueViolation(err, "referrals.reference") {
			return referral.Referral{}, false, true, nil // rolled back as a whole; try another reference
		}
		return saved, created, false, err
	})
	if err != nil {
		return referral.Referral{}, false, err
	}
	if created {
		db.hub.notify(saved.ID)
	}
	return saved, created, nil
}

func (db *DB) insertReferral(ctx context.Context, in referral.Referral, body []byte) (referral.Referral, bool, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return referral.Referral{}, false, fmt.Errorf("sqlite: add referral: %w", mapErr(err))
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO referrals
		(reference, idempotency_key, kind, status, ward, source, flags, priority, queue_rank, version, body, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING id`,
		in.Reference, in.IdempotencyKey, in.Kind, in.Status, in.Person.Ward, in.Source,
		in.Flags, in.Priority, -in.Priority, in.Version, string(body),
		fmtTime(in.CreatedAt), fmtTime(in.UpdatedAt)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// The key exists: a retry, or a reused key.
		first, err := getReferral(ctx, tx, `idempotency_key = ?`, in.IdempotencyKey)
		if err != nil {
			return referral.Referral{}, false, fmt.Errorf("sqlite: add referral: %w", mapErr(err))
		}
		if !referral.SameContent(first, in) {
			return referral.Referral{}, false, store.ErrKeyConflict
		}
		return first, false, nil
	}
	if err != nil {
		return referral.Referral{}, false, fmt.Errorf("sqlite: add referral: %w", mapErr(err))
	}
	in.ID = id
	if err := appendAudit(ctx, tx, referral.AuditEntry{
		Actor: store.IntakeActor(in), Action: referral.ActionReferralCreated,
		Subject: referral.Subject(in.Reference), Detail: string(in.Kind), At: in.CreatedAt,
	}); err != nil {
		return referral.Referral{}, false, fmt.Errorf("sqlite: add referral: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return referral.Referral{}, false, fmt.Errorf("sqlite: add referral: %w", mapErr(err))
	}
	return in, true, nil
}

func isUniqueViolation(err error, column string) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(se.Error(), column)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getReferral(ctx context.Context, q queryer, where string, arg any) (referral.Referral, error) {
	r, err := scanReferral(q.QueryRowContext(ctx, `SELECT `+referralColumns+` FROM referrals WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return referral.Referral{}, store.ErrNotFound
	}
	return r, err
}

func (db *DB) GetReferral(ctx context.Context, id int64) (referral.Referral, error) {
	r, err := getReferral(ctx, db.r, `id = ?`, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("sqlite: get referral: %w", mapErr(err))
	}
	return r, err
}

func (db *DB) GetReferralByReference(ctx context.Context, ref string) (referral.Referral, error) {
	ref, ok := referral.ParseReference(ref)
	if !ok {
		return referral.Referral{}, store.ErrNotFound
	}
	r, err := getReferral(ctx, db.r, `reference = ?`, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("sqlite: get referral: %w", mapErr(err))
	}
	return r, err
}

func (db *DB) ListQueue(ctx context.Context, q store.QueueQuery) ([]referral.Referral, string, error) {
	if err := q.Validate(); err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	in := func(col string, vals []string) {
		where = append(where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	var statuses, kinds []string
	for _, s := range q.EffectiveStatuses() {
		statuses = append(statuses, string(s))
	}
	if len(statuses) == 1 {
		where = append(where, "status = ?") // referrals_status_queue gives rows in queue order
		args = append(args, statuses[0])
	} else {
		// The unary + keeps SQLite off referrals_status_queue, whose rows for several
		// statuses would need sorting; walking referrals_queue in order and filtering
		// stops after one page.
		in("+status", statuses)
	}
	if len(q.Kinds) > 0 {
		for _, k := range q.Kinds {
			kinds = append(kinds, string(k))
		}
		in("kind", kinds)
	}
	if q.Flags != 0 {
		where = append(where, "flags & ? = ?")
		args = append(args, q.Flags, q.Flags)
	}
	if q.Ward != "" {
		where = append(where, "ward = ?")
		args = append(args, q.Ward)
	}
	if !q.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, fmtTime(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, fmtTime(q.Until))
	}
	if q.After != "" {
		k, _ := store.ParseCursor(q.After) // checked by Validate
		where = append(where, "(queue_rank, created_at, id) > (?, ?, ?)")
		args = append(args, k.Rank, fmtTime(k.CreatedAt), k.ID)
	}
	limit := q.EffectiveLimit()
	// One extra row tells whether there is a next page.
	args = append(args, limit+1)
	rows, err := db.r.QueryContext(ctx, `SELECT `+referralColumns+` FROM referrals WHERE `+
		strings.Join(where, " AND ")+` ORDER BY queue_rank, created_at, id LIMIT ?`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list queue: %w", mapErr(err))
	}
	defer rows.Close()
	var out []referral.Referral
	for rows.Next() {
		r, err := scanReferral(rows)
		if err != nil {
			return nil, "", fmt.Errorf("sqlite: list queue: %w", mapErr(err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list queue: %w", mapErr(err))
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
		if c.Note != "" {
			detail += ": " + strings.TrimSpace(c.Note)
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

// change applies fn to referral id if its version is still version, writing the result
// and fn's audit entry in one transaction.
func (db *DB) change(ctx context.Context, id, version int64,
	fn func(referral.Referral, time.Time) (referral.Referral, referral.AuditEntry, error)) (referral.Referral, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return referral.Referral{}, fmt.Errorf("sqlite: update referral: %w", mapErr(err))
	}
	defer tx.Rollback()
	r, err := getReferral(ctx, tx, `id = ?`, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return r, err
		}
		return r, fmt.Errorf("sqlite: update referral: %w", mapErr(err))
	}
	if r.Version != version {
		return referral.Referral{}, store.ErrConflict
	}
	at := db.now()
	r, audit, err := fn(r, at)
	if err != nil {
		return referral.Referral{}, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE referrals SET status = ?, advocate_id = ?, flags = ?, priority = ?,
		queue_rank = ?, version = ?, updated_at = ?, acknowledged_at = ?, allocated_at = ?,
		first_contact_at = ?, closed_at = ? WHERE id = ? AND version = ?`,
		r.Status, r.AdvocateID, r.Flags, r.Priority, -r.Priority, r.Version, fmtTime(r.UpdatedAt),
		nullTime(r.AcknowledgedAt), nullTime(r.AllocatedAt), nullTime(r.FirstContactAt), nullTime(r.ClosedAt),
		id, version)
	if err != nil {
		return referral.Referral{}, fmt.Errorf("sqlite: update referral: %w", mapErr(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return referral.Referral{}, store.ErrConflict
	}
	audit.Subject, audit.At = referral.Subject(r.Reference), at
	if err := appendAudit(ctx, tx, audit); err != nil {
		return referral.Referral{}, fmt.Errorf("sqlite: update referral: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return referral.Referral{}, fmt.Errorf("sqlite: update referral: %w", mapErr(err))
	}
	db.hub.notify(r.ID)
	return r, nil
}

func scanReferral(row interface{ Scan(...any) error }) (referral.Referral, error) {
	var (
		r                         referral.Referral
		body, created, updated    string
		ack, alloc, contact, clos sql.NullString
	)
	if err := row.Scan(&r.ID, &r.Reference, &r.IdempotencyKey, &r.Status, &r.AdvocateID, &r.Flags, &r.Priority,
		&r.Version, &body, &created, &updated, &ack, &alloc, &contact, &clos); err != nil {
		return referral.Referral{}, err
	}
	// Decode into a fresh value first: body carries only content, never store fields.
	var c referral.Referral
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return referral.Referral{}, fmt.Errorf("bad body in referral %d: %w", r.ID, err)
	}
	c.ID, c.Reference, c.IdempotencyKey, c.Status, c.AdvocateID = r.ID, r.Reference, r.IdempotencyKey, r.Status, r.AdvocateID
	c.Flags, c.Priority, c.Version = r.Flags, r.Priority, r.Version
	var err error
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{
		{&c.CreatedAt, sql.NullString{String: created, Valid: true}},
		{&c.UpdatedAt, sql.NullString{String: updated, Valid: true}},
		{&c.AcknowledgedAt, ack}, {&c.AllocatedAt, alloc}, {&c.FirstContactAt, contact}, {&c.ClosedAt, clos},
	} {
		if f.src.Valid {
			if *f.dst, err = parseTime(f.src.String); err != nil {
				return referral.Referral{}, fmt.Errorf("referral %d: %w", r.ID, err)
			}
		}
	}
	return c, nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func (db *DB) RefreshPriorities(ctx context.Context, at time.Time) (int, error) {
	changed := 0
	var after int64
	for {
		// Read on the writer's pool: a batch is small and this keeps the read and
		// the updates on one snapshot-consistent connection.
		rows, err := db.w.QueryContext(ctx, `SELECT `+referralColumns+` FROM referrals
			WHERE id > ? AND status IN ('new', 'acknowledged', 'allocated', 'contacted') ORDER BY id LIMIT ?`,
			after, store.RefreshBatch)
		if err != nil {
			return changed, fmt.Errorf("sqlite: refresh priorities: %w", mapErr(err))
		}
		var batch []referral.Referral
		for rows.Next() {
			r, err := scanReferral(rows)
			if err != nil {
				rows.Close()
				return changed, fmt.Errorf("sqlite: refresh priorities: %w", mapErr(err))
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return changed, fmt.Errorf("sqlite: refresh priorities: %w", mapErr(err))
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
			// The version guard skips a referral someone changed meanwhile: that
			// change re-assessed it already.
			res, err := db.w.ExecContext(ctx, `UPDATE referrals SET flags = ?, priority = ?, queue_rank = ?
				WHERE id = ? AND version = ?`, f, f.Score(), -f.Score(), r.ID, r.Version)
			if err != nil {
				return changed, fmt.Errorf("sqlite: refresh priorities: %w", mapErr(err))
			}
			if n, _ := res.RowsAffected(); n == 1 {
				changed++
				db.hub.notify(r.ID)
			}
		}
	}
}
