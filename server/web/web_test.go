package web_test

import (
	"encoding/xml"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/web"
	"github.com/imha-advocacy/imha/static"
)

// server is the real application listening on a loopback port.
type server struct {
	*web.App
	base string
}

// newApp builds the real application on the shipped content and locales.
func newApp(t testing.TB, st store.Store) *server {
	t.Helper()
	return newAppWith(t, st, content.FS)
}

func newAppWith(t testing.TB, st store.Store, contentFS fs.FS) *server {
	t.Helper()
	pages, err := library.Load(contentFS)
	if err != nil {
		t.Fatal(err)
	}
	langs, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	known, err := chat.MessageIDs(locales.FS, "active.en.toml")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := chat.Load(content.FS, known)
	if err != nil {
		t.Fatal(err)
	}
	app, err := web.New(web.Config{Content: pages, Locales: langs, Chat: engine, Store: st, Static: static.FS,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return &server{app, "http://" + ln.Addr().String()}
}

type response struct {
	code   int
	header http.Header
	body   string
}

// client does not follow redirects, so tests see them.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t testing.TB, srv *server, method, path string, body io.Reader, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func get(t testing.TB, srv *server, path string) response {
	return do(t, srv, http.MethodGet, path, nil, nil)
}

var (
	htmlTag = regexp.MustCompile(`<html lang="([^"]+)" dir="(ltr|rtl)">`)
	h1      = regexp.MustCompile(`<h1[ >]`)
)

// Every URL in the sitemap answers 200 with the language's lang and dir,
// one h1, a skip link and the security headers.
func TestSitemapListsEveryPageAndEachAnswers(t *testing.T) {
	app := newApp(t, openSQLite(t))
	res := get(t, app, "/sitemap.xml")
	if res.code != 200 {
		t.Fatalf("sitemap: %d", res.code)
	}
	var set struct {
		URLs []struct {
			Loc   string `xml:"loc"`
			Links []struct {
				Hreflang string `xml:"hreflang,attr"`
			} `xml:"link"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(res.body), &set); err != nil {
		t.Fatal(err)
	}
	langs, _ := locale.Load(locales.FS)
	pages, _ := library.Load(content.FS)
	// Per language: two start pages, the language page, the BSL video list,
	// every page in both variants.
	want := len(langs.Languages()) * (4 + 2*len(pages.IDs()))
	if len(set.URLs) != want {
		t.Errorf("sitemap has %d URLs, want %d", len(set.URLs), want)
	}
	for _, u := range set.URLs {
		loc, err := url.Parse(u.Loc)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Links) != len(langs.Languages()) {
			t.Errorf("%s: %d hreflang alternates, want %d", u.Loc, len(u.Links), len(langs.Languages()))
		}
		r := get(t, app, loc.Path)
		if r.code != 200 {
			t.Errorf("%s: status %d", loc.Path, r.code)
			continue
		}
		m := htmlTag.FindStringSubmatch(r.body)
		tag := strings.Split(loc.Path, "/")[1]
		l, _ := langs.Lookup(tag)
		if m == nil || m[1] != tag || m[2] != l.Dir {
			t.Errorf("%s: html tag %v, want lang=%s dir=%s", loc.Path, m, tag, l.Dir)
		}
		if n := len(h1.FindAllString(r.body, -1)); n != 1 {
			t.Errorf("%s: %d h1 elements", loc.Path, n)
		}
		if !strings.Contains(r.body, `href="#main"`) || !strings.Contains(r.body, `<main id="main"`) {
			t.Errorf("%s: no skip link to main", loc.Path)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", loc.Path, csp)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", loc.Path, r.header.Get("Cache-Control"))
		}
	}
}

func TestRootSendsReaderToTheirLanguage(t *testing.T) {
	app := newApp(t, openSQLite(t))
	tests := []struct{ accept, cookie, want string }{
		{"", "", "/en/"},
		{"ar-EG,ar;q=0.9", "", "/ar/"},
		{"de-DE", "", "/en/"},
		{"ar", "en", "/en/"},
	}
	for _, tt := range tests {
		h := map[string]string{"Accept-Language": tt.accept}
		if tt.cookie != "" {
			h["Cookie"] = "lang=" + tt.cookie
		}
		res := do(t, app, http.MethodGet, "/", nil, h)
		if res.code != http.StatusFound || res.header.Get("Location") != tt.want {
			t.Errorf("Accept-Language %q cookie %q: %d %s, want %s", tt.accept, tt.cookie, res.code, res.header.Get("Location"), tt.want)
		}
	}
}

func TestUntranslatedPageFallsBackWithNotice(t *testing.T) {
	provider, err := fs.ReadFile(content.FS, "provider.yaml")
	if err != nil {
		t.Fatal(err)
	}
	page := "---\nid: only-english\ntitle: Only English\nsummary: S.\nlanguage: en\nvariant: standard\ntranslation: original\nsources: [Mental Health Act 1983 s130B]\nlast_reviewed: 2026-11-24\norder: 1\n---\nText.\n"
	app := newAppWith(t, openSQLite(t), fstest.MapFS{
		"provider.yaml":                     {Data: provider},
		"pages/en/standard/only-english.md": {Data: []byte(page)},
	})
	res := get(t, app, "/ar/only-english")
	if res.code != 200 || !strings.Contains(res.body, `lang="ar" dir="rtl"`) || !strings.Contains(res.body, `<article lang="en" dir="ltr">`) || !strings.Contains(res.body, "غير متوفرة بعد") {
		t.Errorf("/ar/only-english: %d, want the English page inside an Arabic layout with a notice:\n%s", res.code, res.body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	st := openSQLite(t)
	app := newApp(t, st)
	if r := get(t, app, "/healthz"); r.code != 200 {
		t.Errorf("healthz %d", r.code)
	}
	if r := get(t, app, "/readyz"); r.code != 200 {
		t.Errorf("readyz %d", r.code)
	}
	st.Close()
	if r := get(t, app, "/readyz"); r.code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the store closed: %d, want 503", r.code)
	}
}

func TestNotFoundIsAPageInTheReadersLanguage(t *testing.T) {
	app := newApp(t, openSQLite(t))
	r := get(t, app, "/ar/no-such-page")
	if r.code != 404 || !strings.Contains(r.body, `lang="ar" dir="rtl"`) || !strings.Contains(r.body, "الصفحة غير موجودة") {
		t.Errorf("404 page: %d %.300s", r.code, r.body)
	}
}

// Every picture a chat flow names exists, so easy-read chat never shows a
// broken image.
func TestChatFlowPicturesExist(t *testing.T) {
	flows, err := fs.Glob(content.FS, "flows/*.yaml")
	if err != nil || len(flows) == 0 {
		t.Fatalf("no flows: %v", err)
	}
	picture := regexp.MustCompile(`picture:\s*([A-Za-z0-9_.-]+)`)
	for _, f := range flows {
		b, err := fs.ReadFile(content.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range picture.FindAllStringSubmatch(string(b), -1) {
			if _, err := fs.Stat(static.FS, "pictures/"+m[1]); err != nil {
				t.Errorf("content/%s names picture %q, which is not in static/pictures", f, m[1])
			}
		}
	}
}
