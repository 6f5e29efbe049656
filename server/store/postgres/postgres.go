// Package postgres is the store.Store backend for deployments with several servers
// sharing one PostgreSQL database (pgx v5 pool, tern migrations).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/imha-advocacy/imha/server/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// versionTable is tern's bookkeeping table; schema-qualified as tern recommends, so a
// search_path change in a migration cannot make tern lose track of it.
const versionTable = "public.schema_version"

// DB is a store.Store backed by a PostgreSQL connection pool.
type DB struct {
	pool *pgxpool.Pool
	// refs is where references come from; nil means crypto/rand. Tests set it to force
	// a collision.
	refs io.Reader
	// clock replaces time.Now (see WithClock); nil means the real time.
	clock func() time.Time
	notes *notifier // referral ids to NOTIFY after commit
}

var _ store.Store = (*DB)(nil)

// Option changes how Open behaves.
type Option func(*options)

type options struct {
	migrate bool
	clock   func() time.Time
}

// WithClock makes the store stamp records with clock() instead of time.Now, so
// tests can build a history (referrals made months ago, contacts days later) that
// retention and monitoring must handle.
func WithClock(clock func() time.Time) Option { return func(o *options) { o.clock = clock } }

// WithoutMigrate makes Open skip Migrate, for deployments where a separate step (or a
// role with DDL rights) runs migrations and the server's role may not change the schema.
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// defaultMaxConns is the pool size unless the URL sets pool_max_conns. Several
// servers share one database: 4 servers take 128 of PostgreSQL's default 100…
// so deployments with more than 3 servers must set pool_max_conns or raise
// max_connections.
const defaultMaxConns = 32

// Open connects to the database at url (a postgres:// URL or keyword/value string,
// including pool settings such as pool_max_conns), checks that it answers, and brings
// the schema up to date with Migrate unless WithoutMigrate is given.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	o := options{migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error text may include the URL, password and all; say only what is wrong.
		return nil, errors.New("postgres: invalid database URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default, max(4, CPUs), suits CPU-bound work; ours waits on
		// commits (fsync), and more sessions committing at once share each WAL
		// flush. With 4, intake queued for the pool: p99 99 ms at 8 writers and
		// 221 ms at 32 (BenchmarkAddReferralLatency, 2 CPUs).
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", mapErr(err))
	}
	db := &DB{pool: pool, clock: o.clock}
	db.notes = newNotifier(func(ctx context.Context, payload string) error {
		_, err := pool.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, payload)
		return err
	})
	// pgxpool connects lazily; fail at start-up, not on the first person's request.
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if o.migrate {
		if err := db.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return db, nil
}

// Migrate applies the embedded migrations (migrations/NNN_name.sql, tern format) that
// the database has not seen yet; re-running it is a no-op.
//
// Several servers starting at once are safe: tern's Migrator takes a session-level
// pg_advisory_lock (migrate.go, acquireAdvisoryLock, a fixed lock number) both while
// creating its version table (ensureSchemaVersionTableExists, called by NewMigrator)
// and around the whole run in MigrateTo, and reads the current version only after it
// holds the lock. Each migration runs in its own transaction.
//
// Migrate uses its own connection, closed afterwards, rather than one from the pool: if
// the context is cancelled mid-way tern cannot unlock, and a pooled connection would
// then keep holding the advisory lock; closing the session always releases it.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := m.LoadMigrations(sub); err != nil {
		return fmt.Errorf("postgres: migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	return nil
}

func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", mapErr(err))
	}
	return nil
}

const feedbackColumns = `id, idempotency_key, page_id, lang, variant, helpful, comment, created_at`

func (db *DB) AddFeedback(ctx context.Context, f store.Feedback) (store.Feedback, bool, error) {
	f = f.Normalize()
	if err := f.Validate(); err != nil {
		return store.Feedback{}, false, err
	}
	// ON CONFLICT DO NOTHING makes a concurrent duplicate wait for the first insert to
	// commit and then insert nothing, so exactly one row exists per key without a
	// serializable transaction. RETURNING gives no row in that case.
	row := db.pool.QueryRow(ctx, `INSERT INTO feedback
		(idempotency_key, page_id, lang, variant, helpful, comment, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+feedbackColumns,
		f.Key, f.PageID, f.Lang, f.Variant, f.Helpful, f.Comment, db.now())
	saved, err := scanFeedback(row)
	if err == nil {
		return saved, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.Feedback{}, false, fmt.Errorf("postgres: add feedback: %w", mapErr(err))
	}

	// A new statement in READ COMMITTED sees the row the conflicting insert committed.
	row = db.pool.QueryRow(ctx, `SELECT `+feedbackColumns+` FROM feedback WHERE idempotency_key = $1`, f.Key)
	first, err := scanFeedback(row)
	if err != nil {
		return store.Feedback{}, false, fmt.Errorf("postgres: add feedback: %w", mapErr(err))
	}
	if !store.SameContent(first, f) {
		return store.Feedback{}, false, store.ErrKeyConflict
	}
	return first, false, nil
}

func (db *DB) ListFeedback(ctx context.Context, q store.FeedbackQuery) ([]store.Feedback, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !q.Since.IsZero() {
		add("created_at >= $%d", q.Since)
	}
	if !q.Until.IsZero() {
		add("created_at < $%d", q.Until)
	}
	if q.PageID != "" {
		add("page_id = $%d", q.PageID)
	}
	query := `SELECT ` + feedbackColumns + ` FROM feedback`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.EffectiveLimit())
	query += fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT $%d", len(args))

	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list feedback: %w", mapErr(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Feedback, error) { return scanFeedback(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list feedback: %w", mapErr(err))
	}
	return out, nil
}

func scanFeedback(row pgx.Row) (store.Feedback, error) {
	var f store.Feedback
	err := row.Scan(&f.ID, &f.Key, &f.PageID, &f.Lang, &f.Variant, &f.Helpful, &f.Comment, &f.CreatedAt)
	f.CreatedAt = f.CreatedAt.UTC()
	return f, err
}

// Close sends queued notifications, waits for queries in progress and closes every
// connection.
func (db *DB) Close() error {
	db.notes.close()
	db.pool.Close()
	return nil
}

// transientCodes are SQLSTATEs after which the same request may well succeed if tried
// again: serialization_failure, deadlock_detected, admin_shutdown, crash_shutdown,
// cannot_connect_now (starting up or shutting down). Class 08 (connection exceptions) is
// matched separately.
var transientCodes = map[string]bool{
	"40001": true,
	"40P01": true,
	"57P01": true,
	"57P02": true,
	"57P03": true,
}

// mapErr wraps transient failures in store.ErrUnavailable (keeping the cause for logs)
// and returns every other error unchanged.
func mapErr(err error) error {
	if err == nil || !isTransient(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

func isTransient(err error) bool {
	// A server answer decides first: e.g. a ConnectError wrapping a bad password
	// (28P01) is permanent, one wrapping 57P03 is not.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return transientCodes[pgErr.Code] || strings.HasPrefix(pgErr.Code, "08")
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	// pgconn marks errors where the query certainly never reached the server.
	return pgconn.SafeToRetry(err)
}
