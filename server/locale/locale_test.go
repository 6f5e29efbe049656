package locale_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/locale"
)

// Every shipped language has every message English has: a missing key
// would show a raw id to a patient.
func TestShippedLocalesAreComplete(t *testing.T) {
	c, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Languages()) < 2 {
		t.Fatalf("only %d languages", len(c.Languages()))
	}
	rtl := 0
	for _, l := range c.Languages() {
		if missing := c.Missing(l.Tag); len(missing) > 0 {
			if len(missing) > 8 {
				missing = append(missing[:8], "…")
			}
			t.Errorf("locales/active.%s.toml lacks %d keys English has: %s", l.Tag, len(c.Missing(l.Tag)), strings.Join(missing, ", "))
		}
		if l.RTL() {
			rtl++
		}
	}
	if rtl == 0 {
		t.Error("no right-to-left language is shipped; direction would go untested")
	}
}

func testCatalog(t *testing.T) *locale.Catalog {
	t.Helper()
	c, err := locale.Load(fstest.MapFS{
		"active.en.toml": {Data: []byte("\"meta.name\" = \"English\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"original\"\n\"hi\" = \"Hello {{.Name}}\"\n[\"n\"]\none = \"{{.Count}} page\"\nother = \"{{.Count}} pages\"\n")},
		"active.ar.toml": {Data: []byte("\"meta.name\" = \"العربية\"\n\"meta.dir\" = \"rtl\"\n\"meta.translation\" = \"draft\"\n\"hi\" = \"مرحبا {{.Name}}\"\n[\"n\"]\nzero = \"لا صفحات\"\none = \"صفحة\"\ntwo = \"صفحتان\"\nfew = \"{{.Count}} صفحات\"\nmany = \"{{.Count}} صفحة\"\nother = \"{{.Count}} صفحة\"\n")},
		"active.pl.toml": {Data: []byte("\"meta.name\" = \"Polski\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"draft\"\n[\"n\"]\none = \"{{.Count}} strona\"\nfew = \"{{.Count}} strony\"\nmany = \"{{.Count}} stron\"\nother = \"{{.Count}} strony\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNegotiate(t *testing.T) {
	c := testCatalog(t)
	tests := []struct{ cookie, accept, want string }{
		{"", "", "en"},
		{"ar", "pl", "ar"},             // cookie beats Accept-Language
		{"xx", "pl-PL,pl;q=0.9", "pl"}, // unknown cookie ignored
		{"", "ar-EG,en;q=0.5", "ar"},   // regional variant matches
		{"", "de-DE,de;q=0.9", "en"},   // unoffered language: English
		{"", "de, pl;q=0.5", "pl"},     // second choice offered
		{"", "garbage;;;q=", "en"},     // malformed header
		{"", "en-GB,ar;q=0.8", "en"},   // English preferred
	}
	for _, tt := range tests {
		if got := c.Negotiate(tt.cookie, tt.accept).Tag; got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %s, want %s", tt.cookie, tt.accept, got, tt.want)
		}
	}
}

func TestTranslator(t *testing.T) {
	c := testCatalog(t)
	tests := []struct {
		lang, id string
		count    int
		want     string
	}{
		{"en", "hi", -1, "Hello Sam"},
		{"ar", "hi", -1, "مرحبا Sam"},
		{"pl", "hi", -1, "Hello Sam"}, // missing in Polish: English, never the raw id
		{"en", "n", 1, "1 page"},
		{"en", "n", 3, "3 pages"},
		{"ar", "n", 2, "صفحتان"},
		{"ar", "n", 3, "3 صفحات"},
		{"ar", "n", 11, "11 صفحة"},
		{"pl", "n", 3, "3 strony"},
		{"pl", "n", 5, "5 stron"},
		{"en", "no.such.id", -1, "no.such.id"},
	}
	for _, tt := range tests {
		tr := c.Translator(tt.lang)
		var got string
		if tt.count >= 0 {
			got = tr.N(tt.id, tt.count)
		} else {
			got = tr.T(tt.id, "Name", "Sam")
		}
		if got != tt.want {
			t.Errorf("%s %s(%d) = %q, want %q", tt.lang, tt.id, tt.count, got, tt.want)
		}
	}
	if l, _ := c.Lookup("ar"); !l.RTL() || !l.Draft() || l.Name != "العربية" {
		t.Errorf("ar = %+v", l)
	}
}

func TestLoadRejectsBadMeta(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no name", "\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"original\"\n", "meta.name"},
		{"bad dir", "\"meta.name\" = \"E\"\n\"meta.dir\" = \"up\"\n\"meta.translation\" = \"original\"\n", "meta.dir"},
		{"bad status", "\"meta.name\" = \"E\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"machine\"\n", "meta.translation"},
		{"bad toml", "\"meta.name\" = \n", "active.en.toml"},
	}
	for _, tt := range tests {
		_, err := locale.Load(fstest.MapFS{"active.en.toml": {Data: []byte(tt.src)}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want mention of %s", tt.name, err, tt.want)
		}
	}
}

// The fonts a page loads follow the script of its language, derived from the
// tag, so a new language needs no hand-kept list.
func TestScriptOf(t *testing.T) {
	for tag, want := range map[string]string{
		"en": "latn", "pl": "latn", "ro": "latn", "pt": "latn", "es": "latn", "so": "latn",
		"pa": "guru", "ur": "arab", "ar": "arab", "bn": "beng", "gu": "gujr",
		"pa-Arab": "arab", "sr-Latn": "latn",
	} {
		if got := locale.ScriptOf(tag); got != want {
			t.Errorf("ScriptOf(%q) = %q, want %q", tag, got, want)
		}
	}
	c := testCatalog(t)
	if l, _ := c.Lookup("ar"); l.Script != "arab" {
		t.Errorf("Lookup(ar).Script = %q, want arab", l.Script)
	}
}

// Staff strings are English only: every language shows them in English, and no
// language is asked to translate them.
func TestStaffStringsAreEnglishOnly(t *testing.T) {
	en := "\"meta.name\" = \"English\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"original\"\n\"ui.x\" = \"X\"\n"
	pl := "\"meta.name\" = \"Polski\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"draft\"\n\"ui.x\" = \"Y\"\n"
	fsys := fstest.MapFS{
		"active.en.toml":       {Data: []byte(en)},
		"active.pl.toml":       {Data: []byte(pl)},
		"staff/active.en.toml": {Data: []byte("\"staff.queue\" = \"Queue\"\n")},
	}
	c, err := locale.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Translator("pl").T("staff.queue"); got != "Queue" {
		t.Errorf("staff.queue in pl = %q, want the English", got)
	}
	if m := c.Missing("pl"); len(m) != 0 {
		t.Errorf("pl is asked to translate %v", m)
	}
	fsys["staff/active.en.toml"] = &fstest.MapFile{Data: []byte("\"ui.x\" = \"Hijack\"\n")}
	if _, err := locale.Load(fsys); err == nil {
		t.Error("a non-staff id in the staff file was accepted")
	}
}
