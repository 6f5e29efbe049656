// Package pgtest gives each test its own throwaway PostgreSQL database, so tests can run
// in parallel and never see each other's rows or leftovers from an earlier run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the admin connection URL, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. The role must be allowed
// to CREATE DATABASE and DROP DATABASE.
const EnvVar = "TEST_DATABASE_URL"

// NewDatabase creates an empty database named imha_test_<random> and returns its URL.
// It is dropped when the test and its subtests finish.
//
// A missing TEST_DATABASE_URL fails the test rather than skipping it: a skipped backend
// looks like a passing one in CI output.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	if admin == "" {
		t.Fatal("TEST_DATABASE_URL is not set; run the README's test command, which starts PostgreSQL")
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvVar)
	}

	b := make([]byte, 8)
	rand.Read(b)
	name := "imha_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exec(ctx, t, admin, "CREATE DATABASE "+ident)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends sessions a failed test left open, so the drop never blocks.
		exec(ctx, t, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	})

	u.Path = "/" + name
	return u.String()
}

func exec(ctx context.Context, t testing.TB, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
