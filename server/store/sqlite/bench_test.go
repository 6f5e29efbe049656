package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/sqlite"
)

// BenchmarkListQueue pages a queue of 100,000 referrals, as the PostgreSQL benchmark
// does, so the two backends can be compared.
func BenchmarkListQueue(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "imha.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO referrals (reference, idempotency_key, kind, status, ward, source,
		flags, priority, queue_rank, version, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().AddDate(-1, 0, 0)
	statuses := []string{"new", "acknowledged", "allocated", "contacted", "closed", "closed", "closed", "withdrawn", "closed"}
	for i := range n {
		at := start.Add(time.Duration(i) * (365 * 24 * time.Hour / n))
		r := referral.Referral{
			IdempotencyKey: fmt.Sprintf("bench-key-%012d", i), Kind: referral.KindSelf,
			Person:      referral.Person{Name: fmt.Sprintf("Person %d", i), Ward: fmt.Sprintf("Ward %d", i%40)},
			LegalStatus: referral.LegalS3, Language: "en", Contact: referral.Contact{Method: referral.ContactInPerson},
			Consent: referral.Consent{Given: true}, Source: referral.SourceKiosk,
		}
		if i%10 == 1 {
			r.LegalStatus = referral.LegalCTO
		}
		if i%10 == 2 {
			r.Kind, r.Consent = referral.KindNonInstructed, referral.Consent{NotApplicableReason: "cannot instruct"}
		}
		r, err := store.Intake(r, at)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(r.Content())
		ref := fmt.Sprintf("%08d", i)
		ts := at.Format("2006-01-02T15:04:05.000000Z")
		if _, err := ins.ExecContext(ctx, ref[:4]+"-"+ref[4:], r.IdempotencyKey, string(r.Kind), statuses[(i*7)%len(statuses)],
			r.Person.Ward, string(r.Source), int64(r.Flags), r.Priority, -r.Priority, string(body), ts, ts); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}

	deep := store.QueueQuery{Limit: 50}
	for range 100 {
		_, next, err := db.ListQueue(ctx, deep)
		if err != nil || next == "" {
			b.Fatalf("walking to page 100: %v", err)
		}
		deep.After = next
	}
	tests := []struct {
		name string
		q    store.QueueQuery
	}{
		{"open/first-page", store.QueueQuery{Limit: 50}},
		{"open/page-100", deep},
		{"status-new", store.QueueQuery{Statuses: []referral.Status{"new"}, Limit: 50}},
		{"flag-cto", store.QueueQuery{Flags: referral.FlagCTO, Limit: 50}},
		{"ward", store.QueueQuery{Ward: "Ward 7", Limit: 50}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, _, err := db.ListQueue(ctx, tt.q)
				if err != nil || len(page) == 0 {
					b.Fatalf("ListQueue: %d rows, %v", len(page), err)
				}
			}
		})
	}
}
