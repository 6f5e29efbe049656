package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/store"
)

// listenAppName marks the listening session in pg_stat_activity (and lets tests find
// and cut it).
const listenAppName = "imha-listen-referrals"

// Reconnect back-off for ListenReferrals.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 10 * time.Second
)

// ListenReferrals implements store.ReferralNotifier with LISTEN on its own connection
// (not a pooled one: a listening session must stay open and must not be handed to a
// query). Whenever it starts listening, first time or after a lost connection, it
// calls fn(store.Requery), because notifications sent while nobody listened are gone.
// It retries the connection with back-off until ctx ends.
func (db *DB) ListenReferrals(ctx context.Context, fn func(id int64)) error {
	cfg := db.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenAppName
	wait := listenRetryMin
	for {
		err := db.listenOnce(ctx, cfg, fn, func() { wait = listenRetryMin })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = err // the connection dropped or never came up; try again after a pause
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

func (db *DB) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, fn func(int64), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	connected()
	fn(store.Requery)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		// A batch of ids; anything we cannot read means re-read everything.
		for _, id := range parsePayload(n.Payload) {
			fn(id)
		}
	}
}
