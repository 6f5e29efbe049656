package web

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// referForm is what ward staff and coordinators fill in to refer someone, or to
// register a qualifying patient for an automatic (opt-out) referral.
type referForm struct {
	Key, Kind, Name, PreferredName, Ward, Hospital, DateOfBirth, LegalStatus string
	Language, CommunicationNeeds, ContactMethod, ContactValue, HelpWanted    string
	Interpreter, BSL, Consent, OverrideOptOut                                bool
}

type referView struct {
	Form          referForm
	Kinds         []referral.Kind
	LegalStatuses []referral.LegalStatus
	Methods       []referral.ContactMethod
	OptOutWarning bool   // an opt-out in force matches name and ward
	Done          string // reference of the referral just made
}

// Reasons recorded when nobody could consent (see referral.Consent).
const (
	reasonNonInstructed = "non-instructed referral: the person lacks capacity to instruct an advocate"
	reasonAutomatic     = "automatic referral under the opt-out model; the person can say no at first contact"
)

var staffReferKinds = []referral.Kind{referral.KindOnBehalf, referral.KindNonInstructed, referral.KindAutomatic}

var staffContactMethods = []referral.ContactMethod{referral.ContactInPerson, referral.ContactViaStaff,
	referral.ContactPhone, referral.ContactText, referral.ContactEmail}

func (a *App) referForm(c *fiber.Ctx) error {
	f := referForm{Key: newFormKey(), Kind: string(referral.KindOnBehalf), Language: "en", ContactMethod: string(referral.ContactInPerson)}
	f.Ward = signedIn(c).user.Ward
	done := ""
	if ref, ok := referral.ParseReference(c.Query("ref")); ok {
		done = ref
	}
	return a.referAgain(c, fiber.StatusOK, f, nil, false, done)
}

func (a *App) referAgain(c *fiber.Ctx, code int, f referForm, errs []fieldError, optOut bool, done string) error {
	v := a.staffView(c, a.staffT().T("staff.refer.title"))
	v.Refer = &referView{Form: f, Kinds: staffReferKinds, LegalStatuses: referral.LegalStatuses, Methods: staffContactMethods,
		OptOutWarning: optOut, Done: done}
	v.Errors = errs
	return a.staffSend(c, code, "refer", v)
}

func (a *App) refer(c *fiber.Ctx) error {
	t := a.staffT()
	v := func(k string) string { return strings.TrimSpace(utils.CopyString(c.FormValue(k))) }
	f := referForm{
		Key: v("key"), Kind: v("kind"), Name: v("name"), PreferredName: v("preferred_name"), Ward: v("ward"),
		Hospital: v("hospital"), DateOfBirth: v("date_of_birth"), LegalStatus: v("legal_status"), Language: v("language"),
		CommunicationNeeds: v("communication_needs"), ContactMethod: v("contact_method"), ContactValue: v("contact_value"),
		HelpWanted: v("help_wanted"), Interpreter: v("interpreter") == "yes", BSL: v("bsl") == "yes",
		Consent: v("consent") == "yes", OverrideOptOut: v("override_optout") == "yes",
	}
	if !formKeyPattern.MatchString(f.Key) {
		return fiber.ErrBadRequest
	}
	u := signedIn(c).user
	r := referral.Referral{
		IdempotencyKey: f.Key, Kind: referral.Kind(f.Kind),
		Person:      referral.Person{Name: f.Name, PreferredName: f.PreferredName, Ward: f.Ward, Hospital: f.Hospital},
		LegalStatus: referral.LegalStatus(f.LegalStatus), Language: f.Language, Interpreter: f.Interpreter, BSL: f.BSL,
		CommunicationNeeds: f.CommunicationNeeds, HelpWanted: f.HelpWanted,
		Contact: referral.Contact{Method: referral.ContactMethod(f.ContactMethod), Value: f.ContactValue},
		Source:  referral.SourceStaff,
	}
	var errs []fieldError
	if f.DateOfBirth != "" {
		dob, err := time.Parse("2006-01-02", f.DateOfBirth)
		if err != nil {
			errs = append(errs, fieldError{"date_of_birth", t.T("staff.field.date")})
		}
		r.Person.DateOfBirth = dob
	}
	switch r.Kind {
	case referral.KindOnBehalf:
		r.Referrer = referral.Referrer{Role: referral.RoleStaff, Name: u.Name, Contact: u.Email}
		r.Consent.Given = f.Consent
	case referral.KindNonInstructed:
		r.Consent.NotApplicableReason = reasonNonInstructed
	case referral.KindAutomatic:
		r.Consent.NotApplicableReason = reasonAutomatic
		// Only people who qualify are referred automatically.
		if referral.CheckEligibility(f.LegalStatus, referral.Policy{}) != referral.Eligible {
			errs = append(errs, fieldError{"legal_status", t.T("staff.refer.not_eligible")})
		}
	default:
		errs = append(errs, fieldError{"kind", t.T("staff.field.required")})
	}
	if len(errs) == 0 {
		if err := r.Validate(); err != nil {
			var ve *store.ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			errs = append(errs, fieldError{referFieldID(ve.Field), t.T("staff.field." + ve.Code)})
		}
	}
	if len(errs) > 0 {
		return a.referAgain(c, fiber.StatusUnprocessableEntity, f, errs, false, "")
	}
	ctx, cancel := storeCtx(c)
	defer cancel()
	// A person who said no must not be referred again by the back door.
	if r.Kind == referral.KindAutomatic && !f.OverrideOptOut && f.Name != "" {
		outs, err := a.cfg.Store.ListOptOuts(ctx, store.OptOutQuery{PersonName: f.Name, Ward: f.Ward, Limit: 1})
		if err != nil {
			return err
		}
		if len(outs) > 0 {
			return a.referAgain(c, fiber.StatusConflict, f, []fieldError{{"override_optout", t.T("staff.refer.opted_out")}}, true, "")
		}
	}
	saved, _, err := a.cfg.Store.AddReferral(ctx, r)
	if errors.Is(err, store.ErrKeyConflict) {
		return a.referAgain(c, fiber.StatusConflict, f, []fieldError{{"name", t.T("staff.refer.key_conflict")}}, false, "")
	}
	if err != nil {
		return err
	}
	return c.Redirect("/staff/refer?ref="+saved.Reference, fiber.StatusSeeOther)
}

// referFieldID maps a validation field (person.name) to the form control's id.
func referFieldID(field string) string {
	switch field {
	case "person.name":
		return "name"
	case "person.preferred_name":
		return "preferred_name"
	case "person.ward":
		return "ward"
	case "person.hospital":
		return "hospital"
	case "person.date_of_birth":
		return "date_of_birth"
	case "contact.method":
		return "contact_method"
	case "contact.value":
		return "contact_value"
	case "consent.given":
		return "consent"
	case "legal_status", "language", "communication_needs", "help_wanted", "kind":
		return field
	}
	return "name"
}
