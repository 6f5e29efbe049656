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
	body, err = prov.Fill(name, bodyLine, body)
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

// Provider maps placeholder names to the provider's details.
type Provider map[string]string

var placeholder = regexp.MustCompile(`\{\{\s*provider\.([a-z_]+)\s*\}\}`)

// LoadProvider reads provider.yaml: flat key: value pairs. Derived keys
// phone_tel and text_tel hold digits only, for tel: and sms: links.
func LoadProvider(fsys fs.FS) (Provider, error) {
	src, err := fs.ReadFile(fsys, "provider.yaml")
	if err != nil {
		return nil, fmt.Errorf("content/provider.yaml: %w", err)
	}
	p := Provider{}
	if err := yaml.Unmarshal(src, &p); err != nil {
		return nil, &ContentError{"content/provider.yaml", yamlErrLine(err), err.Error()}
	}
	for _, k := range []string{"name", "phone", "email", "promise"} {
		if strings.TrimSpace(p[k]) == "" {
			return nil, &ContentError{"content/provider.yaml", 1, fmt.Sprintf("%q is required", k)}
		}
	}
	for _, k := range []string{"phone", "text"} {
		p[k+"_tel"] = digits(p[k])
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

// Fill replaces {{provider.key}} in a page body; an unknown key is an error
// naming the line, so a typo never reaches a patient as raw braces.
func (p Provider) Fill(file string, firstLine int, body []byte) ([]byte, error) {
	var err error
	out := placeholder.ReplaceAllFunc(body, func(m []byte) []byte {
		k := string(placeholder.FindSubmatch(m)[1])
		v, ok := p[k]
		if !ok && err == nil {
			idx := strings.Index(string(body), string(m))
			err = &ContentError{file, firstLine + strings.Count(string(body[:idx]), "\n"), fmt.Sprintf("unknown placeholder {{provider.%s}}", k)}
		}
		return []byte(mdSpecial.Replace(v))
	})
	return out, err
}
