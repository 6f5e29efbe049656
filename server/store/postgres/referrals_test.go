package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/postgres/pgtest"
)

func openURL(t *testing.T) (*postgres.DB, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, url
}

// The audit log is append-only even for someone with a SQL prompt.
func TestAuditAppendOnly(t *testing.T) {
	db, url := openURL(t)
	if _, err := db.AppendAudit(t.Context(), referral.AuditEntry{Actor: "staff:1", Action: "staff.login"}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		`UPDATE audit_log SET actor = 'staff:2'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		t.Run(strings.Fields(sql)[0], func(t *testing.T) {
			_, err := conn.Exec(t.Context(), sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", sql, err)
			}
		})
	}
	got, err := db.ListAudit(t.Context(), store.AuditQuery{})
	if err != nil || len(got) != 1 || got[0].Actor != "staff:1" {
		t.Errorf("audit after attempts = %+v, %v; want the entry unchanged", got, err)
	}
}

// A listener whose connection is cut reconnects, tells its caller to re-query, and
// then hears new referrals again.
func TestListenReconnects(t *testing.T) {
	db, url := openURL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	ids := make(chan int64, 16)
	go db.ListenReferrals(ctx, func(id int64) { ids <- id })
	recv := func(what string) int64 {
		t.Helper()
		select {
		case id := <-ids:
			return id
		case <-ctx.Done():
			t.Fatalf("no notification: %s", what)
		}
		return 0
	}
	if id := recv("first listen"); id != store.Requery {
		t.Fatalf("got %d, want Requery", id)
	}

	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'imha-listen-referrals'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening sessions, %v; want 1", killed, err)
	}
	if id := recv("after reconnect"); id != store.Requery {
		t.Fatalf("after the connection was cut got %d, want Requery", id)
	}
	r, _, err := db.AddReferral(ctx, referral.Referral{
		IdempotencyKey: "listen-reconnect-0001", Kind: referral.KindSelf,
		Person: referral.Person{Name: "A", Ward: "W"}, LegalStatus: referral.LegalS2, Language: "en",
		Contact: referral.Contact{Method: referral.ContactInPerson}, Consent: referral.Consent{Given: true},
		Source: referral.SourceKiosk,
	})
	if err != nil {
		t.Fatal(err)
	}
	if id := recv("new referral after reconnect"); id != r.ID {
		t.Errorf("got %d, want %d", id, r.ID)
	}
}

// A reference that is already taken is replaced by another, not reported as an error
// or as an idempotent retry.
func TestReferenceCollision(t *testing.T) {
	db, _ := openURL(t)
	// Each reference uses 8 bytes: the first two referrals both draw 0000-0000, and
	// the second then draws 0000-0001.
	zeros := make([]byte, 16)
	one := []byte{0, 0, 0, 0, 0, 0, 0, 1}
	db.SetReferenceSource(io.MultiReader(bytes.NewReader(zeros), bytes.NewReader(one)))
	var refs []string
	for i := range 2 {
		r, created, err := db.AddReferral(t.Context(), referral.Referral{
			IdempotencyKey: fmt.Sprintf("collision-test-%04d", i), Kind: referral.KindSelf,
			Person: referral.Person{Name: "A", Ward: "W"}, LegalStatus: referral.LegalS2, Language: "en",
			Contact: referral.Contact{Method: referral.ContactInPerson}, Consent: referral.Consent{Given: true},
			Source: referral.SourceKiosk,
		})
		if err != nil || !created {
			t.Fatalf("referral %d: created %v, %v", i, created, err)
		}
		refs = append(refs, r.Reference)
	}
	if refs[0] != "0000-0000" || refs[1] != "0000-0001" {
		t.Errorf("references %v, want [0000-0000 0000-0001]", refs)
	}
}
