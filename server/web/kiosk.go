package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/imha-advocacy/imha/kiosk"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/speech"
)

// Kiosk mode is a path prefix, /kiosk/{ward}/{lang}/…, not a cookie: every
// link in a kiosk page stays under the prefix, so the mode cannot leak to a
// phone and needs nothing stored in the browser. Kiosk pages are rendered
// once at start-up with markers where the ward goes, and a request replaces
// them: one map look-up and one pass over the bytes.
const (
	wardMarker = "WARD-8c1f0e5b"
	idleMarker = "IDLE-8c1f0e5b"
)

// kioskView is what the layout needs in kiosk mode.
type kioskView struct {
	Ward string // the ward id (a marker in pre-rendered pages)
	Idle string // seconds without a touch before "Are you still there?"
	// StillThere is the audio of the idle question, in the page's language.
	StillThere string
	Attract    bool // the attract screen: no bar, no idle dialog
}

// speechView is the read-aloud control's data for one page.
type speechView struct {
	URL     string // audio of the page in parts, space-separated; "" when its language has no voice
	NoVoice bool   // show (and speak, in English) the no-voice note
	Note    string // the note in English
	NoteURL string // its audio
}

// contactView is the advocacy provider's ways in, for phone layouts.
type contactView struct {
	Name, Phone, PhoneTel, Text, TextTel, Relay, RelayTel, BSL string
}

type wardRoute struct {
	kiosk.Ward
	fill *strings.Replacer
}

func (a *App) setupWards() error {
	a.wards = map[string]*wardRoute{}
	a.chats.wardTTL = map[string]time.Duration{}
	for _, w := range a.cfg.Wards {
		langs := w.Languages[:0:0]
		for _, l := range w.Languages {
			if _, ok := a.cfg.Locales.Lookup(l); ok {
				langs = append(langs, l)
			} else if a.cfg.WardsFile != defaultWardsFile {
				// The shipped file is an example: a deployment with fewer
				// languages drops what it lacks. A ward IT file must be right.
				return &kiosk.Error{File: a.cfg.WardsFile, Line: w.Line, Msg: fmt.Sprintf("ward %s: language %q has no locales/active.%s.toml", w.ID, l, l)}
			}
		}
		w.Languages = langs
		a.chats.wardTTL[w.ID] = w.Idle + time.Minute // the idle time, the 30 s countdown and some slack
		a.wards[w.ID] = &wardRoute{w, strings.NewReplacer(wardMarker, w.ID, idleMarker, strconv.Itoa(int(w.Idle/time.Second)))}
	}
	return nil
}

const defaultWardsFile = "kiosk/wards.yaml"

// kioskBase is the path prefix of kiosk pages for ward (or the marker).
func kioskBase(ward string) string { return "/kiosk/" + ward }

// kioskify turns a view into its kiosk version for ward: links under the
// prefix, no alternates (they name other addresses), the ward's settings.
func (a *App) kioskify(v *view, ward, idle string) {
	base := kioskBase(ward)
	v.Base = base
	v.HomeHref = base + v.HomeHref
	if v.VariantHref != "" {
		v.VariantHref = base + v.VariantHref
	}
	v.Alternates = nil
	v.Kiosk = &kioskView{Ward: ward, Idle: idle}
	v.Contact = a.contactFor(v.Lang.Tag) // shown as text: a kiosk cannot dial
	if id, ok := a.cfg.Speech.Public(v.Lang.Tag, v.T.T("ui.kiosk.still_there")+"\n"+v.T.T("ui.kiosk.still_there_body")); ok {
		v.Kiosk.StillThere = "/speech/" + id
	}
}

var (
	blockEnd = regexp.MustCompile(`(?i)</(p|h[1-6]|li|dt|dd|tr|summary)>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
	spaces   = regexp.MustCompile(`[ \t\r\f\v]+`)
)

// plainText reads HTML as lines of text for speech: each block its own
// line, so the voice pauses between a heading and what follows.
func plainText(h string) string {
	h = blockEnd.ReplaceAllString(h, "\n")
	h = html.UnescapeString(anyTag.ReplaceAllString(h, " "))
	var out []string
	for _, line := range strings.Split(h, "\n") {
		if line = strings.TrimSpace(spaces.ReplaceAllString(line, " ")); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// speechFor issues the audio of what a view shows. Pages are public and
// cached; a chat page may echo what the person typed, so its audio is
// private: a random id, never cached.
func (a *App) speechFor(v *view) {
	if v.Speech != nil || a.cfg.Speech == nil {
		return
	}
	lang := v.Lang.Tag
	var parts []string
	switch {
	case v.Chat != nil:
		for _, f := range v.Chat.Frames {
			parts = append(parts, f.Text)
		}
		for _, c := range v.Chat.Choices {
			parts = append(parts, c.Text)
		}
	case v.Page != nil:
		if v.Fallback {
			lang = locale.Source // the page is shown in English, so it is read in English
		}
		parts = []string{v.Page.Title, v.Page.Summary, plainText(string(v.Page.HTML))}
	default:
		parts = append([]string{v.Title, v.Description}, v.Paragraphs...)
		for _, p := range v.Pages {
			parts = append(parts, p.Page.Title)
		}
	}
	s := &speechView{}
	var urls []string
	for _, chunk := range chunks(strings.Join(parts, "\n"), 600) {
		var ok bool
		var id string
		if v.Chat != nil {
			id, ok = a.cfg.Speech.Private(lang, chunk, time.Now())
		} else {
			id, ok = a.cfg.Speech.Public(lang, chunk)
		}
		if ok {
			urls = append(urls, "/speech/"+id)
		}
	}
	s.URL = strings.Join(urls, " ")
	if s.URL == "" && !a.cfg.Speech.HasVoice(lang) {
		s.NoVoice = true
		s.Note = a.cfg.Locales.Translator(locale.Source).T("ui.speech.no_voice")
		if nid, ok := a.cfg.Speech.Public(locale.Source, s.Note); ok {
			s.NoteURL = "/speech/" + nid
		}
	}
	v.Speech = s
}

// chunks splits text at line ends into pieces of about max bytes, so the
// first audio starts quickly and Repeat goes back to the start.
func chunks(text string, max int) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if cur.Len() > 0 && cur.Len()+len(line) > max {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// contactFor fills the provider's phone, text, relay and BSL relay links.
func (a *App) contactFor(lang string) *contactView {
	p := a.cfg.Content.Provider()
	c := &contactView{Name: p.Get(lang, "name"), Phone: p.Get(lang, "phone"), PhoneTel: p.Get(lang, "phone_tel"),
		Text: p.Get(lang, "text"), TextTel: p.Get(lang, "text_tel"), Relay: p.Get(lang, "textrelay"), BSL: p.Get(lang, "bsl_relay")}
	c.RelayTel = digitsOnly(c.Relay)
	if c.BSL != "" && !strings.HasPrefix(c.BSL, "https://") {
		c.BSL = "https://" + c.BSL
	}
	return c
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// prerenderKiosk renders every page in kiosk mode, with markers for the
// ward, keyed by the path after the ward ("/en/", "/en/easy-read/x").
func (a *App) prerenderKiosk() error {
	a.kioskPages = map[string][]byte{}
	for _, l := range a.cfg.Locales.Languages() {
		t := a.cfg.Locales.Translator(l.Tag)
		for _, variant := range library.Variants {
			prefix := variantPrefix(l.Tag, variant)
			home := a.baseView(t, variant, "")
			home.Title, home.Description = t.T("ui.home.title"), t.T("ui.home.intro")
			for _, id := range a.cfg.Content.IDs() {
				if p, fallback, ok := a.cfg.Content.Page(id, l.Tag, variant); ok {
					home.Pages = append(home.Pages, pageLink{p, kioskBase(wardMarker) + prefix + id, fallback})
				}
			}
			a.kioskify(home, wardMarker, idleMarker)
			views := map[string]*view{prefix: home}
			for _, pl := range home.Pages {
				v := a.baseView(t, variant, pl.Page.ID)
				v.Title, v.Description = pl.Page.Title, pl.Page.Summary
				v.Page, v.Fallback = pl.Page, pl.Fallback
				v.Draft = v.Draft || pl.Page.Draft()
				v.BSL = a.bslFor(t, pl.Page)
				a.kioskify(v, wardMarker, idleMarker)
				views[prefix+pl.Page.ID] = v
			}
			if variant == library.Standard {
				// What the service worker shows when the network is down.
				for name, key := range map[string]string{"offline": "ui.offline.page", "not-sent": "ui.offline.not_sent"} {
					v := a.baseView(t, variant, name)
					v.VariantHref = ""
					v.Title, v.Paragraphs = t.T("ui.error.title"), []string{t.T(key)}
					a.kioskify(v, wardMarker, idleMarker)
					v.BackHref, v.BackText = v.HomeHref, t.T("ui.error.go_home")
					views["/"+l.Tag+"/"+name] = v
				}
			}
			for path, v := range views {
				a.speechFor(v)
				name := "message"
				if v.Page != nil {
					name = "page"
				} else if v.Paragraphs == nil {
					name = "home"
				}
				b, err := a.tmpl.render(name, v)
				if err != nil {
					return fmt.Errorf("kiosk %s: %w", path, err)
				}
				a.kioskPages[path] = b
			}
		}
	}
	return nil
}

// chatWard is the ward of a kiosk chat route, or "" on the site's own.
func (a *App) chatWard(c *fiber.Ctx) (string, error) {
	if c.Params("ward") == "" {
		return "", nil
	}
	w, err := a.ward(c)
	if err != nil {
		return "", err
	}
	return w.ID, nil
}

func (a *App) ward(c *fiber.Ctx) (*wardRoute, error) {
	w, ok := a.wards[c.Params("ward")]
	if !ok {
		return nil, fiber.ErrNotFound
	}
	return w, nil
}

// kioskIndex lists the wards, for whoever sets a kiosk up.
func (a *App) kioskIndex(c *fiber.Ctx) error {
	t := a.cfg.Locales.Translator(locale.Source)
	v := a.baseView(t, library.Standard, "")
	v.Title, v.VariantHref, v.Alternates = t.T("ui.kiosk.title"), "", nil
	for _, id := range a.cfg.Wards {
		v.WardLinks = append(v.WardLinks, wardLink{id.Name + ", " + id.Hospital, kioskBase(id.ID)})
	}
	return a.send(c, fiber.StatusOK, "kiosk-index", v)
}

type wardLink struct{ Text, Href string }

// attract is the screen a kiosk shows between people: an invitation to
// touch, in every language in its own script, then the language choice.
func (a *App) attract(c *fiber.Ctx) error {
	w, err := a.ward(c)
	if err != nil {
		return err
	}
	t := a.cfg.Locales.Translator(locale.Source)
	v := a.baseView(t, library.Standard, "")
	a.kioskify(v, w.ID, strconv.Itoa(int(w.Idle/time.Second)))
	v.Title = t.T("ui.kiosk.touch")
	v.Fonts = fontScripts(v.Langs)
	v.Kiosk.Attract = true
	// The ward's languages first, in its order, then the rest.
	var first, rest []locale.Language
	for _, tag := range w.Languages {
		l, _ := a.cfg.Locales.Lookup(tag)
		first = append(first, l)
	}
	for _, l := range v.Langs {
		if !strings.Contains(" "+strings.Join(w.Languages, " ")+" ", " "+l.Tag+" ") {
			rest = append(rest, l)
		}
	}
	for _, l := range append(first, rest...) {
		lt := a.cfg.Locales.Translator(l.Tag)
		v.Invitations = append(v.Invitations, invitation{l, lt.T("ui.kiosk.touch"), kioskBase(w.ID) + "/" + l.Tag + "/"})
	}
	// Each invitation is read in its own language, where there is a voice.
	var urls []string
	for _, in := range v.Invitations {
		if id, ok := a.cfg.Speech.Public(in.Lang.Tag, in.Text); ok {
			urls = append(urls, "/speech/"+id)
		}
	}
	v.Speech = &speechView{URL: strings.Join(urls, " ")}
	return a.send(c, fiber.StatusOK, "attract", v)
}

type invitation struct {
	Lang locale.Language
	Text string
	Href string
}

// kioskPage serves a pre-rendered kiosk page for the ward.
func (a *App) kioskPage(c *fiber.Ctx) error {
	w, err := a.ward(c)
	if err != nil {
		return err
	}
	rest := strings.TrimPrefix(c.Path(), kioskBase(w.ID))
	b, ok := a.kioskPages[rest]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// no-store keeps the page out of the back/forward and HTTP caches, so
	// Back after a reset asks the server again instead of showing it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	_, err = w.fill.WriteString(c.Response().BodyWriter(), string(b))
	return err
}

// kioskReset clears everything the browser holds for this site, then shows
// the attract screen: the next person starts from nothing.
func (a *App) kioskReset(c *fiber.Ctx) error {
	w, err := a.ward(c)
	if err != nil {
		return err
	}
	c.Set("Clear-Site-Data", `"cookies", "storage", "cache"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	return c.Redirect(kioskBase(w.ID), fiber.StatusSeeOther)
}

// serveSpeech answers audio only for ids the server issued.
func (a *App) serveSpeech(c *fiber.Ctx) error {
	id := c.Params("id")
	ctx, cancel := context.WithTimeout(c.UserContext(), 20*time.Second)
	defer cancel()
	b, err := a.cfg.Speech.Audio(ctx, id, time.Now())
	if errors.Is(err, speech.ErrNotFound) {
		return fiber.ErrNotFound
	} else if err != nil {
		a.log.Warn("speech failed", "err", err) // never the text
		return fiber.ErrServiceUnavailable
	}
	c.Set(fiber.HeaderContentType, a.cfg.Speech.ContentType())
	if strings.HasPrefix(id, "p") {
		c.Set(fiber.HeaderCacheControl, "no-store") // may speak what a person typed
	} else {
		c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	}
	return c.Send(b)
}

// serviceWorker serves /kiosk/sw.js, whose scope is then /kiosk/: it keeps
// the kiosk's pages and assets for short network outages.
func (a *App) serviceWorker(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(a.swScript)
}
