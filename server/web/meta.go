package web

import (
	"context"
	"encoding/xml"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Drain makes /readyz answer 503 while the server goes on serving, so a load
// balancer sends new visitors elsewhere before the listener closes: closing
// it resets connections still waiting to be accepted.
func (a *App) Drain() { a.draining.Store(true) }

func (a *App) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// readyz answers 200 only while the store answers, so a load balancer sends
// no one to a server that cannot save what they submit.
func (a *App) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).SendString("shutting down")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := a.cfg.Store.Ping(ctx); err != nil {
		a.log.Warn("not ready: store unreachable", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).SendString("store unavailable")
	}
	return c.SendString("ready")
}

type urlset struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc        string        `xml:"loc"`
	Alternates []sitemapLink `xml:"xhtml:link"`
}

type sitemapLink struct {
	Rel      string `xml:"rel,attr"`
	Hreflang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

// sitemap lists every public page in every language and variant, each with
// its alternates in the other languages.
func (a *App) sitemap(c *fiber.Ctx) error {
	base := a.cfg.PublicURL
	if base == "" {
		base = c.BaseURL()
	}
	groups := map[string][]sitemapLink{}
	for _, p := range a.paths {
		groups[p.group] = append(groups[p.group], sitemapLink{"alternate", p.lang, base + p.path})
	}
	set := urlset{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
	for _, p := range a.paths {
		set.URLs = append(set.URLs, sitemapURL{Loc: base + p.path, Alternates: groups[p.group]})
	}
	b, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	return c.Send(append([]byte(xml.Header), b...))
}
