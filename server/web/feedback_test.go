package web_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/postgres/pgtest"
	"github.com/imha-advocacy/imha/server/store/sqlite"
)

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "imha.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB) store.Store {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var stores = []struct {
	name string
	open func(testing.TB) store.Store
}{{"sqlite", openSQLite}, {"postgres", openPostgres}}

var formKey = regexp.MustCompile(`name="key" value="([A-Za-z0-9_-]+)"`)

func post(t *testing.T, srv *server, path string, form url.Values, header map[string]string) response {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range header {
		h[k] = v
	}
	return do(t, srv, http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

// Feedback sent from a plain HTML form (no JavaScript) is stored exactly
// once in each store, and bad input gets a clear page, never a 500.
func TestFeedbackWithoutJavaScript(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			st := s.open(t)
			app := newApp(t, st)
			page := get(t, app, "/ar/what-is-an-imha")
			m := formKey.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatalf("no form key on the page:\n%s", page.body)
			}
			key := m[1]
			if again := formKey.FindStringSubmatch(get(t, app, "/ar/what-is-an-imha").body); again == nil || again[1] == key {
				t.Fatal("two page views got the same form key")
			}
			good := url.Values{"key": {key}, "page": {"what-is-an-imha"}, "variant": {"standard"}, "helpful": {"no"}, "comment": {"  أريد معرفة المزيد عن المحكمة  "}}
			with := func(k, v string) url.Values {
				f := url.Values{}
				for kk, vv := range good {
					f[kk] = vv
				}
				f.Set(k, v)
				return f
			}
			tests := []struct {
				name     string
				form     url.Values
				header   map[string]string
				wantCode int
				wantBody string
			}{
				// What a browser sends under Referrer-Policy: no-referrer.
				{"stored", good, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther, ""},
				{"retry with the same key stores nothing new", good, nil, http.StatusSeeOther, ""},
				{"same key, other answer", with("helpful", "yes"), nil, http.StatusConflict, "أعد تحميل الصفحة"},
				{"no answer chosen", with("helpful", ""), nil, http.StatusUnprocessableEntity, "اختر نعم أو لا."},
				{"comment too long keeps the text", with("comment", strings.Repeat("ب", 501)), nil, http.StatusUnprocessableEntity, strings.Repeat("ب", 501)},
				{"unknown page", with("page", "no-such-page"), nil, http.StatusBadRequest, "تعذرت قراءة هذا النموذج"},
				{"bad variant", with("variant", "large-print"), nil, http.StatusBadRequest, "تعذرت قراءة هذا النموذج"},
				{"forged key", with("key", "short"), nil, http.StatusBadRequest, "تعذرت قراءة هذا النموذج"},
				{"another site's form", good, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "جاء هذا الطلب من مكان لا نقبله"},
				{"sandboxed or data: page elsewhere", good, map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "جاء هذا الطلب من مكان لا نقبله"},
				{"null origin without fetch metadata", good, map[string]string{"Origin": "null"}, http.StatusForbidden, "جاء هذا الطلب من مكان لا نقبله"},
				{"oversized body", with("comment", strings.Repeat("x", 70<<10)), nil, http.StatusRequestEntityTooLarge, "كبير جدًا"},
			}
			for _, tt := range tests {
				res := post(t, app, "/ar/feedback", tt.form, tt.header)
				if res.code != tt.wantCode || !strings.Contains(res.body, tt.wantBody) {
					t.Errorf("%s: %d, want %d with %q:\n%.600s", tt.name, res.code, tt.wantCode, tt.wantBody, res.body)
				}
				if res.code == http.StatusSeeOther && res.header.Get("Location") != "/ar/feedback/thanks?page=what-is-an-imha&variant=standard" {
					t.Errorf("%s: redirect to %q", tt.name, res.header.Get("Location"))
				}
			}
			got, err := st.ListFeedback(context.Background(), store.FeedbackQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Key != key || got[0].Helpful || got[0].Lang != "ar" || got[0].Comment != "أريد معرفة المزيد عن المحكمة" {
				t.Fatalf("stored %+v, want exactly the one Arabic answer", got)
			}
			thanks := get(t, app, "/ar/feedback/thanks?page=what-is-an-imha&variant=standard")
			if thanks.code != 200 || !strings.Contains(thanks.body, "شكرًا لك") || !strings.Contains(thanks.body, `href="/ar/what-is-an-imha"`) {
				t.Errorf("thanks page: %d", thanks.code)
			}
		})
	}
}
