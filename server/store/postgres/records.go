package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// farFuture stands for "no upper bound" so every query has the same shape.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func bounds(since, until time.Time) (time.Time, time.Time) {
	if until.IsZero() {
		until = farFuture
	}
	return since, until
}

func (db *DB) ListReferrals(ctx context.Context, q store.RangeQuery) ([]referral.Referral, error) {
	since, until := bounds(q.Since, q.Until)
	rows, err := db.pool.Query(ctx, `SELECT `+referralColumns+` FROM referrals
		WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4)
		ORDER BY created_at, id LIMIT $5`,
		since, until, q.After.CreatedAt, q.After.ID, q.EffectiveLimit())
	if err != nil {
		return nil, fmt.Errorf("postgres: list referrals: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (referral.Referral, error) { return scanReferral(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list referrals: %w", mapErr(err))
	}
	return out, nil
}

func (db *DB) MonitoringFacts(ctx context.Context, since, until time.Time) (store.Facts, error) {
	since, until = bounds(since, until)
	var f store.Facts
	// One snapshot for both reads, so opt-outs and referrals describe the same moment.
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, kind, source, status, flags, coalesce(body->>'language', ''),
			coalesce((body->>'interpreter')::boolean, false), coalesce((body->>'bsl')::boolean, false),
			created_at, first_contact_at, closed_at
			FROM referrals WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, since, until)
		if err != nil {
			return err
		}
		f.Referrals, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ReferralFact, error) {
			var rf store.ReferralFact
			var contact, closed *time.Time
			err := r.Scan(&rf.ID, &rf.Kind, &rf.Source, &rf.Status, &rf.Flags, &rf.Language, &rf.Interpreter, &rf.BSL,
				&rf.CreatedAt, &contact, &closed)
			rf.CreatedAt = rf.CreatedAt.UTC()
			if contact != nil {
				rf.FirstContactAt = contact.UTC()
			}
			if closed != nil {
				rf.ClosedAt = closed.UTC()
			}
			return rf, err
		})
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT id, reference, created_at, revoked_at FROM optouts
			WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, since, until)
		if err != nil {
			return err
		}
		f.OptOuts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.OptOutFact, error) {
			var of store.OptOutFact
			var revoked *time.Time
			err := r.Scan(&of.ID, &of.Reference, &of.CreatedAt, &revoked)
			of.CreatedAt = of.CreatedAt.UTC()
			if revoked != nil {
				of.RevokedAt = revoked.UTC()
			}
			return of, err
		})
		return err
	})
	if err != nil {
		return store.Facts{}, fmt.Errorf("postgres: monitoring facts: %w", mapErr(err))
	}
	return f, nil
}

func (db *DB) FeedbackCounts(ctx context.Context, since, until time.Time) ([]store.FeedbackCount, error) {
	since, until = bounds(since, until)
	rows, err := db.pool.Query(ctx, `SELECT page_id, lang, variant,
			count(*) FILTER (WHERE helpful), count(*) FILTER (WHERE NOT helpful), count(*) FILTER (WHERE comment <> '')
		FROM feedback WHERE created_at >= $1 AND created_at < $2
		GROUP BY page_id, lang, variant ORDER BY page_id, lang, variant`, since, until)
	if err != nil {
		return nil, fmt.Errorf("postgres: feedback counts: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FeedbackCount, error) {
		var c store.FeedbackCount
		err := r.Scan(&c.PageID, &c.Lang, &c.Variant, &c.Helpful, &c.NotHelpful, &c.WithComments)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: feedback counts: %w", mapErr(err))
	}
	return out, nil
}

// lastContact is the retention clock of a referral. GREATEST skips NULLs.
const lastContact = `GREATEST(created_at, updated_at, first_contact_at, closed_at)`

func (db *DB) PurgeBefore(ctx context.Context, cutoff time.Time, actor string, dryRun bool) (store.PurgeCounts, error) {
	if err := store.ValidatePurge(cutoff, actor); err != nil {
		return store.PurgeCounts{}, err
	}
	var c store.PurgeCounts
	// updated_at < cutoff lets the index narrow the rows first; the GREATEST test is
	// the rule itself.
	stmts := []struct {
		count, purge string
		n            *int64
	}{
		{`SELECT count(*) FROM referrals WHERE updated_at < $1 AND ` + lastContact + ` < $1`,
			`DELETE FROM referrals WHERE updated_at < $1 AND ` + lastContact + ` < $1`, &c.Referrals},
		{`SELECT count(*) FROM optouts WHERE created_at < $1 AND coalesce(revoked_at, created_at) < $1`,
			`DELETE FROM optouts WHERE created_at < $1 AND coalesce(revoked_at, created_at) < $1`, &c.OptOuts},
		{`SELECT count(*) FROM chat_sessions WHERE expires_at < $1`,
			`DELETE FROM chat_sessions WHERE expires_at < $1`, &c.ChatSessions},
		{`SELECT count(*) FROM feedback WHERE created_at < $1 AND comment <> ''`,
			`UPDATE feedback SET comment = '' WHERE created_at < $1 AND comment <> ''`, &c.FeedbackComments},
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if dryRun {
				if err := tx.QueryRow(ctx, s.count, cutoff).Scan(s.n); err != nil {
					return err
				}
				continue
			}
			tag, err := tx.Exec(ctx, s.purge, cutoff)
			if err != nil {
				return err
			}
			*s.n = tag.RowsAffected()
		}
		if dryRun {
			return nil
		}
		if err := requery(ctx, tx); err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionRetentionPurged,
			Detail: "before " + cutoff.UTC().Format(time.RFC3339) + ": " + c.Detail(), At: db.now()})
	})
	if err != nil {
		return store.PurgeCounts{}, fmt.Errorf("postgres: purge: %w", mapErr(err))
	}
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
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM referrals WHERE reference = $1`, ref)
		if err != nil {
			return err
		}
		if c.Referrals = tag.RowsAffected(); c.Referrals == 0 {
			return store.ErrNotFound
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM optouts WHERE reference = $1`, ref); err != nil {
			return err
		}
		c.OptOuts = tag.RowsAffected()
		if err := requery(ctx, tx); err != nil {
			return err
		}
		return appendAudit(ctx, tx, referral.AuditEntry{Actor: actor, Action: store.ActionReferralErased,
			Subject: referral.Subject(ref), Detail: "on request: " + c.Detail(), At: db.now()})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.PurgeCounts{}, err
	case err != nil:
		return store.PurgeCounts{}, fmt.Errorf("postgres: erase referral: %w", mapErr(err))
	}
	return c, nil
}

// requery tells live staff queues to re-read: rows vanished, and a deleted referral
// has no id worth sending.
func requery(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '0')`, notifyChannel)
	return err
}
