package web

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
)

// ActionNote is a staff note on a referral, kept in the audit log.
const ActionNote = "referral.note"

// promiseRE finds the working days in the provider's promise, e.g. "contact you
// within 5 working days".
var promiseRE = regexp.MustCompile(`(\d+)\s+working\s+days?`)

// defaultPromiseDays applies when the provider's promise names no working days.
const defaultPromiseDays = 5

func (a *App) promiseDays() int {
	if m := promiseRE.FindStringSubmatch(a.cfg.Content.Provider().Get("en", "promise")); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return n
		}
	}
	return defaultPromiseDays
}

// promise is a referral measured against the service promise.
type promise struct {
	Days      int       // the promise, in working days
	Due       time.Time // the end of the last working day allowed
	Contacted bool      // first contact has happened
	Taken     int       // working days to first contact (or so far)
	Late      bool
}

// addWorkingDays returns the end (UTC) of the nth working day after t. Weekends
// are skipped; bank holidays are not known to the product.
func addWorkingDays(t time.Time, n int) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return d.Add(24*time.Hour - time.Nanosecond)
}

// workingDaysBetween counts working days after from's date up to and including to's.
func workingDaysBetween(from, to time.Time) int {
	n := 0
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	for d.Before(end) {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

func promiseFor(r referral.Referral, days int, now time.Time) promise {
	p := promise{Days: days, Due: addWorkingDays(r.CreatedAt.UTC(), days), Contacted: !r.FirstContactAt.IsZero()}
	until := now.UTC()
	if p.Contacted {
		until = r.FirstContactAt.UTC()
	}
	p.Taken = workingDaysBetween(r.CreatedAt.UTC(), until)
	// Closed or withdrawn without contact is not late: nobody is waiting.
	p.Late = until.After(p.Due) && (p.Contacted || r.Status.Open())
	return p
}

type referralView struct {
	R         referral.Referral
	Flags     []string
	Due       promise
	Next      []referral.Status // status buttons the lifecycle allows now
	Audit     []referral.AuditEntry
	Advocate  string // the allocated advocate's display name
	Advocates []store.User
	NoteMax   int
	// Eligibility under the deployment's rules: staff may record a referral to
	// check, so the page says what a person must decide.
	Eligibility referral.Eligibility
}

func (a *App) referralByParam(c *fiber.Ctx) (referral.Referral, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return referral.Referral{}, fiber.ErrNotFound
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	r, err := a.cfg.Store.GetReferral(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, fiber.ErrNotFound
	}
	return r, err
}

func (a *App) referralPage(c *fiber.Ctx) error {
	r, err := a.referralByParam(c)
	if err != nil {
		return err
	}
	return a.showReferral(c, fiber.StatusOK, r, nil, "")
}

func (a *App) showReferral(c *fiber.Ctx, code int, r referral.Referral, errs []fieldError, notice string) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	audit, err := a.cfg.Store.ListAudit(ctx, store.AuditQuery{Subject: referral.Subject(r.Reference), Limit: store.MaxLimit})
	if err != nil {
		return err
	}
	users, err := a.cfg.Store.ListUsers(ctx)
	if err != nil {
		return err
	}
	rv := &referralView{R: r, Flags: r.Flags.Names(), Due: promiseFor(r, a.promiseDays(), a.staff.now()), Audit: audit,
		NoteMax: store.NoteMaxLen, Eligibility: referral.CheckEligibility(string(r.LegalStatus), referral.Policy{})}
	for _, s := range referral.Statuses {
		// Allocation has its own form, which says to whom.
		if s != referral.StatusAllocated && referral.CanTransition(r.Status, s) {
			rv.Next = append(rv.Next, s)
		}
	}
	for _, u := range users {
		if u.Role == store.RoleAdvocate || u.Role == store.RoleCoordinator {
			rv.Advocates = append(rv.Advocates, u)
		}
		if u.Actor() == r.AdvocateID {
			rv.Advocate = u.Name
		}
	}
	v := a.staffView(c, a.staffT().T("staff.referral.title", "Reference", r.Reference))
	v.Referral, v.Errors, v.Notice = rv, errs, notice
	return a.staffSend(c, code, "referral", v)
}

// changeResult answers a status change, allocation or note: back to the referral
// page on success (303, so a reload does not post again), or the page with the
// problem explained.
func (a *App) changeResult(c *fiber.Ctx, id int64, err error, field string) error {
	t := a.staffT()
	var ve *store.ValidationError
	var text string
	code := fiber.StatusConflict
	switch {
	case err == nil:
		return c.Redirect("/staff/referrals/"+idString(id), fiber.StatusSeeOther)
	case errors.Is(err, store.ErrConflict):
		text = t.T("staff.referral.conflict")
	case errors.Is(err, referral.ErrTransition):
		text = t.T("staff.referral.not_allowed")
	case errors.As(err, &ve):
		text, code = t.T("staff.field."+ve.Code), fiber.StatusUnprocessableEntity
	case errors.Is(err, store.ErrNotFound):
		return fiber.ErrNotFound
	default:
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	r, gerr := a.cfg.Store.GetReferral(ctx, id)
	if gerr != nil {
		return gerr
	}
	return a.showReferral(c, code, r, []fieldError{{field, text}}, "")
}

func formVersion(c *fiber.Ctx) int64 {
	v, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	return v
}

func (a *App) referralStatus(c *fiber.Ctx) error {
	r, err := a.referralByParam(c)
	if err != nil {
		return err
	}
	to := referral.Status(utils.CopyString(c.FormValue("to")))
	ctx, cancel := storeCtx(c)
	defer cancel()
	_, err = a.cfg.Store.UpdateStatus(ctx, store.StatusChange{ID: r.ID, Version: formVersion(c), To: to,
		Actor: signedIn(c).user.Actor(), Note: strings.TrimSpace(utils.CopyString(c.FormValue("note")))})
	return a.changeResult(c, r.ID, err, "status-note")
}

func (a *App) referralAllocate(c *fiber.Ctx) error {
	r, err := a.referralByParam(c)
	if err != nil {
		return err
	}
	advocate, perr := strconv.ParseInt(c.FormValue("advocate"), 10, 64)
	ctx, cancel := storeCtx(c)
	defer cancel()
	u, gerr := a.cfg.Store.GetUser(ctx, advocate)
	if perr != nil || gerr != nil || !staff.Can(u.Role, staff.PermChangeStatus) {
		return a.changeResult(c, r.ID, &store.ValidationError{Field: "advocate", Code: store.CodeInvalid}, "advocate")
	}
	_, err = a.cfg.Store.Allocate(ctx, store.Allocation{ID: r.ID, Version: formVersion(c), AdvocateID: u.Actor(), Actor: signedIn(c).user.Actor()})
	return a.changeResult(c, r.ID, err, "advocate")
}

func (a *App) referralNote(c *fiber.Ctx) error {
	r, err := a.referralByParam(c)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(utils.CopyString(c.FormValue("note")))
	switch {
	case note == "":
		err = &store.ValidationError{Field: "note", Code: store.CodeRequired}
	case utf8.RuneCountInString(note) > store.NoteMaxLen:
		err = &store.ValidationError{Field: "note", Code: store.CodeTooLong}
	default:
		ctx, cancel := storeCtx(c)
		defer cancel()
		_, err = a.cfg.Store.AppendAudit(ctx, auditEntry(signedIn(c).user.Actor(), ActionNote, referral.Subject(r.Reference), note))
	}
	return a.changeResult(c, r.ID, err, "note")
}
