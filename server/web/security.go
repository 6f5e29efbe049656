package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// contentSecurityPolicy allows only this origin's files: no inline script or
// style, no frames, forms posting only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

func securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	return c.Next()
}

// checkOrigin refuses state-changing requests and websocket upgrades that a
// browser sent from another site. Requests without Origin (non-browser
// clients, old browsers) fall back to Sec-Fetch-Site.
//
// Our pages set Referrer-Policy: no-referrer, under which browsers send
// "Origin: null" even on a same-origin form post (Fetch: a request whose
// referrer policy is no-referrer serializes its origin as null). Sandboxed
// frames and data: URLs send null too, so null is accepted only with
// Sec-Fetch-Site: same-origin, which referrer policy does not touch.
func (a *App) checkOrigin(c *fiber.Ctx) error {
	upgrade := strings.EqualFold(c.Get(fiber.HeaderUpgrade), "websocket")
	if c.Method() == fiber.MethodGet && !upgrade || c.Method() == fiber.MethodHead || c.Method() == fiber.MethodOptions {
		return c.Next()
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "null" {
		if c.Get("Sec-Fetch-Site") != "same-origin" {
			return fiber.ErrForbidden
		}
		return c.Next()
	}
	if origin == "" {
		if upgrade || c.Get("Sec-Fetch-Site") == "cross-site" {
			return fiber.ErrForbidden
		}
		return c.Next()
	}
	if !a.OriginAllowed(origin, c.Hostname()) {
		return fiber.ErrForbidden
	}
	return c.Next()
}

// OriginAllowed reports whether origin is this server's own (same host) or
// one configured in Origins. The websocket chat uses it too.
func (a *App) OriginAllowed(origin, host string) bool {
	for _, o := range a.cfg.Origins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
