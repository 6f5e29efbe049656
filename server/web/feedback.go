package web

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/store"
)

const commentMax = 500

// storeTimeout bounds one store call, so a stuck database gives a person a
// clear "try again" rather than a hanging page.
const storeTimeout = 5 * time.Second

var formKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// feedbackForm is what the page feedback form sends.
type feedbackForm struct{ Key, Page, Variant, Helpful, Comment string }

func (a *App) postFeedback(c *fiber.Ctx) error {
	l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
	if !ok {
		return fiber.ErrNotFound
	}
	t := a.cfg.Locales.Translator(l.Tag)
	// Fiber reuses request memory: copy before the values outlive the handler.
	f := feedbackForm{
		Key:     utils.CopyString(c.FormValue("key")),
		Page:    utils.CopyString(c.FormValue("page")),
		Variant: utils.CopyString(c.FormValue("variant")),
		Helpful: utils.CopyString(c.FormValue("helpful")),
		Comment: strings.TrimSpace(utils.CopyString(c.FormValue("comment"))),
	}
	page, fallback, ok := a.cfg.Content.Page(f.Page, l.Tag, f.Variant)
	if !ok || !formKeyPattern.MatchString(f.Key) {
		// Not something our own form sends: nothing to redisplay.
		return fiber.NewError(fiber.StatusBadRequest, "feedback: unknown page or bad key")
	}
	var errs []fieldError
	if f.Helpful != "yes" && f.Helpful != "no" {
		errs = append(errs, fieldError{"helpful", t.T("ui.error.helpful_required")})
	}
	if utf8.RuneCountInString(f.Comment) > commentMax {
		errs = append(errs, fieldError{"comment", t.T("ui.error.comment_too_long", "Max", commentMax)})
	}
	if len(errs) > 0 {
		return a.feedbackAgain(c, fiber.StatusUnprocessableEntity, t, page, fallback, f, errs)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	defer cancel()
	_, _, err := a.cfg.Store.AddFeedback(ctx, store.Feedback{
		Key: f.Key, PageID: page.ID, Lang: l.Tag, Variant: f.Variant, Helpful: f.Helpful == "yes", Comment: f.Comment,
	})
	var ve *store.ValidationError
	switch {
	case err == nil:
		return c.Redirect("/"+l.Tag+"/feedback/thanks?page="+page.ID+"&variant="+f.Variant, fiber.StatusSeeOther)
	case errors.As(err, &ve):
		return a.feedbackAgain(c, fiber.StatusUnprocessableEntity, t, page, fallback, f, []fieldError{{ve.Field, t.T("ui.error.form_invalid")}})
	case errors.Is(err, store.ErrKeyConflict):
		return a.message(c, fiber.StatusConflict, t, t.T("ui.error.title"), []string{t.T("ui.error.key_conflict")})
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		// Keep the person's answers and the same key, so sending again is safe.
		a.log.Warn("feedback not stored: store unavailable", "err", err)
		return a.feedbackAgain(c, fiber.StatusServiceUnavailable, t, page, fallback, f, []fieldError{{"helpful", t.T("ui.error.unavailable")}})
	default:
		return err
	}
}

// feedbackAgain shows the form again with the person's answers and what to fix.
func (a *App) feedbackAgain(c *fiber.Ctx, code int, t *locale.Translator, p *library.Page, fallback bool, f feedbackForm, errs []fieldError) error {
	v := a.baseView(t, f.Variant, p.ID)
	v.Title = t.T("ui.error.summary_title")
	v.Page, v.Fallback, v.Form, v.Errors, v.FormKey = p, fallback, f, errs, f.Key
	v.BackHref, v.BackText = variantPrefix(t.Language().Tag, f.Variant)+p.ID, t.T("ui.feedback.back")
	return a.send(c, code, "message", v)
}

func (a *App) feedbackThanks(c *fiber.Ctx) error {
	l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
	if !ok {
		return fiber.ErrNotFound
	}
	t := a.cfg.Locales.Translator(l.Tag)
	variant := c.Query("variant")
	if variant != library.EasyRead {
		variant = library.Standard
	}
	v := a.baseView(t, variant, "")
	v.Title, v.Paragraphs = t.T("ui.feedback.thanks_title"), []string{t.T("ui.feedback.thanks_body")}
	v.BackHref, v.BackText = v.HomeHref, t.T("ui.error.go_home")
	if p, _, ok := a.cfg.Content.Page(c.Query("page"), l.Tag, variant); ok {
		v.BackHref, v.BackText = variantPrefix(l.Tag, variant)+p.ID, t.T("ui.feedback.back")
	}
	return a.send(c, fiber.StatusOK, "message", v)
}
