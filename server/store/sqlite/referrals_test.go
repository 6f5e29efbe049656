package sqlite_test

import (
	"database/sql"
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
