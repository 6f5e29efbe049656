package web

import (
	"errors"
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
	Password string // a new user's first password, shown once
}

func (a *App) usersPage(c *fiber.Ctx) error {
	return a.showUsers(c, fiber.StatusOK, store.User{}, "", nil)
}

func (a *App) showUsers(c *fiber.Ctx, code int, form store.User, password string, errs []fieldError) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	users, err := a.cfg.Store.ListUsers(ctx)
	if err != nil {
		return err
	}
	v := a.staffView(c, a.staffT().T("staff.users.title"))
	v.Users = &usersView{Users: users, Roles: store.Roles, Form: form, Password: password}
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
