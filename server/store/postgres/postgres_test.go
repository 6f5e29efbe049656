package postgres_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/postgres/pgtest"
	"github.com/imha-advocacy/imha/server/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
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
		db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), postgres.WithClock(now))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)

	// Several servers starting at once: each has its own pool and calls Migrate.
	const servers = 4
	dbs := make([]*postgres.DB, servers)
	for i := range dbs {
		db, err := postgres.Open(ctx, url, postgres.WithoutMigrate())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	errs := make([]error, servers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Migrate %d: %v", i, err)
		}
	}
	want := schemaVersion(t, url)
	if want < 1 {
		t.Fatalf("schema version = %d after Migrate, want >= 1", want)
	}

	// Re-running is a no-op: same version, data untouched.
	saved, _, err := dbs[0].AddFeedback(ctx, store.Feedback{
		Key: "migrate-test-key-0001", PageID: "p", Lang: "en", Variant: store.VariantStandard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dbs[1].Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if got := schemaVersion(t, url); got != want {
		t.Errorf("schema version after re-run = %d, want %d", got, want)
	}
	got, err := dbs[2].ListFeedback(ctx, store.FeedbackQuery{})
	if err != nil || len(got) != 1 || got[0].ID != saved.ID {
		t.Errorf("after re-run ListFeedback = %+v, %v; want the row added before", got, err)
	}
}

func schemaVersion(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v int
	if err := conn.QueryRow(t.Context(), "SELECT version FROM public.schema_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenUnavailable(t *testing.T) {
	// A port that was free a moment ago: nothing listens, so the connection is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	_, err = postgres.Open(t.Context(), "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open with no server: err = %v, want ErrUnavailable", err)
	}
}
