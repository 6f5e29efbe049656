package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/config"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/sqlite"
	"github.com/imha-advocacy/imha/server/store/storetest"
)

func TestPurgeCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir, RetentionMonths: config.DefaultRetentionMonths}
	t0 := time.Date(2025, 1, 6, 10, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(t0)
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "imha.db"), sqlite.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	var refs []referral.Referral
	for i, at := range []time.Time{t0, t0.AddDate(0, 13, 0)} {
		clock.Set(at)
		r, _, err := db.AddReferral(t.Context(), referral.Referral{
			IdempotencyKey: "purge-command-key-" + string(rune('a'+i)), Kind: referral.KindSelf,
			Person: referral.Person{Name: "Alex Example", Ward: "Willow"}, LegalStatus: referral.LegalS3, Language: "en",
			Contact: referral.Contact{Method: referral.ContactInPerson}, Consent: referral.Consent{Given: true}, Source: referral.SourceKiosk,
		})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	db.Close()

	now := t0.AddDate(0, 15, 0) // 15 months after the first, 2 after the second
	tests := []struct {
		name    string
		args    []string
		out     string
		remains int
		wantErr string
	}{
		{"dry run", []string{"-dry-run"}, "would delete (last contact before 2025-02-06T10:00:00Z): 1 referrals", 2, ""},
		{"bad months", []string{"-months", "0"}, "", 2, "-months"},
		{"purge", nil, "deleted (last contact before 2025-02-06T10:00:00Z): 1 referrals", 1, ""},
		{"again", nil, "deleted (last contact before 2025-02-06T10:00:00Z): 0 referrals", 1, ""},
		{"shorter policy", []string{"-months", "1"}, "deleted (last contact before 2026-03-06T10:00:00Z): 1 referrals", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := purge(t.Context(), cfg, tt.args, &out, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
			} else if err != nil || !strings.HasPrefix(out.String(), tt.out) {
				t.Fatalf("purge %v = %q, %v; want %q", tt.args, out.String(), err, tt.out)
			}
			st, err := openStore(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			page, err := st.ListReferrals(t.Context(), store.RangeQuery{})
			if err != nil || len(page) != tt.remains {
				t.Errorf("%d referrals remain, %v; want %d", len(page), err, tt.remains)
			}
		})
	}
}
