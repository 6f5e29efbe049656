package web_test

import (
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/web"
	"github.com/imha-advocacy/imha/static"
)

var (
	fontSheet = regexp.MustCompile(`href="(/static/css/fonts-([a-z]+)\.css\?v=[0-9a-f]+)"`)
	fontURL   = regexp.MustCompile(`url\("\.\./(fonts/[^"?]+)\?v=[0-9a-f]+"\)`)
	bodyClass = regexp.MustCompile(`<body class="[^"]*\bfont-([a-z]+)\b`)
)

// A page links the Latin fonts and its own script's, nothing more; the
// language picker links every offered script, since each name is in its own.
// Every sheet and every font it names is served.
func TestPagesLinkOnlyTheFontsTheirLanguageNeeds(t *testing.T) {
	app := newApp(t, openSQLite(t))
	langs, _ := locale.Load(locales.FS)
	all := []string{"latn"}
	for _, l := range langs.Languages() {
		if !slices.Contains(all, l.Script) {
			all = append(all, l.Script)
		}
	}
	served := map[string]bool{}
	for _, l := range langs.Languages() {
		want := []string{"latn"}
		if l.Script != "latn" {
			want = append(want, l.Script)
		}
		for path, want := range map[string][]string{"/" + l.Tag + "/": want, "/" + l.Tag + "/easy-read/": want, "/" + l.Tag + "/languages": all} {
			r := get(t, app, path)
			var got []string
			for _, m := range fontSheet.FindAllStringSubmatch(r.body, -1) {
				got = append(got, m[2])
				served[m[1]] = true
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s links fonts for %v, want %v", path, got, want)
			}
			if m := bodyClass.FindStringSubmatch(r.body); m == nil || m[1] != l.Script {
				t.Errorf("%s: body font class %v, want font-%s", path, m, l.Script)
			}
		}
	}
	for sheet := range served {
		r := get(t, app, sheet)
		if r.code != 200 || !strings.Contains(r.body, "@font-face") {
			t.Errorf("%s: %d, want a sheet of @font-face rules", sheet, r.code)
			continue
		}
		for _, m := range fontURL.FindAllStringSubmatch(r.body, -1) {
			if f := get(t, app, "/static/"+m[1]); f.code != 200 || len(f.body) < 1000 {
				t.Errorf("%s names %s: %d, %d bytes", sheet, m[1], f.code, len(f.body))
			}
		}
	}
}

// A language whose script has no fonts stops the server at start-up rather
// than showing patients boxes or a device's guess.
func TestLanguageWithoutFontsFailsAtStartUp(t *testing.T) {
	en, _ := locales.FS.ReadFile("active.en.toml")
	langs, err := locale.Load(fstest.MapFS{
		"active.en.toml": {Data: en},
		"active.ru.toml": {Data: []byte("\"meta.name\" = \"Русский\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"draft\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := library.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = web.New(web.Config{Content: pages, Locales: langs, Store: openSQLite(t), Static: static.FS,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "fonts-cyrl.css") {
		t.Fatalf("New with a Cyrillic language and no Cyrillic fonts: %v, want an error naming css/fonts-cyrl.css", err)
	}
}
