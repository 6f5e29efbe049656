package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/postgres/pgtest"
)

// benchReferral returns a valid referral whose flags vary with i, so the queue has a
// realistic spread of priorities.
func benchReferral(i int) referral.Referral {
	r := referral.Referral{
		IdempotencyKey: fmt.Sprintf("bench-key-%012d", i),
		Kind:           referral.KindSelf,
		Person:         referral.Person{Name: fmt.Sprintf("Person %d", i), Ward: fmt.Sprintf("Ward %d", i%40), Hospital: "St Elsewhere"},
		LegalStatus:    referral.LegalS3,
		Language:       "en",
		Contact:        referral.Contact{Method: referral.ContactInPerson, BestTimes: "mornings"},
		HelpWanted:     "I would like help to understand my section and to appeal.",
		Consent:        referral.Consent{Given: true},
		Source:         referral.SourceKiosk,
	}
	switch i % 10 {
	case 1:
		r.LegalStatus = referral.LegalCTO
	case 2:
		r.Kind, r.Consent = referral.KindNonInstructed, referral.Consent{NotApplicableReason: "cannot instruct"}
	case 3:
		r.Equality.MinorityEthnic = referral.AnswerYes
	case 4:
		r.Equality.Disabilities = []referral.Disability{referral.DisabilityLearning}
	case 5:
		r.Equality.AgeGroup = referral.AgeOver65
	}
	return r
}

// seed loads n referrals with COPY (the store's rules compute every column, only the
// insert path is bypassed, which AddReferral would make take minutes) spread over a
// year and over every status, about a third of them still open.
func seed(b *testing.B, url string, n int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now().UTC().AddDate(-1, 0, 0)
	statuses := []referral.Status{"new", "acknowledged", "allocated", "contacted", "closed", "closed", "closed", "withdrawn", "closed"}
	rows := make([][]any, n)
	for i := range n {
		at := start.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n))).Truncate(time.Microsecond)
		r, err := store.Intake(benchReferral(i), at)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(r.Content())
		ref := fmt.Sprintf("%08d", i)
		rows[i] = []any{ref[:4] + "-" + ref[4:], r.IdempotencyKey, string(r.Kind), string(statuses[rng.IntN(len(statuses))]),
			r.Person.Ward, string(r.Source), int32(r.Flags), r.Priority, -r.Priority, int64(1), body, at, at}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"referrals"},
		[]string{"reference", "idempotency_key", "kind", "status", "ward", "source", "flags", "priority", "queue_rank",
			"version", "body", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE referrals"); err != nil {
		b.Fatal(err)
	}
}

func benchDB(b *testing.B) (*postgres.DB, string) {
	url := pgtest.NewDatabase(b)
	db, err := postgres.Open(b.Context(), url, postgres.WithoutMigrate())
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, url
}

// BenchmarkAddReferral measures intake throughput with concurrent kiosks and chats
// (each op is one transaction: insert, audit entry, notify).
func BenchmarkAddReferral(b *testing.B) {
	db, _ := benchDB(b)
	var seq atomic.Int64
	b.SetParallelism(4) // 4 per CPU: more writers than cores, like many kiosks at once
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := db.AddReferral(context.Background(), benchReferral(int(seq.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "referrals/s")
}

// BenchmarkListQueue pages a queue of 100,000 referrals the way the staff workspace
// does (50 a page).
func BenchmarkListQueue(b *testing.B) {
	const n = 100_000
	db, url := benchDB(b)
	seed(b, url, n)
	ctx := context.Background()

	// The cursor 100 pages (5,000 rows) in, to show keyset paging does not slow down
	// with depth the way OFFSET would.
	deep := store.QueueQuery{Limit: 50}
	for range 100 {
		_, next, err := db.ListQueue(ctx, deep)
		if err != nil || next == "" {
			b.Fatalf("walking to page 100: next %q, %v", next, err)
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
		{"last-week", store.QueueQuery{Since: time.Now().AddDate(0, 0, -7), Limit: 50}},
		{"all-statuses", store.QueueQuery{Statuses: referral.Statuses, Limit: 50}},
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
