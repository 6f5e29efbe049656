package library

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

const provider = "name: Example Advocacy\nphone: 0300 000 0000\ntext: 07700 900000\nemail: a@advocacy.example\npromise: contact you within 5 working days\ntranslations:\n  ar:\n    promise: التواصل معك خلال 5 أيام عمل\n"

func page(id, lang, variant, translation, body string) string {
	return "---\nid: " + id + "\ntitle: Title " + id + "\nsummary: Summary.\nlanguage: " + lang +
		"\nvariant: " + variant + "\ntranslation: " + translation +
		"\nsources:\n  - Mental Health Act 1983 s130B\nlast_reviewed: 2026-11-24\norder: 1\n---\n" + body
}

func TestLoadRendersPages(t *testing.T) {
	fsys := fstest.MapFS{
		"provider.yaml":                         {Data: []byte(provider)},
		"pages/en/standard/what-is-an-imha.md":  {Data: []byte(page("what-is-an-imha", "en", "standard", "original", "## Who can help {#who}\n\nCall {{provider.phone}}.\n\n<script>alert(1)</script>\n\n## بلا معرف\n"))},
		"pages/en/easy-read/what-is-an-imha.md": {Data: []byte(page("what-is-an-imha", "en", "easy-read", "original", "![A person helping](advocate.svg) An advocate helps you.\n"))},
		"pages/ar/standard/what-is-an-imha.md":  {Data: []byte(page("what-is-an-imha", "ar", "standard", "draft", "## من يمكنه المساعدة {#who}\n\nسوف {{provider.promise}} على {{provider.phone}}.\n"))},
	}
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, lang, variant string
		fallback                bool
		want, notWant           []string
	}{
		{"explicit heading id and provider filled", "what-is-an-imha", "en", Standard, false,
			[]string{`<h2 id="who">Who can help</h2>`, "Call 0300 000 0000."}, []string{"{{", "<script>"}},
		{"heading without id gets a script-neutral one", "what-is-an-imha", "en", Standard, false,
			[]string{`<h2 id="section-1">بلا معرف</h2>`}, nil},
		{"easy read puts the picture beside the words", "what-is-an-imha", "en", EasyRead, false,
			[]string{`<div class="picture-row"><img src="/static/pictures/advocate.svg" alt="A person helping" width="96" height="96" class="picture" loading="lazy"><p>An advocate helps you.</p>`}, nil},
		{"translation served as itself", "what-is-an-imha", "ar", Standard, false,
			[]string{`<h2 id="who">من يمكنه المساعدة</h2>`, "سوف التواصل معك خلال 5 أيام عمل على 0300 000 0000."}, []string{"working days"}},
		{"missing translation falls back to English", "what-is-an-imha", "ur", EasyRead, true,
			[]string{"An advocate helps you."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, fallback, ok := c.Page(tt.id, tt.lang, tt.variant)
			if !ok {
				t.Fatal("page not found")
			}
			if fallback != tt.fallback {
				t.Errorf("fallback = %v, want %v", fallback, tt.fallback)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(p.HTML), w) {
					t.Errorf("HTML lacks %q:\n%s", w, p.HTML)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(string(p.HTML), w) {
					t.Errorf("HTML has %q:\n%s", w, p.HTML)
				}
			}
		})
	}
	if ids := c.IDs(); len(ids) != 1 || ids[0] != "what-is-an-imha" {
		t.Errorf("IDs = %v", ids)
	}
	if p, _, _ := c.Page("what-is-an-imha", "en", EasyRead); len(p.Pictures) != 1 || p.Pictures[0] != "advocate.svg" {
		t.Errorf("Pictures = %v", p.Pictures)
	}
}

func TestLoadRejectsMalformedContent(t *testing.T) {
	good := page("a", "en", "standard", "original", "Text\n")
	tests := []struct {
		name, file, src, wantFile string
		wantLine                  int
		wantMsg                   string
	}{
		{"no front matter", "pages/en/standard/a.md", "# Hello\n", "content/pages/en/standard/a.md", 1, "front matter"},
		{"unclosed front matter", "pages/en/standard/a.md", "---\nid: a\n", "content/pages/en/standard/a.md", 1, "not closed"},
		{"bad yaml", "pages/en/standard/a.md", "---\nid: a\ntitle: [oops\n---\n", "content/pages/en/standard/a.md", 0, "not valid YAML"},
		{"missing key", "pages/en/standard/a.md", strings.Replace(good, "summary: Summary.\n", "", 1), "content/pages/en/standard/a.md", 2, `lacks "summary"`},
		{"unknown key", "pages/en/standard/a.md", strings.Replace(good, "order: 1\n", "order: 1\ncolour: red\n", 1), "content/pages/en/standard/a.md", 12, `unknown front matter key "colour"`},
		{"bad variant", "pages/en/standard/a.md", strings.Replace(good, "variant: standard", "variant: simple", 1), "content/pages/en/standard/a.md", 6, "variant must be"},
		{"bad date", "pages/en/standard/a.md", strings.Replace(good, "2026-11-24", "24/11/2026", 1), "content/pages/en/standard/a.md", 10, "last_reviewed"},
		{"reserved id", "pages/en/standard/print.md", page("print", "en", "standard", "original", "Text\n"), "content/pages/en/standard/print.md", 2, `id "print" is the address of another page`},
		{"id differs from file", "pages/en/standard/b.md", good, "content/pages/en/standard/b.md", 2, "does not match the file name"},
		{"wrong language folder", "pages/ar/standard/a.md", good, "content/pages/ar/standard/a.md", 2, "does not match the folder"},
		{"level-1 heading in the body", "pages/en/standard/a.md", page("a", "en", "standard", "original", "Intro\n\n# Title again\n"), "content/pages/en/standard/a.md", 15, "level-1 heading"},
		{"translation of an unknown detail", "provider.yaml", provider + "    fax: 123\n", "content/provider.yaml", 1, "translations.ar.fax"},
		{"unknown placeholder", "pages/en/standard/a.md", page("a", "en", "standard", "original", "One\n\nCall {{provider.fax}}\n"), "content/pages/en/standard/a.md", 15, "{{provider.fax}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"provider.yaml": {Data: []byte(provider)}, tt.file: {Data: []byte(tt.src)}})
			var ce *ContentError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ContentError", err)
			}
			if ce.File != tt.wantFile || (tt.wantLine != 0 && ce.Line != tt.wantLine) || !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Errorf("got %s, want %s:%d: …%s…", ce, tt.wantFile, tt.wantLine, tt.wantMsg)
			}
		})
	}
}
