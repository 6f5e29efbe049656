package fault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
)

func submission(w, i int) referral.Referral {
	return referral.Referral{
		IdempotencyKey: fmt.Sprintf("fault-w%02d-i%04d-key", w, i), Kind: referral.KindSelf,
		Person:      referral.Person{Name: fmt.Sprintf("Person %d-%d", w, i), Ward: "Willow"},
		LegalStatus: referral.LegalS3, Language: "en", Contact: referral.Contact{Method: referral.ContactInPerson},
		Consent: referral.Consent{Given: true}, Source: referral.SourceKiosk,
	}
}

// outcome is what one key's submitter finally saw.
type outcome struct {
	id       int64
	ok       bool  // stored (created now or found from an earlier attempt)
	created  bool  // this attempt inserted it
	attempts int   // calls made
	err      error // last error when !ok: must be ErrUnavailable
}

// TestPostgresRestartDuringBurst restarts PostgreSQL (fast shutdown) while 20
// kiosks submit referrals with fixed idempotency keys, retrying on
// store.ErrUnavailable with back-off like the web layer's "try again" does. Every
// failure must be retryable, and reconciliation must find each key stored at most
// once, every success stored under the id it was given, and one audit entry per
// stored referral (no half-written transaction survived the restart).
func TestPostgresRestartDuringBurst(t *testing.T) {
	const workers, perWorker = 20, 40
	c := newCluster(t)
	ctx := ctxFor(t, 90*time.Second)
	db, err := postgres.Open(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var (
		mu        sync.Mutex
		outcomes  = map[string]outcome{}
		done      atomic.Int64
		transient atomic.Int64
		wg        sync.WaitGroup
	)
	submit := func(r referral.Referral, patience int) outcome {
		o := outcome{}
		backoff := 20 * time.Millisecond
		// A person retries a few times, not forever: some keys may end refused.
		for o.attempts < patience {
			o.attempts++
			attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
			saved, created, err := db.AddReferral(attempt, r)
			cancel()
			if err == nil {
				o.ok, o.created, o.id, o.err = true, created, saved.ID, nil
				return o
			}
			o.err = err
			if !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
				return o // a permanent error: the test fails below
			}
			transient.Add(1)
			time.Sleep(backoff)
			backoff = min(2*backoff, 400*time.Millisecond)
		}
		return o
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				r := submission(w, i)
				// A quarter of the kiosks give up after two tries, so some keys
				// end refused and are sent again later.
				patience := 8
				if w%4 == 0 {
					patience = 2
				}
				o := submit(r, patience)
				mu.Lock()
				outcomes[r.IdempotencyKey] = o
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	// Restart once a quarter of the burst is in, so it lands mid-burst.
	for done.Load() < workers*perWorker/4 {
		time.Sleep(5 * time.Millisecond)
	}
	restartAt := time.Now()
	c.restart()
	t.Logf("restarted PostgreSQL in %v with %d of %d submissions done", time.Since(restartAt).Round(time.Millisecond), done.Load(), workers*perWorker)
	wg.Wait()

	// Reconcile against the database itself.
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	stored := map[string]int64{}
	rows, err := conn.Query(ctx, `SELECT idempotency_key, id FROM referrals`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			t.Fatal(err)
		}
		if _, dup := stored[k]; dup {
			t.Errorf("key %s stored twice", k)
		}
		stored[k] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var audits, dupAudits int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT subject) FROM audit_log WHERE action = 'referral.created'`).Scan(&audits, &dupAudits); err != nil {
		t.Fatal(err)
	}

	var ok, refused, retried, foundEarlier int
	for k, o := range outcomes {
		switch {
		case o.ok:
			ok++
			if id, in := stored[k]; !in || id != o.id {
				t.Errorf("key %s: success with id %d, stored id %d (present %v)", k, o.id, id, in)
			}
			if !o.created {
				foundEarlier++ // an attempt that failed had in fact committed: the key saved a duplicate
			}
		case errors.Is(o.err, store.ErrUnavailable) || errors.Is(o.err, context.DeadlineExceeded):
			refused++
		default:
			t.Errorf("key %s: not retryable after %d attempts: %v", k, o.attempts, o.err)
		}
		if o.attempts > 1 {
			retried++
		}
	}
	t.Logf("%d submissions: %d stored, %d refused as retryable; %d retried (%d transient errors), %d found stored by an earlier attempt",
		len(outcomes), ok, refused, retried, transient.Load(), foundEarlier)
	if len(outcomes) != workers*perWorker || ok+refused != len(outcomes) {
		t.Errorf("outcomes %d = stored %d + refused %d, want %d", len(outcomes), ok, refused, workers*perWorker)
	}
	if transient.Load() == 0 {
		t.Error("no submission saw the restart: the test proved nothing")
	}
	// Stored rows are the successes plus refused keys whose last attempt committed
	// without the client hearing so; never anything else.
	if len(stored) < ok || len(stored) > len(outcomes) {
		t.Errorf("%d rows stored, want between %d and %d", len(stored), ok, len(outcomes))
	}
	for k := range stored {
		if _, known := outcomes[k]; !known {
			t.Errorf("unknown key stored: %s", k)
		}
	}
	if audits != len(stored) || dupAudits != 0 {
		t.Errorf("%d referral.created audit entries (%d duplicates) for %d referrals", audits, dupAudits, len(stored))
	}

	// Refused keys are safe to send again: each is stored once, never twice.
	for k, o := range outcomes {
		if o.ok {
			continue
		}
		var w, i int
		fmt.Sscanf(k, "fault-w%02d-i%04d-key", &w, &i)
		if again := submit(submission(w, i), 8); !again.ok {
			t.Errorf("key %s refused again after the restart: %v", k, again.err)
		}
	}
	var n, keys int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT idempotency_key) FROM referrals`).Scan(&n, &keys); err != nil {
		t.Fatal(err)
	}
	if n != workers*perWorker || keys != n {
		t.Errorf("after retrying the refused: %d rows, %d keys; want %d each", n, keys, workers*perWorker)
	}
}
