package web

import (
	"fmt"
	"slices"

	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

// sitePath is one public page; group joins the same page across languages
// (for hreflang alternates).
type sitePath struct{ path, lang, group string }

func variantPrefix(lang, variant string) string {
	if variant == library.EasyRead {
		return "/" + lang + "/easy-read/"
	}
	return "/" + lang + "/"
}

// fontScripts lists the scripts whose fonts a page in langs needs: always
// Latin (English fallback text, sources, digits and spaces occur in every
// language), then each language's own. A script with no css/fonts-<script>.css
// makes start-up fail, so a new language cannot ship without its fonts.
func fontScripts(langs []locale.Language) []string {
	out := []string{"latn"}
	for _, l := range langs {
		if !slices.Contains(out, l.Script) {
			out = append(out, l.Script)
		}
	}
	return out
}

// baseView fills what the layout needs for a page at suffix (a page id, or
// "" for the start page) in one language and variant.
func (a *App) baseView(t *locale.Translator, variant, suffix string) *view {
	l := t.Language()
	other := library.EasyRead
	if variant == library.EasyRead {
		other = library.Standard
	}
	v := &view{
		T: t, Lang: l, Langs: a.cfg.Locales.Languages(), Variant: variant,
		HomeHref: variantPrefix(l.Tag, variant), Draft: l.Draft(), CommentMax: commentMax,
		Fonts: fontScripts([]locale.Language{l}),
	}
	if _, _, ok := a.cfg.Content.Page(suffix, l.Tag, other); ok || suffix == "" {
		v.VariantHref = variantPrefix(l.Tag, other) + suffix
	}
	for _, o := range v.Langs {
		v.Alternates = append(v.Alternates, alternate{o.Tag, variantPrefix(o.Tag, variant) + suffix})
	}
	return v
}

// prerender renders every public page in every language once.
func (a *App) prerender() error {
	a.pages = map[string]prerendered{}
	add := func(path, group, lang, name string, v *view) error {
		a.speechFor(v)
		v.Contact = a.contactFor(lang)
		b, err := a.tmpl.render(name, v)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if a.pages[path], err = split(b); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		a.paths = append(a.paths, sitePath{path, lang, group})
		return nil
	}
	for _, l := range a.cfg.Locales.Languages() {
		t := a.cfg.Locales.Translator(l.Tag)
		for _, variant := range library.Variants {
			prefix := variantPrefix(l.Tag, variant)
			home := a.baseView(t, variant, "")
			home.Title, home.Description = t.T("ui.home.title"), t.T("ui.home.intro")
			for _, id := range a.cfg.Content.IDs() {
				if p, fallback, ok := a.cfg.Content.Page(id, l.Tag, variant); ok {
					home.Pages = append(home.Pages, pageLink{p, prefix + id, fallback})
				}
			}
			if err := add(prefix, variant+":", l.Tag, "home", home); err != nil {
				return err
			}
			for _, pl := range home.Pages {
				v := a.baseView(t, variant, pl.Page.ID)
				v.Title, v.Description = pl.Page.Title, pl.Page.Summary
				v.Page, v.Fallback, v.FormKey = pl.Page, pl.Fallback, formKeyMarker
				v.Draft = v.Draft || pl.Page.Draft()
				v.Footer = a.footer(t, pl.Page, pl.Href, a.cfg.PublicURL)
				v.BSL = a.bslFor(t, pl.Page)
				if err := add(pl.Href, variant+":"+pl.Page.ID, l.Tag, "page", v); err != nil {
					return err
				}
			}
		}
		langs := a.baseView(t, library.Standard, "languages")
		langs.VariantHref = ""
		langs.Title = t.T("ui.lang.title")
		langs.Fonts = fontScripts(langs.Langs) // every language's name is in its own script
		for i := range langs.Alternates {
			langs.Alternates[i].Href = "/" + langs.Langs[i].Tag + "/languages"
		}
		if err := add("/"+l.Tag+"/languages", "languages", l.Tag, "languages", langs); err != nil {
			return err
		}
		videos := a.toolView(t, library.Standard, "/bsl")
		videos.Title, videos.Description = t.T("ui.bsl.title"), t.T("ui.bsl.intro")
		videos.Videos = a.videoLinks(l.Tag)
		if err := add("/"+l.Tag+"/bsl", "bsl", l.Tag, "bsl", videos); err != nil {
			return err
		}
	}
	return nil
}
