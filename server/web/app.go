// Package web is the Fiber application: routes, middleware, templates and
// handlers. Content pages are rendered once at start-up and served from memory.
package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/imha-advocacy/imha/kiosk"
	"github.com/imha-advocacy/imha/server/bsl"
	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/speech"
	"github.com/imha-advocacy/imha/server/store"
)

// Limits every request is held to.
const (
	BodyLimit    = 64 << 10
	ReadTimeout  = 15 * time.Second
	WriteTimeout = 15 * time.Second
	IdleTimeout  = 60 * time.Second
)

// Config is what the application is built from.
type Config struct {
	Content *library.Catalogue
	Locales *locale.Catalog
	Chat    *chat.Engine
	Store   store.Store
	Static  fs.FS
	// PublicURL, when set, is the base of absolute URLs (sitemap); otherwise
	// the request's own scheme and host are used.
	PublicURL string
	// Origins lists extra origins (scheme://host[:port]) allowed to post forms
	// and open websockets; the server's own origin is always allowed.
	Origins []string
	Logger  *slog.Logger
	// BSL lists the sign language videos and Media holds their files
	// (MEDIA_DIR); nil means no videos.
	BSL   *bsl.Library
	Media fs.FS
	// Wards are the ward kiosks (kiosk/wards.yaml, or KIOSK_CONFIG, named
	// by WardsFile in errors); nil means the shipped file.
	Wards     []kiosk.Ward
	WardsFile string
	// Speech reads pages aloud; nil means espeak-ng found in PATH.
	Speech *speech.Engine
}

// App is the built application.
type App struct {
	*fiber.App
	cfg      Config
	tmpl     templates
	pages    map[string]prerendered // by URL path
	paths    []sitePath             // every public page, for the sitemap
	chats    *conversations
	staff    *staffState
	draining atomic.Bool // set on SIGTERM: see Drain
	log      *slog.Logger

	wards      map[string]*wardRoute // kiosk.go
	kioskPages map[string][]byte     // by path after /kiosk/{ward}
	swScript   []byte
}

// New builds the application and pre-renders every page in every language.
func New(cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BSL == nil {
		cfg.BSL = bsl.Empty()
	}
	if cfg.Wards == nil {
		w, err := kiosk.Load(defaultWardsFile, kiosk.Default)
		if err != nil {
			return nil, err
		}
		cfg.Wards, cfg.WardsFile = w, defaultWardsFile
	}
	if cfg.Speech == nil {
		cfg.Speech = speech.New(speech.Options{})
	}
	if cfg.PublicURL == "" {
		// Pages are rendered before any request names a host.
		cfg.Logger.Warn("PUBLIC_URL is not set: printed pages show their path without the site's address")
	}
	versions, err := assetVersions(cfg.Static)
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	tmpl, err := parseTemplates(versions)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, tmpl: tmpl, log: cfg.Logger}
	if a.staff, err = newStaffState(versions, cfg.Store); err != nil {
		return nil, err
	}
	a.chats = &conversations{engine: cfg.Chat, locales: cfg.Locales, store: cfg.Store, now: time.Now, provider: cfg.Content.Provider()}
	a.App = fiber.New(fiber.Config{
		AppName:               "imha",
		StrictRouting:         true, // "/en" and "/en/" are different routes: the first redirects
		BodyLimit:             BodyLimit,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		IdleTimeout:           IdleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          a.handleError,
	})
	if err := a.setupWards(); err != nil {
		return nil, err
	}
	if a.swScript, err = fs.ReadFile(cfg.Static, "js/sw.js"); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	if err := a.prerender(); err != nil {
		return nil, err
	}
	if err := a.prerenderKiosk(); err != nil {
		return nil, err
	}
	a.routes()
	return a, nil
}

func (a *App) routes() {
	a.Use(recover.New())
	a.Use(securityHeaders)
	a.Use(a.checkOrigin)
	a.Use(requestLog(a.log))

	a.Get("/healthz", a.healthz)
	a.Get("/readyz", a.readyz)
	a.Get("/sitemap.xml", a.sitemap)
	a.Get("/qr", a.qrCode)
	a.Use("/static", filesystem.New(filesystem.Config{
		Root:   http.FS(a.cfg.Static),
		MaxAge: 365 * 24 * 3600, // URLs carry a content hash (see asset)
	}))
	a.Get("/media/*", a.serveMedia)
	a.staffRoutes()
	a.Get("/", a.root)
	// Kiosks and speech (kiosk.go).
	a.Get("/speech/:id", a.serveSpeech)
	a.Get("/kiosk", a.kioskIndex)
	a.Get("/kiosk/sw.js", a.serviceWorker)
	a.Get("/kiosk/:ward", a.attract)
	a.Get("/kiosk/:ward/reset", a.kioskReset)
	a.Get("/kiosk/:ward/:lang/chat", a.chatPage)
	a.Post("/kiosk/:ward/:lang/chat", a.chatForm)
	a.Get("/kiosk/:ward/:lang/chat/ws", a.chatSocketRoute()...)
	a.Get("/kiosk/:ward/*", a.kioskPage)
	a.Post("/:lang/feedback", a.postFeedback)
	a.Get("/:lang/chat", a.chatPage)
	a.Post("/:lang/chat", a.chatForm)
	a.Get("/:lang/chat/ws", a.chatSocketRoute()...)
	a.Post("/chat/end", a.endChat)
	a.Get("/:lang/feedback/thanks", a.feedbackThanks)
	a.Get("/:lang/print", a.printForm)
	a.Get("/:lang/print/pack", a.printPack)
	a.Get("/:lang/poster", a.poster)
	a.Get("/:lang", func(c *fiber.Ctx) error { return c.Redirect("/"+c.Params("lang")+"/", fiber.StatusMovedPermanently) })
	a.Get("/*", a.servePage)
}

// servePage answers every pre-rendered page with one map look-up.
func (a *App) servePage(c *fiber.Ctx) error {
	p, ok := a.pages[c.Path()]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// Pages carry a per-view form key, so no cache may keep or share them.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Response().AppendBody(p.head)
	if p.tail != nil {
		c.Response().AppendBodyString(newFormKey())
		c.Response().AppendBody(p.tail)
	}
	if lang := langOf(c.Path()); lang != "" && c.Cookies(langCookie) != lang {
		setLangCookie(c, lang)
	}
	return nil
}

const langCookie = "lang"

// setLangCookie remembers the reader's language for "/" only for this
// browser session: a kiosk reset or closing the browser forgets it.
func setLangCookie(c *fiber.Ctx, lang string) {
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: lang, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func langOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return ""
	}
	lang, _, _ := strings.Cut(rest, "/")
	return lang
}

// root sends a visitor to their language: cookie > Accept-Language > English.
func (a *App) root(c *fiber.Ctx) error {
	l := a.cfg.Locales.Negotiate(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	c.Set(fiber.HeaderVary, "Accept-Language, Cookie")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/"+l.Tag+"/", fiber.StatusFound)
}

// translator picks the language for a dynamic response from the URL, or
// negotiates one when the URL has none we offer.
func (a *App) translator(c *fiber.Ctx) *locale.Translator {
	if l, ok := a.cfg.Locales.Lookup(langOf(c.Path())); ok {
		return a.cfg.Locales.Translator(l.Tag)
	}
	return a.cfg.Locales.Translator(a.cfg.Locales.Negotiate(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage)).Tag)
}

// handleError turns every error into a page in the reader's language that
// says what to do next. Details go to the log, never to the page.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	t := a.translator(c)
	title, body := t.T("ui.error.title"), t.T("ui.error.server")
	switch code {
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		code = fiber.StatusNotFound
		title, body = t.T("ui.error.not_found_title"), t.T("ui.error.not_found_body")
	case fiber.StatusRequestEntityTooLarge:
		body = t.T("ui.error.too_large")
	case fiber.StatusForbidden:
		body = t.T("ui.error.forbidden")
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		body = t.T("ui.error.form_invalid")
	case fiber.StatusServiceUnavailable:
		body = t.T("ui.error.unavailable")
	default:
		if code >= 500 {
			a.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
	}
	return a.message(c, code, t, title, []string{body})
}

// message renders a simple page with a heading, paragraphs and a way home.
func (a *App) message(c *fiber.Ctx, code int, t *locale.Translator, title string, paras []string) error {
	v := a.baseView(t, library.Standard, "")
	v.Title, v.Paragraphs = title, paras
	v.BackHref, v.BackText = v.HomeHref, t.T("ui.error.go_home")
	return a.send(c, code, "message", v)
}

func (a *App) send(c *fiber.Ctx, code int, name string, v *view) error {
	a.speechFor(v)
	if v.Contact == nil {
		v.Contact = a.contactFor(v.Lang.Tag)
	}
	b, err := a.tmpl.render(name, v)
	if err != nil {
		a.log.Error("render failed", "template", name, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("Internal Server Error")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(code).Send(b)
}

// requestLog records method, route path, status and duration: never query
// strings, bodies, cookies or addresses, so no patient data reaches the log.
func requestLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if c.Response().StatusCode() >= 400 || err != nil {
			log.Info("request", "method", c.Method(), "path", c.Path(), "status", c.Response().StatusCode(), "ms", time.Since(start).Milliseconds())
		}
		return err
	}
}

// chatProvider is the provider's details in lang, under the names chat
// messages use.
func chatProvider(p library.Provider, lang string) map[string]string {
	in := p.In(lang)
	return map[string]string{
		"ProviderName": in["name"], "ProviderPhone": in["phone"], "ProviderHours": in["hours"],
		"ProviderPromise": in["promise"], "ProviderTextRelay": in["textrelay"],
	}
}
