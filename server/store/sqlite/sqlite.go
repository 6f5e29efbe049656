// Package sqlite is the embedded store.Store backend (the default): one file, no server
// to run, pure Go (modernc.org/sqlite) so the binary cross-compiles without cgo.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imha-advocacy/imha/server/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// timeFormat is fixed-width so text comparison in SQL equals time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// defaultBusyTimeout is how long a connection waits for the write lock before giving up
// with SQLITE_BUSY (reported as store.ErrUnavailable): long enough to ride out another
// process's migration, short enough that a person is not left staring at a spinner.
const defaultBusyTimeout = 5 * time.Second

// DB is a store.Store backed by one SQLite file.
//
// SQLite allows one writer at a time, so writes go through a pool of exactly one
// connection (queueing in Go instead of spinning on SQLITE_BUSY), while reads use a
// separate read-only pool that WAL mode lets run alongside the writer.
type DB struct {
	w   *sql.DB
	r   *sql.DB
	cp  *sql.DB       // checkpoints the WAL in the background (see checkpoints)
	cpc chan struct{} // closed to stop the checkpointer
	cpd chan struct{} // closed when it has stopped
	end sync.Once     // Close may be called more than once
	hub hub           // referral change notifications for ListenReferrals
	// refs is where references come from; nil means crypto/rand. Tests set it to force
	// a collision.
	refs io.Reader
	// clock replaces time.Now (see WithClock); nil means the real time.
	clock func() time.Time
}

var _ store.Store = (*DB)(nil)

// Option changes how Open behaves.
type Option func(*options)

type options struct {
	migrate     bool
	busyTimeout time.Duration
	clock       func() time.Time
}

// WithoutMigrate makes Open skip Migrate, for tools that must not change the schema
// (for example a read-only report run against a copy of the file).
func WithoutMigrate() Option { return func(o *options) { o.migrate = false } }

// WithClock makes the store stamp records with clock() instead of time.Now, so
// tests can build a history (referrals made months ago, contacts days later) that
// retention and monitoring must handle.
func WithClock(clock func() time.Time) Option { return func(o *options) { o.clock = clock } }

// Open opens (creating if needed) the database file at path and its parent directory,
// and brings the schema up to date with Migrate unless WithoutMigrate is given.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{migrate: true, busyTimeout: defaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}

	w, err := openPool(path, false, o.busyTimeout)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0) // keep the one connection; reopening costs more than it saves
	// Create the file and switch it to WAL before the read-only pool opens it: a
	// read-only connection can neither create the file nor change the journal mode.
	if err := pingRetry(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, mapErr(err))
	}

	r, err := openPool(path, true, o.busyTimeout)
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)

	cp, err := openPool(path, false, o.busyTimeout)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	cp.SetMaxOpenConns(1)
	db := &DB{w: w, r: r, cp: cp, cpc: make(chan struct{}), cpd: make(chan struct{}), clock: o.clock}
	go db.checkpoints(checkpointEvery)
	if o.migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func openPool(path string, readOnly bool, busyTimeout time.Duration) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL is durable in WAL mode except for the last transactions on power loss, and
	// avoids an fsync per feedback answer.
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// No checkpoint inside a commit: the automatic one fsyncs while every
		// other write waits, which showed as 300+ ms tails under chat load.
		// checkpoints() does it beside the writer instead.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// Take the write lock at BEGIN, so a transaction never fails half-way when it
		// upgrades from reading to writing (busy_timeout cannot help with that).
		q.Set("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return db, nil
}

// Migrate applies the embedded migrations (migrations/NNN_name.sql) that the database
// has not seen yet, each in its own transaction together with its schema_version row, so
// a failed migration leaves no trace and re-running Migrate is a no-op. Concurrent
// callers (even in other processes) are safe: each transaction takes the write lock
// before checking the version.
func (db *DB) Migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", mapErr(err))
	}
	migrations, err := loadMigrations()
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.name, mapErr(err))
		}
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, f := range files { // fs.Glob returns names sorted
		name := filepath.Base(f)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		// Versions must run 1, 2, 3...: a gap or duplicate means a mis-numbered file.
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("sqlite: migration %s: want a name starting %03d_", name, i+1)
		}
		body, err := fs.ReadFile(migrationFS, f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	return ms, nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_version WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(timeFormat)); err != nil {
		return err
	}
	return tx.Commit()
}

// Ping checks both pools, because a request may need either.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", mapErr(err))
	}
	return nil
}

const feedbackColumns = `id, idempotency_key, page_id, lang, variant, helpful, comment, created_at`

func (db *DB) AddFeedback(ctx context.Context, f store.Feedback) (store.Feedback, bool, error) {
	f = f.Normalize()
	if err := f.Validate(); err != nil {
		return store.Feedback{}, false, err
	}
	f.CreatedAt = db.now()

	// The single writer connection serializes this with every other write, but a second
	// server process could share the file, so rely on the UNIQUE constraint, not on Go.
	row := db.w.QueryRowContext(ctx, `INSERT INTO feedback
		(idempotency_key, page_id, lang, variant, helpful, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING `+feedbackColumns,
		f.Key, f.PageID, f.Lang, f.Variant, f.Helpful, f.Comment, f.CreatedAt.Format(timeFormat))
	saved, err := scanFeedback(row)
	if err == nil {
		return saved, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return store.Feedback{}, false, fmt.Errorf("sqlite: add feedback: %w", mapErr(err))
	}

	// The key exists: a retry, or a reused key. Read on the writer so we see the row
	// even if another process just committed it.
	row = db.w.QueryRowContext(ctx, `SELECT `+feedbackColumns+` FROM feedback WHERE idempotency_key = ?`, f.Key)
	first, err := scanFeedback(row)
	if err != nil {
		return store.Feedback{}, false, fmt.Errorf("sqlite: add feedback: %w", mapErr(err))
	}
	if !store.SameContent(first, f) {
		return store.Feedback{}, false, store.ErrKeyConflict
	}
	return first, false, nil
}

func (db *DB) ListFeedback(ctx context.Context, q store.FeedbackQuery) ([]store.Feedback, error) {
	var where []string
	var args []any
	if !q.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.Since.UTC().Format(timeFormat))
	}
	if !q.Until.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, q.Until.UTC().Format(timeFormat))
	}
	if q.PageID != "" {
		where = append(where, "page_id = ?")
		args = append(args, q.PageID)
	}
	query := `SELECT ` + feedbackColumns + ` FROM feedback`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, q.EffectiveLimit())

	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list feedback: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Feedback
	for rows.Next() {
		f, err := scanFeedback(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list feedback: %w", mapErr(err))
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list feedback: %w", mapErr(err))
	}
	return out, nil
}

func scanFeedback(row interface{ Scan(...any) error }) (store.Feedback, error) {
	var f store.Feedback
	var created string
	if err := row.Scan(&f.ID, &f.Key, &f.PageID, &f.Lang, &f.Variant, &f.Helpful, &f.Comment, &created); err != nil {
		return store.Feedback{}, err
	}
	t, err := time.Parse(timeFormat, created)
	if err != nil {
		return store.Feedback{}, fmt.Errorf("bad created_at %q in row %d: %w", created, f.ID, err)
	}
	f.CreatedAt = t.UTC()
	return f, nil
}

func (db *DB) Close() error {
	var err error
	db.end.Do(func() {
		close(db.cpc)
		<-db.cpd
		// A last checkpoint, best effort. PASSIVE, not TRUNCATE: TRUNCATE
		// takes a lock during which another process opening the file gets
		// SQLITE_BUSY without its busy handler being asked; the WAL is
		// rewound by the next write anyway.
		_, _ = db.cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		err = errors.Join(db.cp.Close(), db.r.Close(), db.w.Close())
	})
	return err
}

// pingRetry makes the first connection, retrying briefly while another
// process is creating the same file or switching it to WAL: SQLite can
// report SQLITE_BUSY then without waiting through busy_timeout.
func pingRetry(ctx context.Context, db *sql.DB) error {
	var err error
	for wait := 10 * time.Millisecond; wait < 2*time.Second; wait *= 2 {
		if err = db.PingContext(ctx); err == nil || !errors.Is(mapErr(err), store.ErrUnavailable) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return err
}

// checkpointEvery is how often the WAL is copied back into the database file.
const checkpointEvery = time.Second

// checkpoints copies the WAL into the database file in two passes. The bulk
// copy and its fsync run on a connection of their own: a PASSIVE checkpoint
// never blocks the writer (and commits in WAL mode with synchronous=NORMAL do
// not fsync). That pass never quite catches up under steady writes, and the
// WAL is only rewound after a checkpoint that did, so the writer connection
// then checkpoints the few frames left: nothing can append meanwhile, its
// fsync is small, and the next write starts the WAL from the beginning
// rather than letting it grow without bound.
func (db *DB) checkpoints(every time.Duration) {
	defer close(db.cpd)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-db.cpc:
			return
		case <-t.C:
			// Busy or locked: try again next tick.
			_, _ = db.cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			_, _ = db.w.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// mapErr marks lock contention as transient: a person can simply try again.
func mapErr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // primary code; extended codes carry detail in the high bits
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
	}
	return err
}
