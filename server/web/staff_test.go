package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/web"
)

const hostile = `<script>alert(1)</script>`

var (
	csrfInput   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	keySeqStaff struct {
		sync.Mutex
		n int
	}
)

func staffKey() string {
	keySeqStaff.Lock()
	defer keySeqStaff.Unlock()
	keySeqStaff.n++
	return fmt.Sprintf("staff-test-key-%08d", keySeqStaff.n)
}

// account is a staff user the test can sign in as.
type account struct {
	user     store.User
	password string
}

func addAccount(t *testing.T, st store.Store, role, name string) account {
	t.Helper()
	pw := "a long enough password " + role
	h, err := staff.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Email: role + "-" + staffKey() + "@example.org", Name: name, Role: role, PasswordHash: h}
	if role == store.RoleWardStaff {
		u.Ward = "Willow"
	}
	u, err = st.CreateUser(context.Background(), u, "system")
	if err != nil {
		t.Fatal(err)
	}
	return account{u, pw}
}

// browser is one signed-in (or anonymous) staff browser.
type browser struct {
	srv    *server
	cookie string // imha_staff value
	csrf   string
}

func cookieValue(h http.Header, name string) (string, bool) {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

func (b *browser) headers(extra map[string]string) map[string]string {
	h := map[string]string{"Origin": b.srv.base}
	if b.cookie != "" {
		h["Cookie"] = "imha_staff=" + b.cookie
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

func (b *browser) get(t *testing.T, path string) response {
	t.Helper()
	return do(t, b.srv, http.MethodGet, path, nil, b.headers(nil))
}

// post sends a form with the browser's CSRF token unless form sets its own.
func (b *browser) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	return do(t, b.srv, http.MethodPost, path, strings.NewReader(form.Encode()),
		b.headers(map[string]string{"Content-Type": "application/x-www-form-urlencoded"}))
}

// tryLogin fills in the sign-in form as a browser would.
func tryLogin(t *testing.T, srv *server, email, password, planted string) response {
	t.Helper()
	h := map[string]string{}
	if planted != "" {
		h["Cookie"] = "imha_staff=" + planted
	}
	form := do(t, srv, http.MethodGet, "/staff/login", nil, h)
	tok, _ := cookieValue(form.header, "imha_staff_login")
	m := csrfInput.FindStringSubmatch(form.body)
	if form.code != 200 || tok == "" || m == nil || m[1] != tok {
		t.Fatalf("sign-in form: %d, cookie %q, form token %v", form.code, tok, m)
	}
	cookie := "imha_staff_login=" + tok
	if planted != "" {
		cookie += "; imha_staff=" + planted
	}
	body := url.Values{"csrf": {tok}, "email": {email}, "password": {password}}.Encode()
	return do(t, srv, http.MethodPost, "/staff/login", strings.NewReader(body), map[string]string{
		"Origin": srv.base, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
}

func signIn(t *testing.T, srv *server, a account) *browser {
	t.Helper()
	res := tryLogin(t, srv, a.user.Email, a.password, "")
	tok, ok := cookieValue(res.header, "imha_staff")
	if res.code != http.StatusSeeOther || !ok || tok == "" {
		t.Fatalf("sign in as %s: %d %q", a.user.Role, res.code, res.body)
	}
	b := &browser{srv: srv, cookie: tok}
	page := b.get(t, "/staff/login") // signed in: redirects, so read a page with a form
	if page.code != http.StatusSeeOther {
		t.Fatalf("sign-in page when signed in: %d", page.code)
	}
	home := b.get(t, page.header.Get("Location"))
	if home.code == http.StatusSeeOther {
		home = b.get(t, home.header.Get("Location"))
	}
	m := csrfInput.FindStringSubmatch(home.body)
	if m == nil {
		t.Fatalf("no CSRF token on %s's home page: %d %s", a.user.Role, home.code, home.body)
	}
	b.csrf = m[1]
	return b
}

func newStaffReferral(t *testing.T, st store.Store, name string) referral.Referral {
	t.Helper()
	r, _, err := st.AddReferral(context.Background(), referral.Referral{
		IdempotencyKey: staffKey(), Kind: referral.KindSelf,
		Person:      referral.Person{Name: name, Ward: "Willow", Hospital: "St Elsewhere"},
		LegalStatus: referral.LegalS3, Language: "en", Contact: referral.Contact{Method: referral.ContactInPerson},
		HelpWanted: name, Consent: referral.Consent{Given: true}, Source: referral.SourceKiosk,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func acknowledged(t *testing.T, st store.Store) referral.Referral {
	t.Helper()
	r := newStaffReferral(t, st, "Alex Example")
	r, err := st.UpdateStatus(context.Background(), store.StatusChange{ID: r.ID, Version: r.Version, To: referral.StatusAcknowledged, Actor: "system"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func referForm(kind string) url.Values {
	return url.Values{"key": {staffKey()}, "kind": {kind}, "name": {"Sam Example"}, "ward": {"Willow"},
		"hospital": {"St Elsewhere"}, "legal_status": {"s3"}, "language": {"en"}, "contact_method": {"in_person"}, "consent": {"yes"}}
}

// Every staff route, for every role and for a visitor who is not signed in.
func TestStaffAuthorizationMatrix(t *testing.T) { eachStore(t, testStaffAuthorizationMatrix) }

func testStaffAuthorizationMatrix(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	roles := []string{"anonymous", store.RoleWardStaff, store.RoleAdvocate, store.RoleCoordinator, store.RoleAdmin}
	browsers := map[string]*browser{"anonymous": {srv: srv}}
	var advocate account
	for _, r := range roles[1:] {
		a := addAccount(t, st, r, "Staff "+r)
		if r == store.RoleAdvocate {
			advocate = a
		}
		browsers[r] = signIn(t, srv, a)
	}
	ref := newStaffReferral(t, st, "Alex Example")
	type req struct {
		method, path string
		form         func() url.Values
	}
	// want lists the status for: anonymous, ward staff, advocate, coordinator, admin.
	tests := []struct {
		req
		want [5]int
	}{
		{req{"GET", "/staff/login", nil}, [5]int{200, 303, 303, 303, 303}},
		{req{"GET", "/staff/", nil}, [5]int{303, 303, 303, 303, 303}},
		{req{"GET", "/staff", nil}, [5]int{303, 303, 303, 303, 303}},
		{req{"GET", "/staff/queue", nil}, [5]int{303, 403, 200, 200, 200}},
		{req{"GET", "/staff/queue?status=all&kind=self&flag=cto&ward=Willow", nil}, [5]int{303, 403, 200, 200, 200}},
		{req{"GET", "/staff/queue/fragment", nil}, [5]int{303, 403, 200, 200, 200}},
		{req{"GET", "/staff/queue/events", nil}, [5]int{303, 403, 200, 200, 200}},
		{req{"GET", fmt.Sprintf("/staff/referrals/%d", ref.ID), nil}, [5]int{303, 403, 200, 200, 200}},
		{req{"GET", "/staff/referrals/999999", nil}, [5]int{303, 403, 404, 404, 404}},
		{req{"GET", "/staff/refer", nil}, [5]int{303, 200, 403, 200, 200}},
		{req{"GET", "/staff/import", nil}, [5]int{303, 403, 403, 200, 200}},
		{req{"GET", "/staff/apikeys", nil}, [5]int{303, 403, 403, 403, 200}},
		{req{"GET", "/staff/users", nil}, [5]int{303, 403, 403, 403, 200}},
		{req{"GET", "/staff/monitoring", nil}, [5]int{303, 403, 403, 200, 200}},
		{req{"GET", "/staff/monitoring?from=2026-01-01&to=2026-12-31", nil}, [5]int{303, 403, 403, 200, 200}},
		{req{"GET", "/staff/monitoring?from=2026-13-01", nil}, [5]int{303, 403, 403, 422, 422}},
		{req{"GET", "/staff/export?format=csv", nil}, [5]int{303, 403, 403, 200, 200}},
		{req{"GET", "/staff/export?format=json&from=2026-01-01&to=2026-12-31", nil}, [5]int{303, 403, 403, 200, 200}},
		{req{"GET", "/staff/export?format=xml", nil}, [5]int{303, 403, 403, 400, 400}},
		{req{"GET", "/staff/export?format=csv&from=2026-12-31&to=2026-01-01", nil}, [5]int{303, 403, 403, 400, 400}},
		{req{"GET", "/staff/people", nil}, [5]int{303, 403, 403, 403, 200}},
		{req{"GET", "/staff/people?ref=" + ref.Reference, nil}, [5]int{303, 403, 403, 403, 200}},
		{req{"GET", "/staff/people?ref=not-a-ref", nil}, [5]int{303, 403, 403, 403, 422}},
		{req{"GET", "/staff/people?ref=0000-0000", nil}, [5]int{303, 403, 403, 403, 404}},
		{req{"GET", "/staff/no-such-page", nil}, [5]int{404, 404, 404, 404, 404}},
		{req{"POST", "/staff/referrals/{new}/status", func() url.Values {
			return url.Values{"to": {"acknowledged"}, "version": {"1"}}
		}}, [5]int{403, 403, 303, 303, 303}},
		{req{"POST", "/staff/referrals/{ack}/allocate", func() url.Values {
			return url.Values{"advocate": {fmt.Sprint(advocate.user.ID)}, "version": {"2"}}
		}}, [5]int{403, 403, 403, 303, 303}},
		{req{"POST", "/staff/referrals/{new}/note", func() url.Values { return url.Values{"note": {"Phoned the ward."}} }},
			[5]int{403, 403, 303, 303, 303}},
		{req{"POST", "/staff/refer", func() url.Values { return referForm("on_behalf") }}, [5]int{403, 303, 403, 303, 303}},
		{req{"POST", "/staff/import", nil}, [5]int{403, 403, 403, 422, 422}},
		{req{"POST", "/staff/apikeys", func() url.Values { return url.Values{"name": {"MHA office"}} }}, [5]int{403, 403, 403, 403, 200}},
		{req{"POST", "/staff/users", func() url.Values {
			return url.Values{"email": {staffKey() + "@example.org"}, "name": {"New Advocate"}, "role": {"advocate"}}
		}}, [5]int{403, 403, 403, 403, 200}},
		{req{"POST", "/staff/users/{user}/password", nil}, [5]int{403, 403, 403, 403, 200}},
		{req{"POST", "/staff/apikeys/{key}/revoke", nil}, [5]int{403, 403, 403, 403, 303}},
		{req{"POST", "/staff/apikeys/999999/revoke", nil}, [5]int{403, 403, 403, 403, 404}},
		{req{"POST", "/staff/users/999999/password", nil}, [5]int{403, 403, 403, 403, 404}},
		{req{"POST", "/staff/people/download", func() url.Values { return url.Values{"ref": {ref.Reference}} }},
			[5]int{403, 403, 403, 403, 200}},
		{req{"POST", "/staff/people/erase", func() url.Values { return url.Values{"ref": {ref.Reference}} }},
			[5]int{403, 403, 403, 403, 200}}, // asks to confirm, erases nothing
		{req{"POST", "/staff/people/erase", func() url.Values {
			return url.Values{"ref": {newStaffReferral(t, st, "Alex Example").Reference}, "confirm": {"yes"}}
		}}, [5]int{403, 403, 403, 403, 200}},
		{req{"POST", "/staff/people/erase", func() url.Values { return url.Values{"ref": {"0000-0000"}, "confirm": {"yes"}} }},
			[5]int{403, 403, 403, 403, 404}},
		{req{"POST", "/staff/logout", nil}, [5]int{403, 303, 303, 303, 303}},
	}
	for _, tt := range tests {
		for i, role := range roles {
			b := browsers[role]
			path := tt.path
			switch {
			case strings.Contains(path, "{new}"):
				path = strings.Replace(path, "{new}", fmt.Sprint(newStaffReferral(t, st, "Alex Example").ID), 1)
			case strings.Contains(path, "{key}"):
				k, err := st.CreateAPIKey(context.Background(), store.APIKey{Name: "k", KeyHash: staff.HashToken(staff.NewToken()), CreatedBy: "system"})
				if err != nil {
					t.Fatal(err)
				}
				path = strings.Replace(path, "{key}", fmt.Sprint(k.ID), 1)
			case strings.Contains(path, "{user}"):
				path = strings.Replace(path, "{user}", fmt.Sprint(addAccount(t, st, store.RoleAdvocate, "Victim").user.ID), 1)
			case strings.Contains(path, "{ack}"):
				path = strings.Replace(path, "{ack}", fmt.Sprint(acknowledged(t, st).ID), 1)
			}
			var code int
			switch {
			case tt.method == "GET" && strings.HasSuffix(path, "/events"):
				code = statusOnly(t, b, path)
			case tt.method == "GET":
				code = b.get(t, path).code
			case path == "/staff/logout":
				// Signing out ends the session; sign in again afterwards.
				code = b.post(t, path, nil).code
			default:
				var form url.Values
				if tt.form != nil {
					form = tt.form()
				}
				code = b.post(t, path, form).code
			}
			if code != tt.want[i] {
				t.Errorf("%s %s as %s: %d, want %d", tt.method, tt.path, role, code, tt.want[i])
			}
		}
	}
}

// statusOnly reads the status of a streaming response and hangs up.
func statusOnly(t *testing.T, b *browser, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.srv.base+path, nil)
	for k, v := range b.headers(nil) {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestStaffCSRF(t *testing.T) { eachStore(t, testStaffCSRF) }

func testStaffCSRF(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	b := signIn(t, srv, addAccount(t, st, store.RoleCoordinator, "Casey"))
	r := newStaffReferral(t, st, "Alex Example")
	path := fmt.Sprintf("/staff/referrals/%d/note", r.ID)
	tests := []struct {
		name   string
		csrf   string
		origin string
		want   int
	}{
		{"no token", "", "", 403},
		{"wrong token", staff.NewToken(), "", 403},
		{"another site", b.csrf, "https://evil.example", 403},
		{"right token", b.csrf, "", 303},
	}
	for _, tt := range tests {
		h := b.headers(map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if tt.origin != "" {
			h["Origin"] = tt.origin
		}
		form := url.Values{"note": {"Left a message."}, "csrf": {tt.csrf}}
		res := do(t, srv, http.MethodPost, path, strings.NewReader(form.Encode()), h)
		if res.code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, res.code, tt.want)
		}
	}
	// The sign-in form has its own token.
	a := addAccount(t, st, store.RoleAdvocate, "Avery")
	body := url.Values{"email": {a.user.Email}, "password": {a.password}, "csrf": {"guess"}}.Encode()
	res := do(t, srv, http.MethodPost, "/staff/login", strings.NewReader(body), map[string]string{
		"Origin": srv.base, "Cookie": "imha_staff_login=other", "Content-Type": "application/x-www-form-urlencoded"})
	if res.code != 403 {
		t.Errorf("sign-in without its form token: %d, want 403", res.code)
	}
	entries, _ := st.ListAudit(context.Background(), store.AuditQuery{Subject: referral.Subject(r.Reference)})
	if n := len(entries); n != 2 { // created, and the one note with the right token
		t.Errorf("%d audit entries, want 2", n)
	}
}

func TestStaffLockout(t *testing.T) { eachStore(t, testStaffLockout) }

func testStaffLockout(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	a := addAccount(t, st, store.RoleAdvocate, "Avery")
	for i := 1; i <= staff.MaxFailures; i++ {
		if res := tryLogin(t, srv, a.user.Email, "wrong password!", ""); res.code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, res.code)
		}
	}
	res := tryLogin(t, srv, a.user.Email, a.password, "")
	if _, ok := cookieValue(res.header, "imha_staff"); res.code != http.StatusUnauthorized || ok || !strings.Contains(res.body, "locked") {
		t.Fatalf("right password during lockout: %d (session cookie set: %v)", res.code, ok)
	}
	entries, _ := st.ListAudit(context.Background(), store.AuditQuery{Actor: a.user.Actor()})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); !strings.HasSuffix(got, store.ActionLockout) || strings.Contains(got, store.ActionLogin+" ") {
		t.Errorf("audit: %s", got)
	}
	// An administrator's reset lifts the lockout and signs the user out everywhere.
	admin := signIn(t, srv, addAccount(t, st, store.RoleAdmin, "Ada"))
	res = admin.post(t, fmt.Sprintf("/staff/users/%d/password", a.user.ID), nil)
	m := regexp.MustCompile(`<code>([^<]+)</code>`).FindStringSubmatch(res.body)
	if res.code != 200 || m == nil {
		t.Fatalf("reset: %d", res.code)
	}
	if res := tryLogin(t, srv, a.user.Email, a.password, ""); res.code != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d", res.code)
	}
	b := signIn(t, srv, account{a.user, m[1]})
	if code := b.get(t, "/staff/queue").code; code != 200 {
		t.Fatalf("signed in with the new password: %d", code)
	}
	admin.post(t, fmt.Sprintf("/staff/users/%d/password", a.user.ID), nil)
	if code := b.get(t, "/staff/queue").code; code != 303 {
		t.Errorf("session after another reset: %d, want 303 to sign in", code)
	}
	// An unknown account answers exactly like a wrong password.
	if res := tryLogin(t, srv, "nobody@example.org", "whatever password", ""); res.code != http.StatusUnauthorized || !strings.Contains(res.body, "not right") {
		t.Errorf("unknown account: %d", res.code)
	}
}

func TestStaffSessionFixationAndLogout(t *testing.T) { eachStore(t, testStaffSessionFixationAndLogout) }

func testStaffSessionFixationAndLogout(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	a := addAccount(t, st, store.RoleAdvocate, "Avery")
	planted := staff.NewToken()
	res := tryLogin(t, srv, a.user.Email, a.password, planted)
	tok, _ := cookieValue(res.header, "imha_staff")
	if res.code != 303 || tok == "" || tok == planted {
		t.Fatalf("sign-in with a planted cookie: %d, token changed: %v", res.code, tok != planted)
	}
	if c := strings.Join(res.header.Values("Set-Cookie"), "\n"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") ||
		!strings.Contains(strings.ToLower(c), "path=/staff") {
		t.Errorf("session cookie attributes: %s", c)
	}
	if code := (&browser{srv: srv, cookie: planted}).get(t, "/staff/queue").code; code != 303 {
		t.Errorf("planted token after sign-in: %d, want 303 to sign in", code)
	}
	b := signIn(t, srv, a)
	if code := b.get(t, "/staff/queue").code; code != 200 {
		t.Fatalf("signed in: %d", code)
	}
	if code := b.post(t, "/staff/logout", nil).code; code != 303 {
		t.Fatalf("sign out: %d", code)
	}
	if code := b.get(t, "/staff/queue").code; code != 303 {
		t.Errorf("old cookie after sign-out: %d, want 303 to sign in", code)
	}
	entries, _ := st.ListAudit(context.Background(), store.AuditQuery{Actor: a.user.Actor()})
	var logins, logouts int
	for _, e := range entries {
		switch e.Action {
		case store.ActionLogin:
			logins++
		case store.ActionLogout:
			logouts++
		}
	}
	if logins != 2 || logouts != 1 {
		t.Errorf("audit: %d sign-ins, %d sign-outs", logins, logouts)
	}
}

// Hostile text from a patient or a colleague is shown as text in every staff view.
func TestStaffEscapesHostileText(t *testing.T) { eachStore(t, testStaffEscapesHostileText) }

func testStaffEscapesHostileText(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	admin := signIn(t, srv, addAccount(t, st, store.RoleAdmin, hostile))
	ward := signIn(t, srv, addAccount(t, st, store.RoleWardStaff, "Wren"))
	r := newStaffReferral(t, st, hostile)
	if res := admin.post(t, fmt.Sprintf("/staff/referrals/%d/note", r.ID), url.Values{"note": {hostile}}); res.code != 303 {
		t.Fatalf("note: %d", res.code)
	}
	bad := referForm("on_behalf")
	bad.Set("name", hostile)
	bad.Set("legal_status", "") // so the form comes back with the text in it
	pages := map[string]response{
		"queue":      admin.get(t, "/staff/queue"),
		"fragment":   admin.get(t, "/staff/queue/fragment"),
		"referral":   admin.get(t, fmt.Sprintf("/staff/referrals/%d", r.ID)),
		"users":      admin.get(t, "/staff/users"),
		"refer":      ward.post(t, "/staff/refer", bad),
		"import":     admin.get(t, "/staff/import"),
		"apikeys":    admin.post(t, "/staff/apikeys", url.Values{"name": {hostile}}),
		"monitoring": admin.get(t, "/staff/monitoring?from="+url.QueryEscape(hostile)),
		"people":     admin.get(t, "/staff/people?ref="+r.Reference),
		"bad ref":    admin.get(t, "/staff/people?ref="+url.QueryEscape(hostile)),
		"erase":      admin.post(t, "/staff/people/erase", url.Values{"ref": {r.Reference}}),
	}
	for name, res := range pages {
		if res.code >= 500 {
			t.Errorf("%s: %d", name, res.code)
		}
		if strings.Contains(res.body, "<script>alert") {
			t.Errorf("%s: hostile text unescaped", name)
		}
	}
	for _, name := range []string{"referral", "people", "bad ref", "erase"} {
		if !strings.Contains(pages[name].body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s page does not show the hostile text as text", name)
		}
	}
	if strings.Contains(pages["queue"].body, "<script>") && !strings.Contains(pages["queue"].body, `<script src="/static/js/staff-queue.js`) {
		t.Error("queue page has an inline script")
	}
}

func uploadCSV(t *testing.T, b *browser, data string) response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", b.csrf)
	f, _ := w.CreateFormFile("file", "patients.csv")
	io.WriteString(f, data)
	w.Close()
	return do(t, b.srv, http.MethodPost, "/staff/import", &buf, b.headers(map[string]string{"Content-Type": w.FormDataContentType()}))
}

func queueLen(t *testing.T, st store.Store) int {
	t.Helper()
	page, _, err := st.ListQueue(context.Background(), store.QueueQuery{Statuses: referral.Statuses, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(page)
}

func TestStaffCSVImportIsAllOrNothing(t *testing.T) { eachStore(t, testStaffCSVImportIsAllOrNothing) }

func testStaffCSVImportIsAllOrNothing(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	b := signIn(t, srv, addAccount(t, st, store.RoleCoordinator, "Casey"))
	if _, err := st.AddOptOut(context.Background(), referral.OptOut{PersonName: "Olive Out", Ward: "Willow", RecordedBy: "system"}); err != nil {
		t.Fatal(err)
	}
	bad := "name,ward,hospital,legal_status,date_of_birth\n" +
		"Ann Able,Willow,St Elsewhere,s3,1970-01-02\n" +
		"Ben Bad,Willow,St Elsewhere,s136,\n" + // not eligible
		",Willow,St Elsewhere,s2,\n" + // no name
		"Cat Cee,Willow,St Elsewhere,s2,02/03/1980\n" + // bad date
		"Olive Out,Willow,St Elsewhere,s3,\n" // opted out
	res := uploadCSV(t, b, bad)
	if res.code != 422 || queueLen(t, st) != 0 {
		t.Fatalf("file with bad rows: %d, %d referrals stored, want 422 and none", res.code, queueLen(t, st))
	}
	for _, row := range []string{"<td>2</td>", "<td>3</td>", "<td>4</td>", "<td>5</td>"} {
		if !strings.Contains(res.body, row) {
			t.Errorf("no problem reported for row %s", row)
		}
	}
	if strings.Contains(res.body, "<td>1</td>") {
		t.Error("a good row was reported as a problem")
	}
	good := "name,ward,hospital,legal_status,kind\nAnn Able,Willow,St Elsewhere,s3,\nDan Dee,Willow,St Elsewhere,s2,non_instructed\n"
	if res := uploadCSV(t, b, good); res.code != 200 || queueLen(t, st) != 2 {
		t.Fatalf("good file: %d, %d referrals", res.code, queueLen(t, st))
	}
	if res := uploadCSV(t, b, good); res.code != 200 || queueLen(t, st) != 2 {
		t.Fatalf("same file again: %d, %d referrals, want still 2", res.code, queueLen(t, st))
	}
}

func TestStaffAPIIsIdempotent(t *testing.T) { eachStore(t, testStaffAPIIsIdempotent) }

func testStaffAPIIsIdempotent(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	key := staff.NewToken()
	if _, err := st.CreateAPIKey(context.Background(), store.APIKey{Name: "MHA office", KeyHash: staff.HashToken(key), CreatedBy: "staff:1"}); err != nil {
		t.Fatal(err)
	}
	body := `{"kind":"automatic","person":{"name":"Ann Able","ward":"Willow","hospital":"St Elsewhere"},"legal_status":"s3",` +
		`"language":"en","contact":{"method":"in_person"},"consent":{"given":false,"not_applicable_reason":"automatic referral"}}`
	post := func(auth, idem, body string) (int, map[string]any) {
		h := map[string]string{"Content-Type": "application/json", "Authorization": auth, "Idempotency-Key": idem}
		res := do(t, srv, http.MethodPost, "/staff/api/referrals", strings.NewReader(body), h)
		var out map[string]any
		if err := json.Unmarshal([]byte(res.body), &out); err != nil {
			t.Fatalf("not JSON (%d): %s", res.code, res.body)
		}
		return res.code, out
	}
	idem := "mha-office-000000001"
	code1, first := post("Bearer "+key, idem, body)
	code2, second := post("Bearer "+key, idem, body)
	if code1 != 201 || code2 != 200 || first["reference"] == nil || first["reference"] != second["reference"] || queueLen(t, st) != 1 {
		t.Fatalf("same key twice: %d %v, %d %v, %d referrals", code1, first, code2, second, queueLen(t, st))
	}
	tests := []struct {
		name, auth, idem, body string
		code                   int
		field, errCode         string
	}{
		{"no key", "", idem, body, 401, "authorization", "required"},
		{"wrong key", "Bearer " + staff.NewToken(), idem, body, 401, "authorization", "invalid"},
		{"no idempotency key", "Bearer " + key, "", body, 400, "idempotency_key", "required"},
		{"not JSON", "Bearer " + key, "mha-office-000000002", "{", 400, "body", "invalid"},
		{"invalid referral", "Bearer " + key, "mha-office-000000003", strings.Replace(body, `"s3"`, `"s99"`, 1), 422, "legal_status", "invalid"},
		{"key reused", "Bearer " + key, idem, strings.Replace(body, "Ann Able", "Ben Bee", 1), 409, "idempotency_key", "conflict"},
	}
	for _, tt := range tests {
		code, out := post(tt.auth, tt.idem, tt.body)
		errs, _ := out["errors"].([]any)
		var first map[string]any
		if len(errs) > 0 {
			first, _ = errs[0].(map[string]any)
		}
		if code != tt.code || first["field"] != tt.field || first["code"] != tt.errCode {
			t.Errorf("%s: %d %v, want %d %s/%s", tt.name, code, out, tt.code, tt.field, tt.errCode)
		}
	}
	if n := queueLen(t, st); n != 1 {
		t.Errorf("%d referrals, want 1", n)
	}
	keys, _ := st.ListAPIKeys(context.Background())
	if err := st.RevokeAPIKey(context.Background(), keys[0].ID, "staff:1"); err != nil {
		t.Fatal(err)
	}
	if code, _ := post("Bearer "+key, "mha-office-000000004", body); code != 401 {
		t.Errorf("revoked key: %d, want 401", code)
	}
}

func TestStaffReferralWorkflow(t *testing.T) { eachStore(t, testStaffReferralWorkflow) }

func testStaffReferralWorkflow(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	coord := signIn(t, srv, addAccount(t, st, store.RoleCoordinator, "Casey"))
	adv := addAccount(t, st, store.RoleAdvocate, "Avery Advocate")
	ward := signIn(t, srv, addAccount(t, st, store.RoleWardStaff, "Wren"))

	// Ward staff register a qualifying patient; an opt-out on record stops them first.
	if _, err := st.AddOptOut(context.Background(), referral.OptOut{PersonName: "Sam Example", Ward: "Willow", RecordedBy: "system"}); err != nil {
		t.Fatal(err)
	}
	form := referForm("automatic")
	form.Del("consent")
	res := ward.post(t, "/staff/refer", form)
	if res.code != 409 || !strings.Contains(res.body, "override_optout") || queueLen(t, st) != 0 {
		t.Fatalf("automatic referral despite an opt-out: %d", res.code)
	}
	form.Set("override_optout", "yes")
	res = ward.post(t, "/staff/refer", form)
	if res.code != 303 || !strings.HasPrefix(res.header.Get("Location"), "/staff/refer?ref=") {
		t.Fatalf("automatic referral: %d %s", res.code, res.header.Get("Location"))
	}
	nonInstructed := referForm("non_instructed")
	nonInstructed.Del("consent")
	if res := ward.post(t, "/staff/refer", nonInstructed); res.code != 303 {
		t.Fatalf("non-instructed referral: %d %s", res.code, res.body)
	}
	page, _, _ := st.ListQueue(context.Background(), store.QueueQuery{})
	if len(page) != 2 || page[0].Kind != referral.KindNonInstructed || !page[0].Flags.Has(referral.FlagNonInstructed) {
		t.Fatalf("queue: %+v", page)
	}
	q := coord.get(t, "/staff/queue?flag=non_instructed")
	if q.code != 200 || !strings.Contains(q.body, page[0].Reference) || strings.Contains(q.body, page[1].Reference) ||
		!strings.Contains(q.body, `<span class="badge">Non-instructed</span>`) {
		t.Errorf("filtered queue: %d", q.code)
	}

	// Acknowledge, allocate, contact, close: each step is on the record.
	r := page[1]
	path := fmt.Sprintf("/staff/referrals/%d", r.ID)
	steps := []struct {
		path string
		form url.Values
		want int
	}{
		{path + "/status", url.Values{"to": {"contacted"}, "version": {"1"}}, 409}, // no skipping
		{path + "/status", url.Values{"to": {"acknowledged"}, "version": {"1"}}, 303},
		{path + "/status", url.Values{"to": {"withdrawn"}, "version": {"1"}}, 409}, // stale version
		{path + "/allocate", url.Values{"advocate": {fmt.Sprint(adv.user.ID)}, "version": {"2"}}, 303},
		{path + "/status", url.Values{"to": {"contacted"}, "version": {"3"}}, 303},
		{path + "/status", url.Values{"to": {"closed"}, "version": {"4"}, "note": {"Supported at tribunal."}}, 303},
	}
	for i, s := range steps {
		if res := coord.post(t, s.path, s.form); res.code != s.want {
			t.Errorf("step %d: %d, want %d", i, res.code, s.want)
		}
	}
	got := coord.get(t, path)
	for _, want := range []string{"Closed", "Avery Advocate", "Supported at tribunal.", "First contact after 0 working days (promise: 5)"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("referral page lacks %q", want)
		}
	}
}

func TestWorkingDays(t *testing.T) {
	// Friday 20 Nov 2026: five working days on is Friday 27 Nov.
	fri := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	r := referral.Referral{CreatedAt: fri, Status: referral.StatusNew}
	tests := []struct {
		now  time.Time
		late bool
	}{
		{time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if p := web.PromiseFor(r, 5, tt.now); p.Late != tt.late || p.Due.Day() != 27 {
			t.Errorf("now %v: due %v late %v", tt.now, p.Due, p.Late)
		}
	}
}

// eachStore runs a staff test against both backends.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { fn(t, s.open(t)) })
	}
}

// The live queue hears of a new referral by its id alone.
func TestStaffQueueEvents(t *testing.T) { eachStore(t, testStaffQueueEvents) }

func testStaffQueueEvents(t *testing.T, st store.Store) {
	srv := newApp(t, st)
	b := signIn(t, srv, addAccount(t, st, store.RoleAdvocate, "Avery"))
	req, _ := http.NewRequest(http.MethodGet, srv.base+"/staff/queue/events", nil)
	for k, v := range b.headers(nil) {
		req.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	res, err := client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(want string) {
		t.Helper()
		for l := range lines {
			if l == want {
				return
			}
		}
		t.Fatalf("stream ended before %q", want)
	}
	wait("event: requery")
	// The listener may start just after the first event; keep adding until one is heard.
	add := newStaffReferral(t, st, "Alex Example") // valid content to copy
	go func() {
		for i := 0; i < 3 && ctx.Err() == nil; i++ {
			time.Sleep(300 * time.Millisecond)
			r := add.Content()
			r.IdempotencyKey = staffKey()
			_, _, _ = st.AddReferral(ctx, r) // a failure shows as no event below
		}
	}()
	for l := range lines {
		if strings.HasPrefix(l, "data: ") && l != "data: 0" {
			if strings.Contains(l, "Alex") {
				t.Fatalf("event carries patient data: %q", l)
			}
			return
		}
	}
	t.Fatal("no change event")
}

// The queue pages by keyset: the Next link carries an opaque cursor and the filters,
// and no referral appears on two pages.
func TestStaffQueuePages(t *testing.T) {
	st := openSQLite(t)
	srv := newApp(t, st)
	b := signIn(t, srv, addAccount(t, st, store.RoleAdvocate, "Avery"))
	for i := 0; i < 51; i++ {
		newStaffReferral(t, st, "Alex Example")
	}
	refLink := regexp.MustCompile(`<a href="/staff/referrals/(\d+)">`)
	next := regexp.MustCompile(`<a href="(/staff/queue\?[^"]+)">Next page</a>`)
	first := b.get(t, "/staff/queue?ward=Willow")
	m := next.FindStringSubmatch(first.body)
	if first.code != 200 || m == nil {
		t.Fatalf("first page: %d, next link %v", first.code, m)
	}
	u := strings.ReplaceAll(m[1], "&amp;", "&")
	if !strings.Contains(u, "ward=Willow") || !strings.Contains(u, "after=") {
		t.Errorf("next link %q lacks the filter or cursor", u)
	}
	second := b.get(t, u)
	seen := map[string]bool{}
	for _, p := range []response{first, second} {
		for _, id := range refLink.FindAllStringSubmatch(p.body, -1) {
			if seen[id[1]] {
				t.Errorf("referral %s on two pages", id[1])
			}
			seen[id[1]] = true
		}
	}
	if len(seen) != 51 || next.MatchString(second.body) {
		t.Errorf("%d referrals over two pages, want 51 and no third page", len(seen))
	}
}

// Every staff string a template can ask for exists: a missing id would show raw.
func TestStaffPagesShowNoRawIDs(t *testing.T) {
	st := openSQLite(t)
	srv := newApp(t, st)
	admin := signIn(t, srv, addAccount(t, st, store.RoleAdmin, "Ada"))
	r := newStaffReferral(t, st, "Alex Example")
	full := r.Content()
	full.IdempotencyKey = staffKey()
	full.LegalStatus = referral.LegalNotSure
	full.WantsPrivateMeeting = true
	full.Contact = referral.Contact{Method: referral.ContactViaStaff}
	for _, k := range []referral.MeetingKind{referral.MeetingWardRound, referral.MeetingCPA, referral.MeetingTribunal,
		referral.MeetingManagersHearing, referral.MeetingOther} {
		full.Meetings = append(full.Meetings, referral.Meeting{Kind: k, Date: time.Now().UTC().Truncate(24 * time.Hour)})
	}
	saved, _, err := st.AddReferral(context.Background(), full)
	if err != nil {
		t.Fatal(err)
	}
	rawID := regexp.MustCompile(`staff\.[a-z_]+\.[a-z_.]+`)
	for _, path := range []string{"/staff/queue?status=all", fmt.Sprintf("/staff/referrals/%d", r.ID),
		fmt.Sprintf("/staff/referrals/%d", saved.ID), "/staff/refer", "/staff/import", "/staff/users", "/staff/apikeys"} {
		res := admin.get(t, path)
		if res.code != 200 {
			t.Errorf("%s: %d", path, res.code)
		}
		if m := rawID.FindString(res.body); m != "" {
			t.Errorf("%s shows the raw id %q", path, m)
		}
		// The CSP forbids inline script and style, so the pages must not need them.
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if strings.Contains(res.body, "style=") || regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(res.body) {
			t.Errorf("%s has an inline style or script", path)
		}
		if res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, res.header.Get("Cache-Control"))
		}
	}
}

// An idle session ends, and the live queue's background requests do not keep it
// alive.
func TestStaffIdleExpiry(t *testing.T) {
	st := openSQLite(t)
	srv := newApp(t, st)
	a := addAccount(t, st, store.RoleAdvocate, "Avery")
	b := signIn(t, srv, a)
	// Make the session look 20 minutes old, then 20 more, by moving last_seen back.
	h := staff.HashToken(b.cookie)
	ctx := context.Background()
	age := func(d time.Duration) {
		if err := st.TouchSession(ctx, h, time.Now().UTC().Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	age(20 * time.Minute)
	if code := b.get(t, "/staff/queue/fragment").code; code != 200 {
		t.Fatalf("fragment: %d", code)
	}
	if s, _ := st.GetSession(ctx, h, time.Now()); time.Since(s.LastSeen) < 19*time.Minute {
		t.Error("a background request counted as activity")
	}
	if code := b.get(t, "/staff/queue").code; code != 200 {
		t.Fatalf("queue: %d", code)
	}
	if s, _ := st.GetSession(ctx, h, time.Now()); time.Since(s.LastSeen) > time.Minute {
		t.Error("a page view did not count as activity")
	}
	age(31 * time.Minute)
	if code := b.get(t, "/staff/queue").code; code != 303 {
		t.Errorf("after 31 idle minutes: %d, want 303 to sign in", code)
	}
	if _, err := st.GetSession(ctx, h, time.Now()); err == nil {
		t.Error("the idle session was not deleted")
	}
}
