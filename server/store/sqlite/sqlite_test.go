package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/sqlite"
	"github.com/imha-advocacy/imha/server/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "data", "imha.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestConformanceClocked(t *testing.T) {
	storetest.RunClocked(t, func(t *testing.T, now func() time.Time) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "imha.db"), sqlite.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "imha.db")
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"concurrent opens", func(t *testing.T) {
			// Several processes starting at once each open the file and migrate.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					db, err := sqlite.Open(ctx, path)
					if err == nil {
						err = db.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("Open %d: %v", i, err)
				}
			}
		}},
		{"re-run is a no-op", func(t *testing.T) {
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for range 2 {
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"schema_version has one row per migration", func(t *testing.T) {
			files, err := filepath.Glob("migrations/*.sql")
			if err != nil || len(files) == 0 {
				t.Fatalf("no migrations found: %v", err)
			}
			if got, want := sqlite.CountVersions(t, path), len(files); got != want {
				t.Errorf("schema_version rows = %d, want %d", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func TestOpenPaths(t *testing.T) {
	tests := []struct{ name, rel string }{
		{"missing parent dirs", "a/b/c/imha.db"},
		{"space", "my data/imha db.sqlite"},
		{"non-ASCII", "données/بيانات.db"},
		{"URL-like characters", "x%20y/imha#1.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.rel)
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database file not at the given path: %v", err)
			}
		})
	}
}

func TestWithoutMigrate(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "imha.db"), sqlite.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ListFeedback(ctx, store.FeedbackQuery{}); err == nil {
		t.Error("ListFeedback before Migrate succeeded; want a missing-table error")
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ListFeedback(ctx, store.FeedbackQuery{}); err != nil {
		t.Errorf("ListFeedback after Migrate: %v", err)
	}
}

// Another process holding the write lock longer than busy_timeout must surface as
// store.ErrUnavailable, so the web layer asks the person to try again.
func TestBusyIsUnavailable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "imha.db")
	db, err := sqlite.Open(ctx, path, sqlite.WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	_, _, err = db.AddFeedback(ctx, store.Feedback{
		Key: "busy-test-key-00001", PageID: "p", Lang: "en", Variant: store.VariantStandard,
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("AddFeedback while another process holds the write lock: err = %v, want ErrUnavailable", err)
	}
}
