package contentcheck

import (
	"strings"
	"testing"
	"testing/fstest"
)

const provider = "name: Example Advocacy\nphone: 0300 000 0000\nemail: a@advocacy.example\npromise: contact you within 5 working days\n"

func page(id, lang, variant, extra, body string) string {
	return "---\nid: " + id + "\ntitle: Title\nsummary: Summary.\nlanguage: " + lang + "\nvariant: " + variant +
		"\ntranslation: original\nsources:\n  - Mental Health Act 1983 s130B\nlast_reviewed: 2026-11-24\norder: 1\n" + extra + "---\n" + body
}

const (
	enLocale = "\"meta.name\" = \"English\"\n\"meta.dir\" = \"ltr\"\n\"meta.translation\" = \"original\"\n\"ui.hello\" = \"Hello\"\n"
	arLocale = "\"meta.name\" = \"العربية\"\n\"meta.dir\" = \"rtl\"\n\"meta.translation\" = \"draft\"\n\"ui.hello\" = \"مرحبا\"\n"
	// Line 13 is the first body line of page().
	goodStandard = "## Who can help {#who}\n\nA Community Treatment Order (CTO) lets you live at home. See [saying no](b#no).\n"
	goodEasy     = "![A person helping](advocate.svg) An advocate helps you. They are free.\n"
	goodB        = "## Saying no {#no}\n\nYou can say no.\n"
)

// fixture is a small, correct content tree; each test changes one thing.
func fixture() (content, locales, static fstest.MapFS) {
	content = fstest.MapFS{
		"provider.yaml":           {Data: []byte(provider)},
		"pages/en/standard/a.md":  {Data: []byte(page("a", "en", "standard", "", goodStandard))},
		"pages/en/easy-read/a.md": {Data: []byte(page("a", "en", "easy-read", "", goodEasy))},
		"pages/en/standard/b.md":  {Data: []byte(page("b", "en", "standard", "", goodB))},
		"pages/en/easy-read/b.md": {Data: []byte(page("b", "en", "easy-read", "", "![Saying no](say-no.svg) You can say no.\n"))},
		"initialisms.yaml":        {Data: []byte("NHS: known to everyone\n")},
		"accepted-gaps.yaml":      {Data: []byte("")},
		"media/bsl.yaml":          {Data: []byte("{}\n")},
	}
	locales = fstest.MapFS{"active.en.toml": {Data: []byte(enLocale)}}
	static = fstest.MapFS{"pictures/advocate.svg": {Data: []byte("<svg/>")}, "pictures/say-no.svg": {Data: []byte("<svg/>")}}
	return
}

func run(content, locales, static fstest.MapFS) *Report {
	media, _ := content.Sub("media") // the media folder within the fixture
	return Check(Input{Content: content, Locales: locales, Static: static, Media: media})
}

func TestCheckFindsEachKindOfProblem(t *testing.T) {
	tests := []struct {
		name   string
		change func(content, locales, static fstest.MapFS)
		want   []string // each a substring of one problem, file:line first
	}{
		{"clean content", func(c, l, s fstest.MapFS) {}, nil},
		{"page missing in a language", func(c, l, s fstest.MapFS) {
			l["active.ar.toml"] = &fstest.MapFile{Data: []byte(arLocale)}
			c["pages/ar/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "ar", "standard", "", "## من {#who}\n\nنص.\n"))}
			c["pages/ar/standard/b.md"] = &fstest.MapFile{Data: []byte(page("b", "ar", "standard", "", goodB))}
			c["pages/ar/easy-read/b.md"] = &fstest.MapFile{Data: []byte(page("b", "ar", "easy-read", "", "![لا](say-no.svg) يمكنك أن تقول لا.\n"))}
		}, []string{"content/pages/en/easy-read/a.md:1: no ar easy-read version: write content/pages/ar/easy-read/a.md"}},
		{"page missing in a variant", func(c, l, s fstest.MapFS) {
			delete(c, "pages/en/easy-read/b.md")
		}, []string{"content/pages/en/standard/b.md:1: no en easy-read version"}},
		{"accepted gap", func(c, l, s fstest.MapFS) {
			l["active.ar.toml"] = &fstest.MapFile{Data: []byte(arLocale)}
			c["accepted-gaps.yaml"] = &fstest.MapFile{Data: []byte("- page: \"*\"\n  language: ar\n  reason: Being translated.\n")}
		}, nil},
		{"accepted gap without a reason, and a stale one", func(c, l, s fstest.MapFS) {
			c["accepted-gaps.yaml"] = &fstest.MapFile{Data: []byte("- page: a\n  language: en\n- page: a\n  language: en\n  variant: standard\n  reason: Old.\n")}
		}, []string{"content/accepted-gaps.yaml:1: an accepted gap needs a reason", "content/accepted-gaps.yaml:3: accepted gap (page a, language en, variant standard) no longer matches"}},
		{"pages for a language without a locale", func(c, l, s fstest.MapFS) {
			c["pages/fr/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "fr", "standard", "", goodStandard))}
		}, []string{`content/pages/fr/standard/a.md:1: there are pages in "fr" but no locales/active.fr.toml`}},
		{"incomplete front matter (the library's own check)", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/b.md"] = &fstest.MapFile{Data: []byte(strings.Replace(page("b", "en", "standard", "", goodB), "summary: Summary.\n", "", 1))}
		}, []string{`content/pages/en/standard/b.md:2: front matter lacks "summary"`}},
		{"every malformed page at once", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/b.md"] = &fstest.MapFile{Data: []byte(strings.Replace(page("b", "en", "standard", "", goodB), "summary: Summary.\n", "", 1))}
			c["pages/en/easy-read/b.md"] = &fstest.MapFile{Data: []byte(strings.Replace(page("b", "en", "easy-read", "", goodB), "2026-11-24", "soon", 1))}
		}, []string{`content/pages/en/standard/b.md:2: front matter lacks "summary"`, `content/pages/en/easy-read/b.md:10: last_reviewed must be a date`}},
		{"link to a page that does not exist", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "standard", "", "Text.\n\nSee [this](no-such-page).\n"))}
		}, []string{`content/pages/en/standard/a.md:15: link "no-such-page": there is no page "no-such-page" in en standard`}},
		{"link to a heading that does not exist", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "standard", "", "Text.\n\nSee [this](b#yes) and [here](#who).\n"))}
		}, []string{`content/pages/en/standard/a.md:15: link "b#yes": content/pages/en/standard/b.md has no heading with id "yes"`,
			`content/pages/en/standard/a.md:15: link "#who": content/pages/en/standard/a.md has no heading with id "who"`}},
		{"link written as a path", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "standard", "", "See [this](/en/b).\n"))}
		}, []string{`content/pages/en/standard/a.md:13: link "/en/b": link to another page by its id`}},
		{"missing picture", func(c, l, s fstest.MapFS) {
			delete(s, "pictures/advocate.svg")
		}, []string{`content/pages/en/easy-read/a.md:13: picture "advocate.svg" is not in static/pictures/`}},
		{"long easy-read sentence", func(c, l, s fstest.MapFS) {
			c["pages/en/easy-read/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "easy-read", "",
				"![A person helping](advocate.svg) Short one.\n\n![A person helping](advocate.svg) An advocate is a person who can help you to say what you want about your care.\n"))}
		}, []string{"content/pages/en/easy-read/a.md:15: easy read: a sentence of 17 words"}},
		{"easy-read paragraph without a picture", func(c, l, s fstest.MapFS) {
			c["pages/en/easy-read/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "easy-read", "", goodEasy+"\nThis has no picture.\n"))}
		}, []string{"content/pages/en/easy-read/a.md:15: easy read: this paragraph has no picture"}},
		{"unexplained initialism, on a wrapped line", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "standard", "", "You may\nhave ECT. Ask the NHS. ECT (electroconvulsive therapy) is later.\n"))}
		}, []string{"content/pages/en/standard/a.md:14: ECT is not explained where it is first used"}},
		{"initialism in an easy-read page", func(c, l, s fstest.MapFS) {
			c["pages/en/easy-read/a.md"] = &fstest.MapFile{Data: []byte(page("a", "en", "easy-read", "", "![A person helping](advocate.svg) Your CPA meeting is soon.\n"))}
		}, []string{"content/pages/en/easy-read/a.md:13: CPA is not explained"}},
		{"bad allow-list entry", func(c, l, s fstest.MapFS) {
			c["initialisms.yaml"] = &fstest.MapFile{Data: []byte("NHS: known\ncto: lower case\n")}
		}, []string{`content/initialisms.yaml:2: "cto": give an all-capital initialism`}},
		{"missing UI string", func(c, l, s fstest.MapFS) {
			l["active.ar.toml"] = &fstest.MapFile{Data: []byte(strings.Replace(arLocale, "\"ui.hello\" = \"مرحبا\"\n", "", 1))}
			c["accepted-gaps.yaml"] = &fstest.MapFile{Data: []byte("- page: \"*\"\n  language: ar\n  reason: Being translated.\n")}
		}, []string{`locales/active.ar.toml:1: lacks the message "ui.hello"`}},
		{"BSL video not in the manifest", func(c, l, s fstest.MapFS) {
			c["pages/en/standard/b.md"] = &fstest.MapFile{Data: []byte(page("b", "en", "standard", "bsl: saying-no\n", goodB))}
		}, []string{`content/pages/en/standard/b.md:12: bsl: no video "saying-no" in content/media/bsl.yaml`}},
		{"BSL manifest entry with missing files", func(c, l, s fstest.MapFS) {
			c["media/bsl.yaml"] = &fstest.MapFile{Data: []byte("saying-no:\n  signer: Sam\n  recorded: 2026-11-24\n  mp4: saying-no.mp4\n  captions:\n    en: saying-no.en.vtt\n  transcripts:\n    en: saying-no.en.md\n")}
		}, []string{`content/media/bsl.yaml:4: video "saying-no": mp4 file "saying-no.mp4" is not in the media folder`,
			`content/media/bsl.yaml:6: video "saying-no": captions file "saying-no.en.vtt" is not in the media folder`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l, s := fixture()
			tt.change(c, l, s)
			r := run(c, l, s)
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.String())
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("no problem %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("want no problems, got:\n%s", strings.Join(got, "\n"))
			}
			if r.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with %d problems", r.OK(), len(got))
			}
		})
	}
}

func TestCoverageTable(t *testing.T) {
	c, l, s := fixture()
	l["active.ar.toml"] = &fstest.MapFile{Data: []byte(arLocale)}
	c["pages/ar/standard/a.md"] = &fstest.MapFile{Data: []byte(strings.Replace(page("a", "ar", "standard", "", "نص.\n"), "translation: original", "translation: draft", 1))}
	c["accepted-gaps.yaml"] = &fstest.MapFile{Data: []byte("- page: a\n  language: ar\n  variant: easy-read\n  reason: Later.\n")}
	r := run(c, l, s)
	table := r.Coverage()
	for _, w := range []string{
		"| Page | en standard | en easy read | ar standard | ar easy read | BSL |",
		"| a | ✓ | ✓ | draft | gap | – |",
		"| b | ✓ | ✓ | **missing** | **missing** | – |",
		"| **written** | 2/2 | 2/2 | 1/2 | 0/2 | 0/2 |",
	} {
		if !strings.Contains(table, w) {
			t.Errorf("coverage lacks %q:\n%s", w, table)
		}
	}
	if len(r.Problems) != 2 {
		t.Errorf("want 2 problems (b missing in ar, twice), got %v", r.Problems)
	}
}
