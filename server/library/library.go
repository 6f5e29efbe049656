// Package library loads the content pages into an immutable catalogue keyed
// by (page, language, variant). Markdown is rendered once at start-up, so
// serving a page is a map look-up.
package library

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"gopkg.in/yaml.v3"
)

// Variants of a page.
const (
	Standard = "standard"
	EasyRead = "easy-read"
)

// Variants lists both, standard first.
var Variants = []string{Standard, EasyRead}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Page is one rendered page in one language and variant.
type Page struct {
	ID           string
	Title        string
	Summary      string
	Lang         string
	Variant      string
	Translation  string // original | draft | reviewed
	Sources      []string
	LastReviewed time.Time
	Order        int
	Audience     string
	BSL          string
	HTML         template.HTML
	File         string   // path within the content folder, for error messages
	Links        []string // link destinations as written, for the checker
	Pictures     []string // picture file names, for the checker
}

// Draft reports whether the page is a translation a qualified translator has not checked.
func (p *Page) Draft() bool { return p.Translation == "draft" }

type key struct{ id, lang, variant string }

// Catalogue is the immutable set of pages.
type Catalogue struct {
	pages    map[key]*Page
	ids      []string // English page ids, by order
	provider Provider
}

// Load reads content/pages/{lang}/{variant}/{id}.md and provider.yaml from
// fsys. Any malformed file stops loading with an error naming file and line.
func Load(fsys fs.FS) (*Catalogue, error) {
	prov, err := LoadProvider(fsys)
	if err != nil {
		return nil, err
	}
	c := &Catalogue{pages: map[key]*Page{}, provider: prov}
	md := newMarkdown()
	files, err := fs.Glob(fsys, "pages/*/*/*.md")
	if err != nil {
		return nil, err
	}
	for _, file := range files {
		p, err := loadPage(fsys, file, md, prov)
		if err != nil {
			return nil, err
		}
		c.pages[key{p.ID, p.Lang, p.Variant}] = p
	}
	for k, p := range c.pages {
		if k.lang == "en" && k.variant == Standard {
			c.ids = append(c.ids, p.ID)
		}
	}
	sort.Slice(c.ids, func(i, j int) bool {
		a, b := c.pages[key{c.ids[i], "en", Standard}], c.pages[key{c.ids[j], "en", Standard}]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.ID < b.ID
	})
	return c, nil
}

func loadPage(fsys fs.FS, file string, md goldmark.Markdown, prov Provider) (*Page, error) {
	src, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	name := "content/" + file
	fmSrc, body, bodyLine, err := splitFrontMatter(name, src)
	if err != nil {
		return nil, err
	}
	fm, err := parseFrontMatter(name, fmSrc)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(file, "/") // pages/{lang}/{variant}/{id}.md
	lang, variant, id := parts[1], parts[2], strings.TrimSuffix(parts[3], ".md")
	switch {
	case fm.ID != id:
		return nil, &ContentError{name, 2, fmt.Sprintf("id %q does not match the file name %q", fm.ID, id)}
	case fm.Language != lang:
		return nil, &ContentError{name, 2, fmt.Sprintf("language %q does not match the folder %q", fm.Language, lang)}
	case fm.Variant != variant:
		return nil, &ContentError{name, 2, fmt.Sprintf("variant %q does not match the folder %q", fm.Variant, variant)}
	}
	body, err = prov.Fill(name, bodyLine, lang, body)
	if err != nil {
		return nil, err
	}
	html, links, pics, err := render(md, body)
	var le *lineError
	if errors.As(err, &le) {
		return nil, &ContentError{name, bodyLine + le.line - 1, le.msg}
	} else if err != nil {
		return nil, &ContentError{name, bodyLine, err.Error()}
	}
	reviewed, _ := time.Parse(time.DateOnly, fm.LastReviewed)
	return &Page{
		ID: fm.ID, Title: fm.Title, Summary: fm.Summary, Lang: lang, Variant: variant,
		Translation: fm.Translation, Sources: fm.Sources, LastReviewed: reviewed, Order: fm.Order,
		Audience: fm.Audience, BSL: fm.BSL, HTML: template.HTML(html), File: name,
		Links: links, Pictures: pics,
	}, nil
}

// Pages lists every page in every language and variant, by file name, for
// tools that check the whole catalogue.
func (c *Catalogue) Pages() []*Page {
	out := make([]*Page, 0, len(c.pages))
	for _, p := range c.pages {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// IDs lists the page ids in reading order (from the English pages).
func (c *Catalogue) IDs() []string { return c.ids }

// Provider is the advocacy provider's details.
func (c *Catalogue) Provider() Provider { return c.provider }

// Exact returns the page in exactly this language and variant.
func (c *Catalogue) Exact(id, lang, variant string) (*Page, bool) {
	p, ok := c.pages[key{id, lang, variant}]
	return p, ok
}

// Page returns the page to show for (id, lang, variant): the page itself,
// or the English page of the same variant, with fallback set. ok is false
// when no such page exists at all.
func (c *Catalogue) Page(id, lang, variant string) (p *Page, fallback, ok bool) {
	if p, ok := c.pages[key{id, lang, variant}]; ok {
		return p, false, true
	}
	if p, ok := c.pages[key{id, "en", variant}]; ok {
		return p, true, true
	}
	return nil, false, false
}

// Provider is the advocacy provider's details, with optional versions per
// language for values in words (hours, promise, retention), so a translated
// page never shows an English phrase in the middle of a sentence.
type Provider struct {
	values map[string]string
	langs  map[string]map[string]string
}

// Get returns key's value in lang, or the main value.
func (p Provider) Get(lang, key string) string {
	if v, ok := p.langs[lang][key]; ok {
		return v
	}
	return p.values[key]
}

// In returns every detail as it reads in lang, for templates.
func (p Provider) In(lang string) map[string]string {
	m := make(map[string]string, len(p.values))
	for k := range p.values {
		m[k] = p.Get(lang, k)
	}
	return m
}

// Has reports whether key is a provider detail.
func (p Provider) Has(key string) bool {
	_, ok := p.values[key]
	return ok
}

var placeholder = regexp.MustCompile(`\{\{\s*provider\.([a-z_]+)\s*\}\}`)

// LoadProvider reads provider.yaml: key: value pairs, and an optional
// "translations" map of language -> key -> value. Derived keys phone_tel and
// text_tel hold digits only, for tel: and sms: links.
func LoadProvider(fsys fs.FS) (Provider, error) {
	const file = "content/provider.yaml"
	src, err := fs.ReadFile(fsys, "provider.yaml")
	if err != nil {
		return Provider{}, fmt.Errorf("%s: %w", file, err)
	}
	var raw struct {
		Translations map[string]map[string]string `yaml:"translations"`
	}
	values := map[string]any{}
	if err := yaml.Unmarshal(src, &values); err != nil {
		return Provider{}, &ContentError{file, YAMLErrLine(err), err.Error()}
	}
	if err := yaml.Unmarshal(src, &raw); err != nil {
		return Provider{}, &ContentError{file, YAMLErrLine(err), "translations: " + err.Error()}
	}
	p := Provider{values: map[string]string{}, langs: raw.Translations}
	for k, v := range values {
		if k == "translations" {
			continue
		}
		s, ok := v.(string)
		if !ok && v != nil {
			// Quoting matters: unquoted, 0300123 would be read as a number.
			return Provider{}, &ContentError{file, 1, fmt.Sprintf("%q must be text in quotes, e.g. %s: \"0300 000 0000\"", k, k)}
		}
		p.values[k] = s
	}
	for _, k := range []string{"name", "phone", "email", "promise"} {
		if strings.TrimSpace(p.values[k]) == "" {
			return Provider{}, &ContentError{file, 1, fmt.Sprintf("%q is required", k)}
		}
	}
	for lang, m := range p.langs {
		for k := range m {
			if _, ok := p.values[k]; !ok {
				return Provider{}, &ContentError{file, 1, fmt.Sprintf("translations.%s.%s: no such provider detail", lang, k)}
			}
		}
	}
	for _, k := range []string{"phone", "text"} {
		p.values[k+"_tel"] = digits(p.values[k])
	}
	return p, nil
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= '0' && r <= '9') || (r == '+' && b.Len() == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var mdSpecial = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, "`", "\\`", `#`, `\#`)

// Fill replaces {{provider.key}} in a page body in lang; an unknown key is
// an error naming the line, so a typo never reaches a patient as raw braces.
func (p Provider) Fill(file string, firstLine int, lang string, body []byte) ([]byte, error) {
	var err error
	out := placeholder.ReplaceAllFunc(body, func(m []byte) []byte {
		k := string(placeholder.FindSubmatch(m)[1])
		v, ok := p.values[k]
		if ok {
			v = p.Get(lang, k)
		}
		if !ok && err == nil {
			idx := strings.Index(string(body), string(m))
			err = &ContentError{file, firstLine + strings.Count(string(body[:idx]), "\n"), fmt.Sprintf("unknown placeholder {{provider.%s}}", k)}
		}
		return []byte(mdSpecial.Replace(v))
	})
	return out, err
}
