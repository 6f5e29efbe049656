package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// farFuture stands for "no upper bound" so every query has the same shape.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func bounds(since, until time.Time) (string, string) {
	if until.IsZero() {
		until = farFuture
	}
	return fmtTime(since), fmtTime(until)
}

func (db *DB) ListReferrals(ctx context.Context, q store.RangeQuery) ([]referral.Referral, error) {
	since, until := bounds(q.Since, q.Until)
	rows, err := db.r.QueryContext(ctx, `SELECT `+referralColumns+` FROM referrals
		WHERE created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?)
		ORDER BY created_at, id LIMIT ?`,
		since, until, fmtTime(q.After.CreatedAt), q.After.ID, q.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("sqlite: list referrals: %w", mapErr(err))
	}
	defer rows.Close()
	var out []referral.Referral
	for rows.Next() {
		r, err := scanReferral(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list referrals: %w", mapErr(err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list referrals: %w", mapErr(err))
	}
	return out, nil
}

func (db *DB) MonitoringFacts(ctx context.Context, since, until time.Time) (store.Facts, error) {
	from, to := bounds(since, until)
	var f store.Facts
	// One read transaction, so opt-outs and referrals describe the same moment.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return f, fmt.Errorf("sqlite: monitoring facts: %w", mapErr(err))
	}
	defer tx.Rollback()
	err = eachRow(ctx, tx, `SELECT id, kind, source, status, flags, coalesce(json_extract(body, '$.language'), ''),
		coalesce(json_extract(body, '$.interpreter'), 0), coalesce(json_extract(body, '$.bsl'), 0),
		created_at, first_contact_at, closed_at
		FROM referrals WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`, []any{from, to},
		func(s scanner) error {
			var rf store.ReferralFact
			var created string
			var contact, closed sql.NullString
			if err := s.Scan(&rf.ID, &rf.Kind, &rf.Source, &rf.Status, &rf.Flags, &rf.Language, &rf.Interpreter, &rf.BSL,
				&created, &contact, &closed); err != nil {
				return err
			}
			var err error
			if rf.CreatedAt, err = parseTime(created); err != nil {
				return err
			}
			if rf.FirstContactAt, err = parseNull(contact); err != nil {
				return err
			}
			if rf.ClosedAt, err = parseNull(closed); err != nil {
				return err
			}
			f.Referrals = append(f.Referrals, rf)
			return nil
		})
	if err == nil {
		err = eachRow(ctx, tx, `SELECT id, reference, created_at, revoked_at FROM optouts
			WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id`, []any{from, to},
			func(s scanner) error {
				var of store.OptOutFact
				var created string
				var revoked sql.NullString
				if err := s.Scan(&of.ID, &of.Reference, &created, &revoked); err != nil {
					return err
				}
				var err error
				if of.CreatedAt, err = parseTime(created); err != nil {
					return err
				}
				if of.RevokedAt, err = parseNull(revoked); err != nil {
					return err
				}
				f.OptOuts = append(f.OptOuts, of)
				return nil
			})
	}
	if err != nil {
		return store.Facts{}, fmt.Errorf("sqlite: monitoring facts: %w", mapErr(err))
	}
	return f, nil
}

type scanner interface{ Scan(...any) error }

func eachRow(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(scanner) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func parseNull(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}

func (db *DB) FeedbackCounts(ctx context.Context, since, until time.Time) ([]store.FeedbackCount, error) {
	from, to := bounds(since, until)
	rows, err := db.r.QueryContext(ctx, `SELECT page_id, lang, variant,
			count(*) FILTER (WHERE helpful), count(*) FILTER (WHERE NOT helpful), count(*) FILTER (WHERE comment <> '')
		FROM feedback WHERE created_at >= ? AND created_at < ?
		GROUP BY page_id, lang, variant ORDER BY page_id, lang, variant`, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite: feedback counts: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.FeedbackCount
	for rows.Next() {
		var c store.FeedbackCount
		if err := rows.Scan(&c.PageID, &c.Lang, &c.Variant, &c.Helpful, &c.NotHelpful, &c.WithComments); err != nil {
			return nil, fmt.Errorf("sqlite: feedback counts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: feedback counts: %w", mapErr(err))
	}
	return out, nil
}

// lastContact is the retention clock of a referral. SQLite's max() of a NULL is NULL,
// so missing stamps fall back to created_at; the fixed-width text compares as time.
const lastContact = `max(created_at, updated_at, coalesce(first_contact_at, created_at), coalesce(closed_at, created_at))`

func (db *DB) PurgeBefore(ctx context.Context, cutoff time.Time, actor string, dryRun bool) (store.PurgeCounts, error) {
	if err := store.ValidatePurge(cutoff, actor); err != nil {
		return store.PurgeCounts{}, err
	}
	var c store.PurgeCounts
	// updated_at < cutoff lets the index narrow the rows first; the max() test is the
	// rule itself.
	stmts := []struct {
		count, purge string
		n            *int64
	}{
		{`SELECT count(*) FROM referrals WHERE updated_at < ?1 AND ` + lastContact + ` < ?1`,
			`DELETE FROM referrals WHERE updated_at < ?1 AND ` + lastContact + ` < ?1`, &c.Referrals},
		{`SELECT count(*) FROM optouts WHERE created_at < ?1 AND coalesce(revoked_at, created_at) < ?1`,
			`DELETE FROM optouts WHERE created_at < ?1 AND coalesce(revoked_at, created_at) < ?1`, &c.OptOuts},
		{`SELECT count(*) FROM chat_sessions WHERE expires_at < ?1`,
			`DELETE FROM chat_sessions WHERE expires_at < ?1`, &c.ChatSessions},
		{`SELECT count(*) FROM feedback WHERE created_at < ?1 AND comment <> ''`,
			`UPDATE feedback SET comment = '' WHERE created_at < ?1 AND comment <> ''`, &c.FeedbackComments},
	}
	at := fmtTime(cutoff)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", mapErr(err))
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if dryRun {
			if err := tx.QueryRowContext(ctx, s.count, at).Scan(s.n); err != nil {
				return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", mapErr(err))
			}
			continue
		}
		res, err := tx.ExecContext(ctx, s.purge, at)
		if err != nil {
			return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", mapErr(err))
		}
		if *s.n, err = res.RowsAffected(); err != nil {
			return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", err)
		}
	}
	if dryRun {
		return c, nil
	}
	if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionRetentionPurged,
		Detail: "before " + cutoff.UTC().Format(time.RFC3339) + ": " + c.Detail(), At: db.now()}); err != nil {
		return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return store.PurgeCounts{}, fmt.Errorf("sqlite: purge: %w", mapErr(err))
	}
	db.hub.notify(store.Requery) // rows vanished: live queues re-read
	return c, nil
}

func (db *DB) EraseReferral(ctx context.Context, ref, actor string) (store.PurgeCounts, error) {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return store.PurgeCounts{}, err
	}
	ref, ok := referral.ParseReference(ref)
	if !ok {
		return store.PurgeCounts{}, store.ErrNotFound
	}
	var c store.PurgeCounts
	err := func() error {
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		res, err := tx.ExecContext(ctx, `DELETE FROM referrals WHERE reference = ?`, ref)
		if err != nil {
			return err
		}
		if c.Referrals, err = res.RowsAffected(); err != nil {
			return err
		}
		if c.Referrals == 0 {
			return store.ErrNotFound
		}
		if res, err = tx.ExecContext(ctx, `DELETE FROM optouts WHERE reference = ?`, ref); err != nil {
			return err
		}
		if c.OptOuts, err = res.RowsAffected(); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionReferralErased,
			Subject: referral.Subject(ref), Detail: "on request: " + c.Detail(), At: db.now()}); err != nil {
			return err
		}
		return tx.Commit()
	}()
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.PurgeCounts{}, err
	case err != nil:
		return store.PurgeCounts{}, fmt.Errorf("sqlite: erase referral: %w", mapErr(err))
	}
	db.hub.notify(store.Requery)
	return c, nil
}
