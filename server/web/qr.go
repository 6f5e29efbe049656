package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/imha-advocacy/imha/server/qr"
)

// baseURL is where absolute links point: PUBLIC_URL, else this request's
// own scheme and host.
func (a *App) baseURL(c *fiber.Ctx) string {
	if a.cfg.PublicURL != "" {
		return a.cfg.PublicURL
	}
	return c.BaseURL()
}

// qrCode answers /qr?path=/en/easy-read/saying-no with an SVG QR code of
// that page's full address. Only real public pages get a code, so the
// server is no open QR generator that could put this service's name on
// someone else's link.
func (a *App) qrCode(c *fiber.Ctx) error {
	path := c.Query("path")
	if _, ok := a.pages[path]; !ok {
		return fiber.ErrNotFound
	}
	svg, err := qr.SVG(a.baseURL(c) + path)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(svg)
}
