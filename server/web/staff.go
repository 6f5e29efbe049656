package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
)

// The staff workspace (issue 6): advocates, coordinators, ward staff and admins sign
// in under /staff. Everything here is English only (locales/staff/active.en.toml).
const (
	staffCookie      = "imha_staff"       // session token; only its SHA-256 is stored
	staffLoginCookie = "imha_staff_login" // CSRF token of the sign-in form, before any session
	staffIdle        = 30 * time.Minute   // signed out after this long without a request
	staffAbsolute    = 12 * time.Hour     // signed out after a shift, however busy
	staffTouchEvery  = time.Minute        // how stale last_seen may get before it is rewritten
)

// staffState is the workspace's part of the App.
type staffState struct {
	tmpl  map[string]*template.Template
	ips   *staff.IPLimiter
	now   func() time.Time
	queue *queueHub
}

func newStaffState(versions map[string]string, st store.ReferralNotifier) (*staffState, error) {
	funcs := template.FuncMap{
		"asset": func(p string) (string, error) {
			h, ok := versions[p]
			if !ok {
				return "", fmt.Errorf("no static file %q", p)
			}
			return "/static/" + p + "?v=" + h, nil
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2 Jan 2006 15:04")
		},
		"list": func(v ...any) []any { return v },
		"day": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2 Jan 2006")
		},
	}
	layout, err := template.New("staff_layout.html").Funcs(funcs).ParseFS(templateFS, "templates/staff_layout.html")
	if err != nil {
		return nil, err
	}
	// Generous per address, because behind a proxy every client shares one; the
	// per-account lockout is the real limit.
	s := &staffState{tmpl: map[string]*template.Template{}, ips: staff.NewIPLimiter(20, 3*time.Second), now: time.Now,
		queue: newQueueHub(st)}
	for _, name := range []string{"login", "queue", "referral", "refer", "import", "apikeys", "users", "message", "monitoring", "people"} {
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if s.tmpl[name], err = clone.ParseFS(templateFS, "templates/staff_"+name+".html"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// staffView is what every staff template gets.
type staffView struct {
	T      *locale.Translator
	Title  string
	User   *store.User
	CSRF   string
	Errors []fieldError
	Notice string
	Paras  []string

	Login      *loginView
	Queue      *queueView
	Referral   *referralView
	Refer      *referView
	Import     *importView
	Keys       *apiKeysView
	Users      *usersView
	Monitoring *monitoringView
	People     *peopleView
}

// Can reports whether the signed-in user has permission p (for the navigation).
func (v *staffView) Can(p string) bool {
	return v.User != nil && staff.Can(v.User.Role, staff.Permission(p))
}

// ErrorFor returns the error text for one field, if any.
func (v *staffView) ErrorFor(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Text
		}
	}
	return ""
}

type loginView struct{ Email, Token string }

func (a *App) staffT() *locale.Translator { return a.cfg.Locales.Translator(locale.Source) }

func (a *App) staffView(c *fiber.Ctx, title string) *staffView {
	v := &staffView{T: a.staffT(), Title: title}
	if s := signedIn(c); s != nil {
		v.User, v.CSRF = &s.user, s.sess.CSRF
	}
	return v
}

func (a *App) staffSend(c *fiber.Ctx, code int, name string, v *staffView) error {
	var buf bytes.Buffer
	if err := a.staff.tmpl[name].ExecuteTemplate(&buf, "staff_layout", v); err != nil {
		a.log.Error("render failed", "template", "staff_"+name, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("Internal Server Error")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(code).Send(buf.Bytes())
}

// staffMessage is a simple staff page: a heading and paragraphs.
func (a *App) staffMessage(c *fiber.Ctx, code int, title string, paras ...string) error {
	v := a.staffView(c, title)
	v.Paras = paras
	return a.staffSend(c, code, "message", v)
}

// staffError turns errors under /staff into English staff pages.
func (a *App) staffError(c *fiber.Ctx, err error) error {
	t := a.staffT()
	var fe *fiber.Error
	code := fiber.StatusInternalServerError
	if errors.As(err, &fe) {
		code = fe.Code
	}
	switch {
	case code == fiber.StatusNotFound || code == fiber.StatusMethodNotAllowed:
		return a.staffMessage(c, fiber.StatusNotFound, t.T("staff.error.not_found"))
	case code == fiber.StatusForbidden:
		return a.staffMessage(c, code, t.T("staff.error.forbidden_title"), t.T("staff.error.forbidden"))
	case errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || code == fiber.StatusServiceUnavailable:
		return a.staffMessage(c, fiber.StatusServiceUnavailable, t.T("staff.error.title"), t.T("staff.error.unavailable"))
	case code < 500:
		return a.staffMessage(c, code, t.T("staff.error.title"), t.T("staff.error.bad_request"))
	}
	a.log.Error("staff request failed", "method", c.Method(), "path", c.Path(), "err", err)
	return a.staffMessage(c, code, t.T("staff.error.title"), t.T("staff.error.server"))
}

// staffSession is a signed-in request's user and session.
type staffSession struct {
	user store.User
	sess store.Session
}

func signedIn(c *fiber.Ctx) *staffSession {
	s, _ := c.Locals("staff").(*staffSession)
	return s
}

// secureCookies says whether cookies need HTTPS: yes behind TLS or when the public
// address is https, so http://localhost development still works.
func (a *App) secureCookies(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || strings.HasPrefix(a.cfg.PublicURL, "https://")
}

func (a *App) setStaffCookie(c *fiber.Ctx, name, value string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/staff", MaxAge: maxAge, HTTPOnly: true,
		Secure: a.secureCookies(c), SameSite: fiber.CookieSameSiteStrictMode})
}

func storeCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), storeTimeout)
}

// loadSession finds the signed-in user, if any. An idle or expired session is
// deleted, so its cookie is worthless from then on.
func (a *App) loadSession(c *fiber.Ctx) error {
	tok := c.Cookies(staffCookie)
	if tok == "" {
		return c.Next()
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	now := a.staff.now().UTC()
	h := staff.HashToken(tok)
	sess, err := a.cfg.Store.GetSession(ctx, h, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return c.Next()
	case err != nil:
		return err
	case now.Sub(sess.LastSeen) > staffIdle:
		if err := a.cfg.Store.DeleteSession(ctx, h); err != nil {
			return err
		}
		return c.Next()
	}
	u, err := a.cfg.Store.GetUser(ctx, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return c.Next()
	}
	if err != nil {
		return err
	}
	// The live queue's own requests are not a person at work: counting them would
	// keep an unattended screen signed in until the absolute expiry.
	background := c.Path() == "/staff/queue/events" || c.Path() == "/staff/queue/fragment"
	if !background && now.Sub(sess.LastSeen) > staffTouchEvery {
		if err := a.cfg.Store.TouchSession(ctx, h, now); err != nil {
			return err
		}
	}
	c.Locals("staff", &staffSession{user: u, sess: sess})
	return c.Next()
}

// checkCSRF refuses a signed-in POST whose form does not carry the session's token.
// The origin check has run already; this is the second lock.
func checkCSRF(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost {
		return c.Next()
	}
	s := signedIn(c)
	if s == nil || !staff.SameToken(c.FormValue("csrf"), s.sess.CSRF) {
		return fiber.ErrForbidden
	}
	return c.Next()
}

// need lets a request through only for a signed-in user with permission p; others
// are sent to sign in (303) or refused (403).
func need(p staff.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := signedIn(c)
		if s == nil {
			if c.Method() == fiber.MethodGet {
				return c.Redirect("/staff/login", fiber.StatusSeeOther)
			}
			return fiber.ErrForbidden
		}
		if !staff.Can(s.user.Role, p) {
			return fiber.ErrForbidden
		}
		return c.Next()
	}
}

func (a *App) staffRoutes() {
	g := a.Group("/staff", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if err := c.Next(); err != nil {
			return a.staffError(c, err)
		}
		return nil
	})
	// The API authenticates by bearer key, not by cookie, so it comes before the
	// session and CSRF layers.
	g.Post("/api/referrals", a.apiAddReferral)
	g.Get("", func(c *fiber.Ctx) error { return c.Redirect("/staff/", fiber.StatusSeeOther) })
	g.Use(a.loadSession)
	g.Get("/login", a.loginForm)
	g.Post("/login", a.login)
	g.Use(checkCSRF)
	g.Post("/logout", a.logout)
	g.Get("/", a.staffHome)
	g.Get("/queue", need(staff.PermViewQueue), a.queuePage)
	g.Get("/queue/fragment", need(staff.PermViewQueue), a.queueFragment)
	g.Get("/queue/events", need(staff.PermViewQueue), a.queueEvents)
	g.Get("/referrals/:id<int>", need(staff.PermViewQueue), a.referralPage)
	g.Post("/referrals/:id<int>/status", need(staff.PermChangeStatus), a.referralStatus)
	g.Post("/referrals/:id<int>/allocate", need(staff.PermAllocate), a.referralAllocate)
	g.Post("/referrals/:id<int>/note", need(staff.PermChangeStatus), a.referralNote)
	g.Get("/refer", need(staff.PermReferOnBehalf), a.referForm)
	g.Post("/refer", need(staff.PermReferOnBehalf), a.refer)
	g.Get("/import", need(staff.PermImport), a.importForm)
	g.Post("/import", need(staff.PermImport), a.importCSV)
	g.Get("/apikeys", need(staff.PermManageAPIKeys), a.apiKeysPage)
	g.Post("/apikeys", need(staff.PermManageAPIKeys), a.createAPIKey)
	g.Post("/apikeys/:id<int>/revoke", need(staff.PermManageAPIKeys), a.revokeAPIKey)
	g.Get("/users", need(staff.PermManageUsers), a.usersPage)
	g.Post("/users", need(staff.PermManageUsers), a.createUser)
	g.Post("/users/:id<int>/password", need(staff.PermManageUsers), a.resetPassword)
	g.Get("/monitoring", need(staff.PermViewMonitoring), a.monitoringPage)
	g.Get("/export", need(staff.PermExportRecords), a.exportRecords)
	g.Get("/people", need(staff.PermPersonRecords), a.peoplePage)
	g.Post("/people/download", need(staff.PermPersonRecords), a.personDownload)
	g.Post("/people/erase", need(staff.PermPersonRecords), a.personErase)
	g.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// staffHome sends each role to where its work is.
func (a *App) staffHome(c *fiber.Ctx) error {
	s := signedIn(c)
	switch {
	case s == nil:
		return c.Redirect("/staff/login", fiber.StatusSeeOther)
	case staff.Can(s.user.Role, staff.PermViewQueue):
		return c.Redirect("/staff/queue", fiber.StatusSeeOther)
	default:
		return c.Redirect("/staff/refer", fiber.StatusSeeOther)
	}
}

func (a *App) loginForm(c *fiber.Ctx) error {
	if signedIn(c) != nil {
		return c.Redirect("/staff/", fiber.StatusSeeOther)
	}
	return a.loginAgain(c, fiber.StatusOK, "", nil)
}

// loginAgain shows the sign-in form with a fresh form token.
func (a *App) loginAgain(c *fiber.Ctx, code int, email string, errs []fieldError) error {
	tok := staff.NewToken()
	a.setStaffCookie(c, staffLoginCookie, tok, 3600)
	v := a.staffView(c, a.staffT().T("staff.login.title"))
	v.User, v.CSRF = nil, ""
	v.Login, v.Errors = &loginView{Email: email, Token: tok}, errs
	return a.staffSend(c, code, "login", v)
}

func (a *App) login(c *fiber.Ctx) error {
	t := a.staffT()
	if !staff.SameToken(c.FormValue("csrf"), c.Cookies(staffLoginCookie)) {
		return fiber.ErrForbidden
	}
	email := store.NormalizeEmail(utils.CopyString(c.FormValue("email")))
	pw := utils.CopyString(c.FormValue("password"))
	if !a.staff.ips.Allow(c.IP()) {
		return a.loginAgain(c, fiber.StatusTooManyRequests, email, []fieldError{{"email", t.T("staff.login.slow_down")}})
	}
	if email == "" || pw == "" {
		return a.loginAgain(c, fiber.StatusUnprocessableEntity, email, []fieldError{{"email", t.T("staff.login.required")}})
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	now := a.staff.now().UTC()
	u, err := a.cfg.Store.GetUserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		staff.BurnTime(pw) // as slow as a real check, so timing does not reveal accounts
		return a.loginAgain(c, fiber.StatusUnauthorized, email, []fieldError{{"email", t.T("staff.login.wrong")}})
	}
	if err != nil {
		return err
	}
	// A locked account gets the same answer whatever the password, so guessing on
	// during the lockout learns nothing.
	if u.Locked(now) {
		staff.BurnTime(pw)
		return a.loginAgain(c, fiber.StatusUnauthorized, email, []fieldError{{"email", t.T("staff.login.locked")}})
	}
	if !staff.VerifyPassword(u.PasswordHash, pw) {
		locked, err := a.cfg.Store.RecordLoginFailure(ctx, u.ID, now, staff.MaxFailures, staff.LockoutFor)
		if err != nil {
			return err
		}
		msg := t.T("staff.login.wrong")
		if locked {
			msg = t.T("staff.login.locked")
		}
		return a.loginAgain(c, fiber.StatusUnauthorized, email, []fieldError{{"email", msg}})
	}
	if err := a.cfg.Store.ClearLoginFailures(ctx, u.ID); err != nil {
		return err
	}
	// Sign-ins are rare enough to carry the clean-up of expired sessions.
	if _, err := a.cfg.Store.PurgeStaffSessions(ctx, now); err != nil {
		a.log.Warn("expired staff sessions not purged", "err", err)
	}
	// A new token at every sign-in, and the old session (if any) ended: a token
	// planted before sign-in is never promoted (session fixation).
	if old := c.Cookies(staffCookie); old != "" {
		if err := a.cfg.Store.DeleteSession(ctx, staff.HashToken(old)); err != nil {
			return err
		}
	}
	tok := staff.NewToken()
	if err := a.cfg.Store.CreateSession(ctx, store.Session{TokenHash: staff.HashToken(tok), UserID: u.ID, CSRF: staff.NewToken(),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(staffAbsolute)}); err != nil {
		return err
	}
	if _, err := a.cfg.Store.AppendAudit(ctx, auditEntry(u.Actor(), store.ActionLogin, "user:"+idString(u.ID), "")); err != nil {
		return err
	}
	a.setStaffCookie(c, staffCookie, tok, int(staffAbsolute.Seconds()))
	a.setStaffCookie(c, staffLoginCookie, "", -1)
	return c.Redirect("/staff/", fiber.StatusSeeOther)
}

func (a *App) logout(c *fiber.Ctx) error {
	s := signedIn(c)
	if s == nil {
		return c.Redirect("/staff/login", fiber.StatusSeeOther)
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	if err := a.cfg.Store.DeleteSession(ctx, s.sess.TokenHash); err != nil {
		return err
	}
	if _, err := a.cfg.Store.AppendAudit(ctx, auditEntry(s.user.Actor(), store.ActionLogout, "user:"+idString(s.user.ID), "")); err != nil {
		return err
	}
	a.setStaffCookie(c, staffCookie, "", -1)
	return c.Redirect("/staff/login", fiber.StatusSeeOther)
}
