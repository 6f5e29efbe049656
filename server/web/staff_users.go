package web

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
)

type usersView struct {
	Users    []store.User
	Roles    []string
	Form     store.User
	Password string // a new or reset password, shown once
	For      string // whose password it is, after a reset
}

func (a *App) usersPage(c *fiber.Ctx) error {
	return a.showUsers(c, fiber.StatusOK, store.User{}, "", nil)
}

func (a *App) showUsers(c *fiber.Ctx, code int, form store.User, password string, errs []fieldError) error {
	return a.showUsersFor(c, code, form, password, "", errs)
}

func (a *App) showUsersFor(c *fiber.Ctx, code int, form store.User, password, forName string, errs []fieldError) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	users, err := a.cfg.Store.ListUsers(ctx)
	if err != nil {
		return err
	}
	v := a.staffView(c, a.staffT().T("staff.users.title"))
	v.Users = &usersView{Users: users, Roles: store.Roles, Form: form, Password: password, For: forName}
	v.Errors = errs
	return a.staffSend(c, code, "users", v)
}

// createUser adds an account with a generated first password, shown once to the
// admin, who passes it on; nobody chooses a weak one at a desk.
func (a *App) createUser(c *fiber.Ctx) error {
	v := func(k string) string { return strings.TrimSpace(utils.CopyString(c.FormValue(k))) }
	u := store.User{Email: v("email"), Name: v("name"), Role: v("role"), Ward: v("ward")}
	pw := staff.NewToken()[:20]
	hash, err := staff.HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	ctx, cancel := storeCtx(c)
	defer cancel()
	_, err = a.cfg.Store.CreateUser(ctx, u, signedIn(c).user.Actor())
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return a.showUsers(c, fiber.StatusUnprocessableEntity, u, "", []fieldError{{ve.Field, a.staffT().T("staff.field." + ve.Code)}})
	case errors.Is(err, store.ErrConflict):
		return a.showUsers(c, fiber.StatusConflict, u, "", []fieldError{{"email", a.staffT().T("staff.users.taken")}})
	case err != nil:
		return err
	}
	return a.showUsers(c, fiber.StatusOK, store.User{}, pw, nil)
}

// resetPassword gives a user a new generated password (shown once), lifts any
// lockout and signs them out everywhere: the way back in after a lockout or a lost
// password.
func (a *App) resetPassword(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	u, err := a.cfg.Store.GetUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	pw := staff.NewToken()[:20]
	hash, err := staff.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.SetPassword(ctx, u.ID, hash, signedIn(c).user.Actor()); err != nil {
		return err
	}
	if err := a.cfg.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	return a.showUsersFor(c, fiber.StatusOK, store.User{}, pw, u.Name, nil)
}
