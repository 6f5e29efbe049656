package referral

import (
	"regexp"
	"strings"
	"time"
)

// AuditEntry is one line of the append-only record of who did what to which referral
// (recommendation 4: clear, standard records). It must never contain patient data:
// actors are staff user ids or channel names, subjects are ids and references, and
// details are short machine-ish notes.
type AuditEntry struct {
	ID      int64
	Actor   string // "staff:42", "patient:kiosk", "intake:mha_office_api", "system"
	Action  string // e.g. "referral.created", "referral.status", "optout.revoked"
	Subject string // "referral:ABCD-1234", "optout:17"
	Detail  string // e.g. "new → acknowledged"; no names, no free text from patients
	At      time.Time
}

// Audit actions written by the stores.
const (
	ActionReferralCreated   = "referral.created"
	ActionReferralStatus    = "referral.status"
	ActionReferralAllocated = "referral.allocated"
	ActionOptOutAdded       = "optout.added"
	ActionOptOutRevoked     = "optout.revoked"
)

// Limits for audit fields.
const (
	ActorMaxLen   = 64
	ActionMaxLen  = 64
	SubjectMaxLen = 64
	DetailMaxLen  = 500
)

var (
	// No spaces: a person's name ("Jane Smith") cannot pass as an actor by accident.
	actorRE   = regexp.MustCompile(`^[A-Za-z0-9_.:@-]+$`)
	actionRE  = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)
	subjectRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]*$`)
)

// ValidateActor checks an actor id (see AuditEntry.Actor).
func ValidateActor(field, a string) error {
	switch {
	case a == "":
		return bad(field, CodeRequired)
	case len(a) > ActorMaxLen:
		return bad(field, CodeTooLong)
	case !actorRE.MatchString(a):
		return bad(field, CodeInvalid)
	}
	return nil
}

// Normalize trims the detail.
func (e AuditEntry) Normalize() AuditEntry {
	e.Detail = strings.TrimSpace(e.Detail)
	return e
}

// Validate checks e as Normalize would save it.
func (e AuditEntry) Validate() error {
	e = e.Normalize()
	if err := ValidateActor("actor", e.Actor); err != nil {
		return err
	}
	switch {
	case e.Action == "":
		return bad("action", CodeRequired)
	case len(e.Action) > ActionMaxLen:
		return bad("action", CodeTooLong)
	case !actionRE.MatchString(e.Action):
		return bad("action", CodeInvalid)
	}
	switch {
	case len(e.Subject) > SubjectMaxLen:
		return bad("subject", CodeTooLong)
	case !subjectRE.MatchString(e.Subject):
		return bad("subject", CodeInvalid)
	}
	return text("detail", e.Detail, DetailMaxLen)
}

// Subject returns the audit subject naming a referral.
func Subject(ref string) string { return "referral:" + ref }
