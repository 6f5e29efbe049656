package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/staff"
	"github.com/imha-advocacy/imha/server/store"
)

// apiProblem is one thing wrong with an API request, in machine terms.
type apiProblem struct {
	Field string `json:"field"`
	Code  string `json:"code"`
}

func apiErrors(c *fiber.Ctx, code int, probs ...apiProblem) error {
	return c.Status(code).JSON(fiber.Map{"errors": probs})
}

// apiAddReferral lets the hospital's Mental Health Act office post a referral:
// Authorization: Bearer <key from /staff/apikeys>, Idempotency-Key: 16-64 chars of
// [A-Za-z0-9_-], body: a referral as JSON. A retry with the same key answers with
// the first referral (200) instead of making a second (201).
func (a *App) apiAddReferral(c *fiber.Ctx) error {
	tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || tok == "" {
		return apiErrors(c, fiber.StatusUnauthorized, apiProblem{"authorization", store.CodeRequired})
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	key, err := a.cfg.Store.GetAPIKey(ctx, staff.HashToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return apiErrors(c, fiber.StatusUnauthorized, apiProblem{"authorization", store.CodeInvalid})
	}
	if err != nil {
		return a.apiStoreError(c, err)
	}
	idem := utils.CopyString(c.Get("Idempotency-Key"))
	if idem == "" {
		return apiErrors(c, fiber.StatusBadRequest, apiProblem{"idempotency_key", store.CodeRequired})
	}
	var r referral.Referral
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return apiErrors(c, fiber.StatusBadRequest, apiProblem{"body", store.CodeInvalid})
	}
	r.IdempotencyKey, r.Source = idem, referral.SourceMHAOfficeAPI
	saved, created, err := a.cfg.Store.AddReferral(ctx, r)
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return apiErrors(c, fiber.StatusUnprocessableEntity, apiProblem{ve.Field, ve.Code})
	case errors.Is(err, store.ErrKeyConflict):
		return apiErrors(c, fiber.StatusConflict, apiProblem{"idempotency_key", "conflict"})
	case err != nil:
		return a.apiStoreError(c, err)
	}
	code := fiber.StatusOK
	if created {
		code = fiber.StatusCreated
		a.log.Info("referral received by API", "apikey", key.ID, "id", saved.ID)
	}
	return c.Status(code).JSON(fiber.Map{"id": saved.ID, "reference": saved.Reference, "status": saved.Status})
}

func (a *App) apiStoreError(c *fiber.Ctx, err error) error {
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		c.Set(fiber.HeaderRetryAfter, "5")
		return apiErrors(c, fiber.StatusServiceUnavailable, apiProblem{"", "unavailable"})
	}
	a.log.Error("api request failed", "err", err)
	return apiErrors(c, fiber.StatusInternalServerError, apiProblem{"", "server"})
}

// CSV import. The columns, in a header row in any order: name, ward, hospital,
// legal_status (required), kind (automatic or non_instructed; default automatic),
// preferred_name, date_of_birth (YYYY-MM-DD), language (default en), interpreter
// (yes/no), communication_needs.
var csvColumns = []string{"name", "preferred_name", "ward", "hospital", "legal_status", "kind", "date_of_birth",
	"language", "interpreter", "communication_needs"}

type importView struct {
	Problems   []importProblem
	References []string // of the referrals imported
	Columns    []string
}

type importProblem struct {
	Row         int // 1 is the first row after the header
	Field, Text string
}

func (a *App) importForm(c *fiber.Ctx) error {
	v := a.staffView(c, a.staffT().T("staff.import.title"))
	v.Import = &importView{Columns: csvColumns}
	return a.staffSend(c, fiber.StatusOK, "import", v)
}

// importCSV imports every row or none: all rows are checked first, then inserted
// with idempotency keys made from the file's hash and the row number, so sending the
// same file again (after a failure half-way, say) never makes a second referral.
func (a *App) importCSV(c *fiber.Ctx) error {
	t := a.staffT()
	iv := &importView{Columns: csvColumns}
	again := func(code int) error {
		v := a.staffView(c, a.staffT().T("staff.import.title"))
		v.Import = iv
		if len(iv.Problems) > 0 {
			v.Errors = []fieldError{{"file", t.T("staff.import.nothing_imported", "Count", len(iv.Problems))}}
		}
		return a.staffSend(c, code, "import", v)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		iv.Problems = []importProblem{{0, "file", t.T("staff.import.no_file")}}
		return again(fiber.StatusUnprocessableEntity)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, BodyLimit))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	fileID := hex.EncodeToString(sum[:])[:40]
	rows, probs := a.parseCSV(c, data)
	if len(probs) > 0 {
		iv.Problems = probs
		return again(fiber.StatusUnprocessableEntity)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 4*storeTimeout)
	defer cancel()
	for i, r := range rows {
		r.IdempotencyKey = fmt.Sprintf("csv-%s-%d", fileID, i+1)
		saved, _, err := a.cfg.Store.AddReferral(ctx, r)
		if err != nil {
			return err
		}
		iv.References = append(iv.References, saved.Reference)
	}
	if _, err := a.cfg.Store.AppendAudit(ctx, auditEntry(signedIn(c).user.Actor(), "referral.imported", "csv:"+fileID[:16],
		strconv.Itoa(len(rows))+" rows")); err != nil {
		return err
	}
	return again(fiber.StatusOK)
}

// parseCSV checks every row and returns them as referrals, or every problem found.
func (a *App) parseCSV(c *fiber.Ctx, data []byte) ([]referral.Referral, []importProblem) {
	t := a.staffT()
	rd := csv.NewReader(bytes.NewReader(data))
	rd.FieldsPerRecord = -1
	records, err := rd.ReadAll()
	if err != nil || len(records) < 2 {
		return nil, []importProblem{{0, "file", t.T("staff.import.unreadable")}}
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"name", "legal_status"} {
		if _, ok := col[need]; !ok {
			return nil, []importProblem{{0, need, t.T("staff.import.missing_column", "Column", need)}}
		}
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	var out []referral.Referral
	var probs []importProblem
	for n, rec := range records[1:] {
		row := n + 1
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		kind := referral.Kind(get("kind"))
		if kind == "" {
			kind = referral.KindAutomatic
		}
		lang := get("language")
		if lang == "" {
			lang = "en"
		}
		r := referral.Referral{
			IdempotencyKey: "csv-validation-only-key", Kind: kind, Source: referral.SourceCSV,
			Person:      referral.Person{Name: get("name"), PreferredName: get("preferred_name"), Ward: get("ward"), Hospital: get("hospital")},
			LegalStatus: referral.LegalStatus(get("legal_status")), Language: lang, Interpreter: get("interpreter") == "yes",
			CommunicationNeeds: get("communication_needs"), Contact: referral.Contact{Method: referral.ContactInPerson},
		}
		bad := func(field, text string) { probs = append(probs, importProblem{row, field, text}) }
		switch kind {
		case referral.KindAutomatic:
			r.Consent.NotApplicableReason = reasonAutomatic
		case referral.KindNonInstructed:
			r.Consent.NotApplicableReason = reasonNonInstructed
		default:
			bad("kind", t.T("staff.field.invalid"))
			continue
		}
		if d := get("date_of_birth"); d != "" {
			dob, err := time.Parse("2006-01-02", d)
			if err != nil {
				bad("date_of_birth", t.T("staff.field.date"))
				continue
			}
			r.Person.DateOfBirth = dob
		}
		if err := r.Validate(); err != nil {
			var ve *store.ValidationError
			if errors.As(err, &ve) {
				bad(ve.Field, t.T("staff.field."+ve.Code))
			} else {
				bad("", err.Error())
			}
			continue
		}
		if kind == referral.KindAutomatic && referral.CheckEligibility(string(r.LegalStatus), referral.Policy{}) != referral.Eligible {
			bad("legal_status", t.T("staff.refer.not_eligible"))
			continue
		}
		// A person who opted out is not referred automatically again.
		if kind == referral.KindAutomatic && r.Person.Name != "" {
			outs, err := a.cfg.Store.ListOptOuts(ctx, store.OptOutQuery{PersonName: r.Person.Name, Ward: r.Person.Ward, Limit: 1})
			if err != nil {
				bad("", t.T("staff.error.unavailable"))
				continue
			}
			if len(outs) > 0 {
				bad("name", t.T("staff.import.opted_out"))
				continue
			}
		}
		out = append(out, r)
	}
	return out, probs
}

type apiKeysView struct {
	NewKey, Name string
	Keys         []store.APIKey
}

func (a *App) apiKeysPage(c *fiber.Ctx) error {
	return a.showAPIKeys(c, fiber.StatusOK, &apiKeysView{}, nil)
}

func (a *App) showAPIKeys(c *fiber.Ctx, code int, kv *apiKeysView, errs []fieldError) error {
	ctx, cancel := storeCtx(c)
	defer cancel()
	keys, err := a.cfg.Store.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	kv.Keys = keys
	v := a.staffView(c, a.staffT().T("staff.apikeys.title"))
	v.Keys, v.Errors = kv, errs
	return a.staffSend(c, code, "apikeys", v)
}

// createAPIKey makes a key and shows it once: only its hash is kept.
func (a *App) createAPIKey(c *fiber.Ctx) error {
	name := strings.TrimSpace(utils.CopyString(c.FormValue("name")))
	tok := staff.NewToken()
	ctx, cancel := storeCtx(c)
	defer cancel()
	_, err := a.cfg.Store.CreateAPIKey(ctx, store.APIKey{Name: name, KeyHash: staff.HashToken(tok), CreatedBy: signedIn(c).user.Actor()})
	var ve *store.ValidationError
	if errors.As(err, &ve) {
		return a.showAPIKeys(c, fiber.StatusUnprocessableEntity, &apiKeysView{Name: name},
			[]fieldError{{"name", a.staffT().T("staff.field." + ve.Code)}})
	}
	if err != nil {
		return err
	}
	return a.showAPIKeys(c, fiber.StatusOK, &apiKeysView{NewKey: tok}, nil)
}

// revokeAPIKey stops a key working at once.
func (a *App) revokeAPIKey(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	err = a.cfg.Store.RevokeAPIKey(ctx, id, signedIn(c).user.Actor())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fiber.ErrNotFound
	case err != nil && !errors.Is(err, store.ErrConflict): // already revoked: the wish is met
		return err
	}
	return c.Redirect("/staff/apikeys", fiber.StatusSeeOther)
}
