package web

import (
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

// printFooter is what a printed page carries at its foot, so a sheet
// handed to a patient says how current it is, whether it is a draft
// translation, and how to reach the same page on a phone.
type printFooter struct {
	T     *locale.Translator
	Page  *library.Page
	Path  string // the page's URL path, for its QR code
	Short string // the address to type, without https://
	BSL   bool   // the page has a sign language video: say so on paper
}

// qrURL is the address of the QR code for a page path.
func qrURL(path string) string { return "/qr?path=" + url.QueryEscape(path) }

// shortAddress drops the scheme: easier to type from paper.
func shortAddress(base, path string) string {
	base = strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	return base + path
}

// footer builds the print footer for a page shown at path; base is the
// public address (PUBLIC_URL, or the request's for dynamic pages).
func (a *App) footer(t *locale.Translator, p *library.Page, path, base string) *printFooter {
	f := &printFooter{T: t, Page: p, Path: path, Short: shortAddress(base, path)}
	if p != nil && p.BSL != "" {
		_, f.BSL = a.cfg.BSL.Video(p.BSL)
	}
	return f
}

// printView is the print pack: the form's choices and the chosen sheets.
type printView struct {
	AllPages  bool // the "all pages" box, so staff need not tick each
	Pages     []choice
	Languages []choice
	Variants  []choice
	Sheets    []sheet
	Query     string            // the chosen options, to link back to the form
	Provider  map[string]string // on the cover, so the pack says whom to contact
}

type choice struct {
	Value, Label, Lang, Dir string
	Checked                 bool
}

// sheet is one page of the pack in one language and variant, printed on
// sheets of its own.
type sheet struct {
	T        *locale.Translator // the sheet's own language
	Lang     locale.Language
	Page     *library.Page
	Variant  string
	Fallback bool
	Footer   *printFooter
	HTML     template.HTML // the page body, its links made absolute
}

// relativeLink is a link to another page by id, as pages write them
// (library: href="saying-no#say-no").
var relativeLink = regexp.MustCompile(`href="([a-z0-9]+(?:-[a-z0-9]+)*)(#[^"]*)?"`)

// absoluteLinks points a page's links at the page itself, because in the
// pack (/{lang}/print/pack) a relative link would resolve under /print/.
func absoluteLinks(html template.HTML, prefix string) template.HTML {
	return template.HTML(relativeLink.ReplaceAllString(string(html), `href="`+prefix+`$1$2"`))
}

// EasyRead reports whether the sheet is the easy-read version.
func (s sheet) EasyRead() bool { return s.Variant == library.EasyRead }

// urlLanguage returns a translator for the URL's language, or false when it is not offered.
func (a *App) urlLanguage(c *fiber.Ctx) (*locale.Translator, bool) {
	l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
	if !ok {
		return nil, false
	}
	return a.cfg.Locales.Translator(l.Tag), true
}

const allPages = "all"

// printChoices reads the form (page, language, variant; repeated) keeping
// only offered values, in the catalogue's order.
func (a *App) printChoices(c *fiber.Ctx, t *locale.Translator) (*printView, bool) {
	args := c.Context().QueryArgs()
	picked := func(key string) map[string]bool {
		m := map[string]bool{}
		for _, v := range args.PeekMulti(key) {
			m[string(v)] = true
		}
		return m
	}
	pages, langs, variants := picked("page"), picked("language"), picked("variant")
	submitted := len(args.PeekMulti("page"))+len(args.PeekMulti("language"))+len(args.PeekMulti("variant")) > 0
	if !submitted { // a fresh form: this language, easy read
		langs[t.Language().Tag], variants[library.EasyRead] = true, true
	}
	pv := &printView{AllPages: pages[allPages]}
	for _, id := range a.cfg.Content.IDs() {
		p, _, _ := a.cfg.Content.Page(id, t.Language().Tag, library.Standard)
		pv.Pages = append(pv.Pages, choice{Value: id, Label: p.Title, Lang: p.Lang, Checked: pages[id] || pv.AllPages})
	}
	for _, l := range a.cfg.Locales.Languages() {
		pv.Languages = append(pv.Languages, choice{Value: l.Tag, Label: l.Name, Lang: l.Tag, Dir: l.Dir, Checked: langs[l.Tag]})
	}
	pv.Variants = []choice{
		{Value: library.Standard, Label: t.T("ui.nav.standard"), Checked: variants[library.Standard]},
		{Value: library.EasyRead, Label: t.T("ui.nav.easy_read"), Checked: variants[library.EasyRead]},
	}
	return pv, submitted
}

func checked(cs []choice) []choice {
	return slices.DeleteFunc(slices.Clone(cs), func(c choice) bool { return !c.Checked })
}

// toolView is the view of a page that is not content (print, poster):
// no variant switch, and each language's version at /{lang}{path}.
func (a *App) toolView(t *locale.Translator, variant, path string) *view {
	v := a.baseView(t, variant, "")
	v.VariantHref = ""
	for i := range v.Alternates {
		v.Alternates[i].Href = "/" + v.Langs[i].Tag + path
	}
	return v
}

// printForm is the staff page that builds a print pack: a plain GET form,
// so it works without JavaScript and any choice can be bookmarked.
func (a *App) printForm(c *fiber.Ctx) error {
	t, ok := a.urlLanguage(c)
	if !ok {
		return fiber.ErrNotFound
	}
	pv, _ := a.printChoices(c, t)
	v := a.toolView(t, library.Standard, "/print")
	v.Title = t.T("ui.print.form_title")
	v.Print = pv
	return a.send(c, fiber.StatusOK, "print", v)
}

// printPack builds one printable document from the chosen pages,
// languages and variants: a contents list, then each page on new sheets
// in its own language and direction.
func (a *App) printPack(c *fiber.Ctx) error {
	t, ok := a.urlLanguage(c)
	if !ok {
		return fiber.ErrNotFound
	}
	pv, _ := a.printChoices(c, t)
	v := a.toolView(t, library.Standard, "/print")
	v.Print = pv
	for _, e := range []struct {
		cs        []choice
		field, id string
	}{{pv.Pages, "pages", "ui.print.error_pages"}, {pv.Languages, "languages", "ui.print.error_languages"}, {pv.Variants, "variants", "ui.print.error_variants"}} {
		if len(checked(e.cs)) == 0 {
			v.Errors = append(v.Errors, fieldError{e.field, t.T(e.id)})
		}
	}
	if len(v.Errors) > 0 {
		v.Title = t.T("ui.print.form_title")
		return a.send(c, fiber.StatusUnprocessableEntity, "print", v)
	}
	base := a.baseURL(c)
	for _, lc := range checked(pv.Languages) {
		l, _ := a.cfg.Locales.Lookup(lc.Value)
		lt := a.cfg.Locales.Translator(l.Tag)
		for _, pc := range checked(pv.Pages) {
			for _, vc := range checked(pv.Variants) {
				p, fallback, ok := a.cfg.Content.Page(pc.Value, l.Tag, vc.Value)
				if !ok {
					continue
				}
				path := variantPrefix(l.Tag, vc.Value) + p.ID
				pv.Sheets = append(pv.Sheets, sheet{T: lt, Lang: l, Page: p, Variant: vc.Value, Fallback: fallback,
					Footer: a.footer(lt, p, path, base), HTML: absoluteLinks(p.HTML, variantPrefix(l.Tag, vc.Value))})
			}
		}
	}
	pv.Query = string(c.Context().QueryArgs().QueryString())
	pv.Provider = a.cfg.Content.Provider().In(t.Language().Tag)
	v.Title = t.T("ui.print.pack_title")
	return a.send(c, fiber.StatusOK, "pack", v)
}

// posterView is a ward poster: A4 or A3, easy-read lines with pictures,
// how to contact the provider, and a QR code to the start page.
type posterView struct {
	Size     string // a4 | a3
	Lines    []posterLine
	Provider map[string]string
	Footer   *printFooter // QR code and address of the easy-read start page
}

type posterLine struct{ ID, Picture string }

// posterLines are the message ids and pictures of the poster's lines.
var posterLines = []posterLine{
	{"ui.poster.line_helps", "advocate.svg"},
	{"ui.poster.line_free", "independent.svg"},
	{"ui.poster.line_rights", "rights.svg"},
	{"ui.poster.line_ask", "person-talking.svg"},
}

func (a *App) poster(c *fiber.Ctx) error {
	t, ok := a.urlLanguage(c)
	if !ok {
		return fiber.ErrNotFound
	}
	size := c.Query("size", "a4")
	if size != "a4" && size != "a3" {
		return fiber.ErrNotFound
	}
	v := a.toolView(t, library.EasyRead, "/poster?size="+size)
	v.Title = t.T("ui.poster.title")
	start := variantPrefix(t.Language().Tag, library.EasyRead)
	v.Poster = &posterView{Size: size, Lines: posterLines, Provider: a.cfg.Content.Provider().In(t.Language().Tag),
		Footer: a.footer(t, nil, start, a.baseURL(c))}
	return a.send(c, fiber.StatusOK, "poster", v)
}
