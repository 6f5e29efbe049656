package web

import (
	"html/template"

	"github.com/imha-advocacy/imha/server/bsl"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

// bslView is a page's sign language video as the page shows it.
type bslView struct {
	T          *locale.Translator
	Video      *bsl.Video
	Tracks     []track
	Transcript template.HTML
	TransLang  string // the transcript's language and direction (English when untranslated)
	TransDir   string
}

type track struct {
	Src, Lang, Label string
	Default          bool
}

// bslFor returns the video a page carries, with captions in every
// language it has (the reader's first and default) and the transcript in
// the reader's language, else English.
func (a *App) bslFor(t *locale.Translator, p *library.Page) *bslView {
	if p == nil || p.BSL == "" {
		return nil
	}
	video, ok := a.cfg.BSL.Video(p.BSL)
	if !ok {
		return nil // the content checker reports it; the page still works
	}
	lang := t.Language().Tag
	v := &bslView{T: t, Video: video}
	for i, c := range video.Tracks(lang) {
		label := c.Lang
		if l, ok := a.cfg.Locales.Lookup(c.Lang); ok {
			label = l.Name
		}
		v.Tracks = append(v.Tracks, track{Src: mediaURL(c.Src), Lang: c.Lang, Label: label, Default: i == 0})
	}
	v.Transcript, v.TransLang = video.Transcript(lang)
	v.TransDir = "ltr"
	if l, ok := a.cfg.Locales.Lookup(v.TransLang); ok {
		v.TransDir = l.Dir
	}
	return v
}

// videoLink is one video on the list of BSL videos: the pages that carry it.
type videoLink struct {
	Video *bsl.Video
	Pages []pageLink
}

// videoLinks lists every video with the pages, in this language, that show it.
func (a *App) videoLinks(lang string) []videoLink {
	var out []videoLink
	for _, id := range a.cfg.BSL.IDs() {
		video, _ := a.cfg.BSL.Video(id)
		vl := videoLink{Video: video}
		for _, pid := range a.cfg.Content.IDs() {
			for _, variant := range library.Variants {
				if p, fallback, ok := a.cfg.Content.Page(pid, lang, variant); ok && p.BSL == id {
					vl.Pages = append(vl.Pages, pageLink{p, variantPrefix(lang, variant) + pid, fallback})
				}
			}
		}
		out = append(out, vl)
	}
	return out
}
