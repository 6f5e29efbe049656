package referral

import (
	"strings"
	"time"
)

// OptOut records that a person does not want an automatic referral (the opt-out
// model, recommendation 1). It identifies the person either by name, ward and hospital
// (before any referral exists) or by the reference of an automatic referral they were
// told about. Revoking keeps the row and sets RevokedAt, so the history of a person's
// choices stays on record; a new opt-out after a revoke is a new row.
type OptOut struct {
	ID         int64
	PersonName string
	Ward       string
	Hospital   string
	Reference  string // of an automatic referral, "ABCD-1234"
	Reason     string // optional, the person's words
	RecordedBy string // actor, see AuditEntry.Actor
	CreatedAt  time.Time
	RevokedAt  time.Time // zero while in force
	RevokedBy  string
}

// Active reports whether the opt-out is in force.
func (o OptOut) Active() bool { return o.RevokedAt.IsZero() }

// Normalize trims text and canonicalises the reference.
func (o OptOut) Normalize() OptOut {
	t := strings.TrimSpace
	o.PersonName, o.Ward, o.Hospital = t(o.PersonName), t(o.Ward), t(o.Hospital)
	o.Reason, o.RecordedBy = t(o.Reason), t(o.RecordedBy)
	if ref, ok := ParseReference(o.Reference); ok {
		o.Reference = ref
	} else {
		o.Reference = t(o.Reference)
	}
	return o
}

// Validate checks o as Normalize would save it.
func (o OptOut) Validate() error {
	o = o.Normalize()
	if o.Reference != "" {
		if _, ok := ParseReference(o.Reference); !ok {
			return bad("reference", CodeInvalid)
		}
	} else if o.PersonName == "" {
		return bad("person_name", CodeRequired)
	} else if o.Ward == "" && o.Hospital == "" {
		return bad("ward", CodeRequired)
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{
		{"person_name", o.PersonName, NameMaxLen},
		{"ward", o.Ward, WardMaxLen},
		{"hospital", o.Hospital, HospitalMaxLen},
		{"reason", o.Reason, ReasonMaxLen},
	} {
		if err := text(f.field, f.v, f.max); err != nil {
			return err
		}
	}
	return ValidateActor("recorded_by", o.RecordedBy)
}
