package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/monitoring"
	"github.com/imha-advocacy/imha/server/records"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// Audit actions for records leaving the service. Their entries hold ranges, counts
// and references only, never what was in the records.
const (
	ActionRecordsExported = "records.exported"
	ActionPersonExported  = "records.person_exported"
)

// defaultMonths is the monitoring period when none is given: a commissioning quarter.
const defaultMonths = 3

// dateRange is a period as staff type it: whole days, both ends included.
type dateRange struct {
	From, To string // YYYY-MM-DD, as entered or defaulted
}

// parseRange reads from and to (YYYY-MM-DD, inclusive) and returns the half-open
// range [from, to+1 day) the libraries take. Days are UTC days, like the records'
// own timestamps. Missing dates default to the last three months up to today.
func (a *App) parseRange(c *fiber.Ctx) (from, until time.Time, dr dateRange, errs []fieldError) {
	t := a.staffT()
	today := a.staff.now().UTC().Truncate(24 * time.Hour)
	dr = dateRange{From: strings.TrimSpace(c.Query("from")), To: strings.TrimSpace(c.Query("to"))}
	day := func(field, s string, def time.Time) time.Time {
		if s == "" {
			return def
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			errs = append(errs, fieldError{field, t.T("staff.field.date")})
			return def
		}
		return d
	}
	to := day("to", dr.To, today)
	f := day("from", dr.From, to.AddDate(0, -defaultMonths, 0))
	if len(errs) == 0 && f.After(to) {
		errs = append(errs, fieldError{"from", t.T("staff.records.range_order")})
	}
	dr = dateRange{From: f.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	return f, to.AddDate(0, 0, 1), dr, errs
}

type monitoringView struct {
	Range  dateRange
	Report template.HTML // monitoring.RenderHTML escapes its own text
}

func (a *App) monitoringPage(c *fiber.Ctx) error {
	from, until, dr, errs := a.parseRange(c)
	mv := &monitoringView{Range: dr}
	code := fiber.StatusOK
	if errs != nil {
		code = fiber.StatusUnprocessableEntity
	} else {
		ctx, cancel := context.WithTimeout(c.UserContext(), 4*storeTimeout)
		defer cancel()
		now := a.staff.now().UTC()
		rep, err := monitoring.Build(ctx, a.cfg.Store, from, until, now, monitoring.Config{PromiseWorkingDays: a.promiseDays()})
		if err != nil {
			return err
		}
		if mv.Report, err = monitoring.RenderHTML(rep); err != nil {
			return err
		}
	}
	v := a.staffView(c, a.staffT().T("staff.monitoring.title"))
	v.Monitoring, v.Errors = mv, errs
	return a.staffSend(c, code, "monitoring", v)
}

// countingSource counts the referrals an export reads, for its audit entry.
type countingSource struct {
	records.Source
	n int
}

func (s *countingSource) ListReferrals(ctx context.Context, q store.RangeQuery) ([]referral.Referral, error) {
	page, err := s.Source.ListReferrals(ctx, q)
	s.n += len(page)
	return page, err
}

// exportRecords sends the standard records of a period as a download. It is
// written to memory first so that a failure half way gives an error page, not a
// truncated file that looks complete, and only a finished export is audited.
func (a *App) exportRecords(c *fiber.Ctx) error {
	from, until, dr, errs := a.parseRange(c)
	format := c.Query("format")
	if errs != nil || (format != "json" && format != "csv") {
		return fiber.ErrBadRequest
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 4*storeTimeout)
	defer cancel()
	src := &countingSource{Source: a.cfg.Store}
	var buf bytes.Buffer
	var err error
	mime := fiber.MIMEApplicationJSONCharsetUTF8
	if format == "csv" {
		mime = "text/csv; charset=utf-8"
		err = records.WriteCSV(ctx, &buf, src, from, until)
	} else {
		err = records.WriteJSON(ctx, &buf, src, from, until, a.staff.now().UTC())
	}
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("format=%s from=%s to=%s referrals=%d", format, dr.From, dr.To, src.n)
	if _, err := a.cfg.Store.AppendAudit(ctx, auditEntry(signedIn(c).user.Actor(), ActionRecordsExported,
		"records:"+dr.From+".."+dr.To, detail)); err != nil {
		return err
	}
	return sendAttachment(c, mime, fmt.Sprintf("imha-records-%s-to-%s.%s", dr.From, dr.To, format), buf.Bytes())
}

// sendAttachment sends a download; the name is built from dates and references
// only, so it needs no escaping.
func sendAttachment(c *fiber.Ctx, mime, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, mime)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(body)
}

type peopleView struct {
	Ref     string            // as typed, to show back in the form
	Doc     *records.Document // the person's records, once found
	Confirm bool              // the erase button was pressed once: ask again
}

// personRef reads a reference from the query (GET) or the form (POST).
func personRef(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return strings.TrimSpace(c.Query("ref"))
	}
	return strings.TrimSpace(utils.CopyString(c.FormValue("ref")))
}

// findPerson looks up the records for the reference in the request. It returns a
// page code and field error when there is nothing to show.
func (a *App) findPerson(c *fiber.Ctx) (*peopleView, int, []fieldError, error) {
	t := a.staffT()
	pv := &peopleView{Ref: personRef(c)}
	if pv.Ref == "" && c.Method() == fiber.MethodGet {
		return pv, fiber.StatusOK, nil, nil
	}
	ref, ok := referral.ParseReference(pv.Ref)
	if !ok {
		return pv, fiber.StatusUnprocessableEntity, []fieldError{{"ref", t.T("staff.people.bad_ref")}}, nil
	}
	pv.Ref = ref
	ctx, cancel := storeCtx(c)
	defer cancel()
	doc, err := records.PersonRecords(ctx, a.cfg.Store, ref, a.staff.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return pv, fiber.StatusNotFound, []fieldError{{"ref", t.T("staff.people.not_found")}}, nil
	}
	if err != nil {
		return nil, 0, nil, err
	}
	pv.Doc = &doc
	return pv, fiber.StatusOK, nil, nil
}

func (a *App) showPeople(c *fiber.Ctx, code int, pv *peopleView, errs []fieldError) error {
	v := a.staffView(c, a.staffT().T("staff.people.title"))
	v.People, v.Errors = pv, errs
	return a.staffSend(c, code, "people", v)
}

func (a *App) peoplePage(c *fiber.Ctx) error {
	pv, code, errs, err := a.findPerson(c)
	if err != nil {
		return err
	}
	return a.showPeople(c, code, pv, errs)
}

// personDownload sends everything kept about one person as JSON, for a subject
// access request.
func (a *App) personDownload(c *fiber.Ctx) error {
	pv, code, errs, err := a.findPerson(c)
	if err != nil {
		return err
	}
	if pv.Doc == nil {
		return a.showPeople(c, code, pv, errs)
	}
	body, err := json.MarshalIndent(pv.Doc, "", "  ")
	if err != nil {
		return err
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	if _, err := a.cfg.Store.AppendAudit(ctx, auditEntry(signedIn(c).user.Actor(), ActionPersonExported,
		referral.Subject(pv.Ref), "")); err != nil {
		return err
	}
	return sendAttachment(c, fiber.MIMEApplicationJSONCharsetUTF8, "imha-person-"+pv.Ref+".json", append(body, '\n'))
}

// personErase deletes a person's referral and opt-outs on their request. The
// first press only asks again (erasure cannot be undone); the store writes the
// audit entry, with the reference and counts only.
func (a *App) personErase(c *fiber.Ctx) error {
	pv, code, errs, err := a.findPerson(c)
	if err != nil {
		return err
	}
	if pv.Doc == nil {
		return a.showPeople(c, code, pv, errs)
	}
	if c.FormValue("confirm") != "yes" {
		pv.Confirm = true
		return a.showPeople(c, fiber.StatusOK, pv, nil)
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	n, err := a.cfg.Store.EraseReferral(ctx, pv.Ref, signedIn(c).user.Actor())
	if errors.Is(err, store.ErrNotFound) { // erased meanwhile, e.g. by a second tab
		return a.showPeople(c, fiber.StatusNotFound, &peopleView{Ref: pv.Ref},
			[]fieldError{{"ref", a.staffT().T("staff.people.not_found")}})
	}
	if err != nil {
		return err
	}
	t := a.staffT()
	return a.staffMessage(c, fiber.StatusOK, t.T("staff.people.erased_title"),
		t.T("staff.people.erased", "Reference", pv.Ref, "Referrals", n.Referrals, "OptOuts", n.OptOuts))
}
