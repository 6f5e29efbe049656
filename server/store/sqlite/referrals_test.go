package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/sqlite"
)

// The audit log is append-only even for someone with the sqlite3 shell.
func TestAuditAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imha.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AppendAudit(t.Context(), referral.AuditEntry{Actor: "staff:1", Action: "staff.login"}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`UPDATE audit_log SET actor = 'staff:2'`, `DELETE FROM audit_log`} {
		t.Run(strings.Fields(q)[0], func(t *testing.T) {
			_, err := raw.ExecContext(t.Context(), q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want the append-only refusal", q, err)
			}
		})
	}
	got, err := db.ListAudit(t.Context(), store.AuditQuery{})
	if err != nil || len(got) != 1 || got[0].Actor != "staff:1" {
		t.Errorf("audit after attempts = %+v, %v; want the entry unchanged", got, err)
	}
}

// A reference that is already taken is replaced by another, not reported as an error
// or as an idempotent retry.
func TestReferenceCollision(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "imha.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
