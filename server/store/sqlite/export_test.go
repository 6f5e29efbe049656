package sqlite

import (
	"io"
	"testing"
	"time"
)

// WithBusyTimeout lets tests see SQLITE_BUSY without waiting the default timeout.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// CountVersions lets the external tests look at schema_version without widening the API.
func CountVersions(t *testing.T, path string) int {
	t.Helper()
	db, err := openPool(path, true, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// SetReferenceSource makes references come from r, so a test can force a collision.
func (db *DB) SetReferenceSource(r io.Reader) { db.refs = r }
