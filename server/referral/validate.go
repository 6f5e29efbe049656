package referral

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Size limits, in runes so every script gets the same room. Both stores mirror the
// ones kept in columns with CHECK constraints.
const (
	KeyMinLen                = 16
	KeyMaxLen                = 64
	NameMaxLen               = 100
	WardMaxLen               = 100
	HospitalMaxLen           = 150
	ContactMaxLen            = 200
	BestTimesMaxLen          = 200
	LanguageMaxLen           = 35 // BCP 47 tags in practice stay well under this
	CommunicationNeedsMaxLen = 1000
	HelpWantedMaxLen         = 2000
	EthnicityMaxLen          = 100
	ReasonMaxLen             = 500
	MaxMeetings              = 10
	MaxDisabilities          = 7
)

var (
	keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// A syntactic BCP 47 check; whether we offer the language is not the store's business.
	langRE  = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9 ()-]{6,30}$`)
)

// Normalize returns r as the store will save it: text trimmed, dates reduced to UTC
// dates, the typed "prefer not to say" made canonical, and empty lists nil, so that a
// retry differing only in such details counts as the same submission. Store-set fields
// are kept; Content clears them.
func (r Referral) Normalize() Referral {
	t := strings.TrimSpace
	r.Referrer.Name, r.Referrer.Contact = t(r.Referrer.Name), t(r.Referrer.Contact)
	r.Person.Name, r.Person.PreferredName = t(r.Person.Name), t(r.Person.PreferredName)
	r.Person.Ward, r.Person.Hospital = t(r.Person.Ward), t(r.Person.Hospital)
	r.Person.DateOfBirth = dateOnly(r.Person.DateOfBirth)
	r.Language = t(r.Language)
	r.CommunicationNeeds, r.HelpWanted = t(r.CommunicationNeeds), t(r.HelpWanted)
	r.Contact.Value, r.Contact.BestTimes = t(r.Contact.Value), t(r.Contact.BestTimes)
	r.Consent.NotApplicableReason = t(r.Consent.NotApplicableReason)
	r.Equality.Ethnicity = t(r.Equality.Ethnicity)
	if isPreferNotToSay(r.Equality.Ethnicity) {
		r.Equality.Ethnicity = PreferNotToSay
	}
	if len(r.Meetings) == 0 {
		r.Meetings = nil
	} else {
		ms := make([]Meeting, len(r.Meetings)) // never alias the caller's slice
		for i, m := range r.Meetings {
			ms[i] = Meeting{Kind: m.Kind, Date: dateOnly(m.Date)}
		}
		r.Meetings = ms
	}
	if len(r.Equality.Disabilities) == 0 {
		r.Equality.Disabilities = nil
	} else {
		r.Equality.Disabilities = append([]Disability(nil), r.Equality.Disabilities...)
	}
	return r
}

// dateOnly keeps the calendar date as written: a date of birth typed in the UK must
// not move a day when a server runs in another zone.
func dateOnly(d time.Time) time.Time {
	if d.IsZero() {
		return d
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// SameContent reports whether a and b are the same submission (ignoring store-set
// fields). Stores use it to tell a harmless retry from a reused key.
func SameContent(a, b Referral) bool {
	return reflect.DeepEqual(a.Content(), b.Content())
}

// Validate returns the first problem with r (judged as Normalize would save it) as a
// *ValidationError, or nil. It checks shape and consistency, not eligibility: whether
// the legal status qualifies depends on the deployment's Policy and is the caller's
// decision (CheckEligibility), so a staff member can still record a referral to check.
func (r Referral) Validate() error {
	r = r.Normalize()
	if err := validKey("idempotency_key", r.IdempotencyKey); err != nil {
		return err
	}
	switch r.Kind {
	case KindSelf, KindOnBehalf, KindNonInstructed, KindAutomatic:
	case "":
		return bad("kind", CodeRequired)
	default:
		return bad("kind", CodeInvalid)
	}
	if err := r.validateReferrer(); err != nil {
		return err
	}
	if err := r.validatePerson(); err != nil {
		return err
	}
	switch {
	case r.LegalStatus == "":
		return bad("legal_status", CodeRequired)
	case !r.LegalStatus.Valid():
		return bad("legal_status", CodeInvalid)
	}
	switch {
	case r.Language == "":
		return bad("language", CodeRequired)
	case len(r.Language) > LanguageMaxLen:
		return bad("language", CodeTooLong)
	case !langRE.MatchString(r.Language):
		return bad("language", CodeInvalid)
	}
	if err := text("communication_needs", r.CommunicationNeeds, CommunicationNeedsMaxLen); err != nil {
		return err
	}
	if err := r.validateContact(); err != nil {
		return err
	}
	if err := text("help_wanted", r.HelpWanted, HelpWantedMaxLen); err != nil {
		return err
	}
	if len(r.Meetings) > MaxMeetings {
		return bad("meetings", CodeTooMany)
	}
	for i, m := range r.Meetings {
		switch m.Kind {
		case MeetingWardRound, MeetingCPA, MeetingTribunal, MeetingManagersHearing, MeetingOther:
		case "":
			return bad("meetings."+strconv.Itoa(i)+".kind", CodeRequired)
		default:
			return bad("meetings."+strconv.Itoa(i)+".kind", CodeInvalid)
		}
		if !m.Date.IsZero() && (m.Date.Year() < 2000 || m.Date.Year() > 2200) {
			return bad("meetings."+strconv.Itoa(i)+".date", CodeInvalid)
		}
	}
	if err := r.validateConsent(); err != nil {
		return err
	}
	if err := r.validateEquality(); err != nil {
		return err
	}
	switch r.Source {
	case SourceKiosk, SourceChat, SourceWebForm, SourceStaff, SourceMHAOfficeAPI, SourceCSV:
	case "":
		return bad("source", CodeRequired)
	default:
		return bad("source", CodeInvalid)
	}
	return nil
}

func (r Referral) validateReferrer() error {
	if r.Kind != KindOnBehalf {
		if r.Referrer != (Referrer{}) {
			return bad("referrer", CodeNotAllowed)
		}
		return nil
	}
	switch r.Referrer.Role {
	case RoleStaff, RoleCarer, RoleNearestRelative, RoleOther:
	case "":
		return bad("referrer.role", CodeRequired)
	default:
		return bad("referrer.role", CodeInvalid)
	}
	if r.Referrer.Name == "" {
		return bad("referrer.name", CodeRequired)
	}
	if err := text("referrer.name", r.Referrer.Name, NameMaxLen); err != nil {
		return err
	}
	return text("referrer.contact", r.Referrer.Contact, ContactMaxLen)
}

func (r Referral) validatePerson() error {
	p := r.Person
	if p.Name == "" && p.PreferredName == "" {
		return bad("person.name", CodeRequired)
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{
		{"person.name", p.Name, NameMaxLen},
		{"person.preferred_name", p.PreferredName, NameMaxLen},
		{"person.ward", p.Ward, WardMaxLen},
		{"person.hospital", p.Hospital, HospitalMaxLen},
	} {
		if err := text(f.field, f.v, f.max); err != nil {
			return err
		}
	}
	if !p.DateOfBirth.IsZero() && (p.DateOfBirth.Year() < 1900 || p.DateOfBirth.Year() > 2200) {
		return bad("person.date_of_birth", CodeInvalid)
	}
	return nil
}

func (r Referral) validateContact() error {
	c := r.Contact
	switch c.Method {
	case ContactInPerson, ContactViaStaff:
		// An advocate must be able to find the person.
		if r.Person.Ward == "" && r.Person.Hospital == "" {
			return bad("person.ward", CodeRequired)
		}
	case ContactPhone, ContactText, ContactEmail:
		if c.Value == "" {
			return bad("contact.value", CodeRequired)
		}
	case "":
		return bad("contact.method", CodeRequired)
	default:
		return bad("contact.method", CodeInvalid)
	}
	if err := text("contact.value", c.Value, ContactMaxLen); err != nil {
		return err
	}
	switch c.Method {
	case ContactPhone, ContactText:
		if !phoneRE.MatchString(c.Value) {
			return bad("contact.value", CodeInvalid)
		}
	case ContactEmail:
		if at := strings.IndexByte(c.Value, '@'); at < 1 || at == len(c.Value)-1 || strings.ContainsAny(c.Value, " \t\r\n") {
			return bad("contact.value", CodeInvalid)
		}
	}
	return text("contact.best_times", c.BestTimes, BestTimesMaxLen)
}

func (r Referral) validateConsent() error {
	c := r.Consent
	if err := text("consent.not_applicable_reason", c.NotApplicableReason, ReasonMaxLen); err != nil {
		return err
	}
	switch r.Kind {
	case KindSelf, KindOnBehalf:
		if !c.Given {
			return bad("consent.given", CodeRequired)
		}
		if c.NotApplicableReason != "" {
			return bad("consent.not_applicable_reason", CodeNotAllowed)
		}
	default:
		// Nobody instructed this referral, so nobody could consent; say why instead of
		// recording a consent that was never given.
		if c.Given {
			return bad("consent.given", CodeNotAllowed)
		}
		if c.NotApplicableReason == "" {
			return bad("consent.not_applicable_reason", CodeRequired)
		}
	}
	return nil
}

func (r Referral) validateEquality() error {
	e := r.Equality
	switch e.AgeGroup {
	case "", AgeUnder18, Age18To64, AgeOver65, AgePreferNotToSay:
	default:
		return bad("equality.age_group", CodeInvalid)
	}
	if err := text("equality.ethnicity", e.Ethnicity, EthnicityMaxLen); err != nil {
		return err
	}
	for _, a := range []struct {
		field string
		v     Answer
	}{{"equality.minority_ethnic", e.MinorityEthnic}, {"equality.out_of_area", e.OutOfArea}} {
		switch a.v {
		case "", AnswerYes, AnswerNo, AnswerPreferNotToSay:
		default:
			return bad(a.field, CodeInvalid)
		}
	}
	if len(e.Disabilities) > MaxDisabilities {
		return bad("equality.disabilities", CodeTooMany)
	}
	seen := map[Disability]bool{}
	for _, d := range e.Disabilities {
		switch d {
		case DisabilityLearning, DisabilityDeafOrSensory, DisabilityDementia, DisabilityPhysical, DisabilityOther:
		case DisabilityNone, DisabilityPreferNotToSay:
			// These answer the whole question; they cannot sit beside a disability.
			if len(e.Disabilities) > 1 {
				return bad("equality.disabilities", CodeNotAllowed)
			}
		default:
			return bad("equality.disabilities", CodeInvalid)
		}
		if seen[d] {
			return bad("equality.disabilities", CodeInvalid)
		}
		seen[d] = true
	}
	return nil
}

func validKey(field, k string) error {
	switch {
	case k == "":
		return bad(field, CodeRequired)
	case len(k) > KeyMaxLen:
		return bad(field, CodeTooLong)
	case !keyRE.MatchString(k):
		return bad(field, CodeInvalid)
	case len(k) < KeyMinLen:
		return bad(field, CodeTooShort)
	}
	return nil
}

// text checks an optional free-text field: valid UTF-8 without NUL (PostgreSQL
// refuses both, so SQLite must too) or other control characters except tab and
// newline, and at most max runes.
func text(field, s string, max int) error {
	if !ValidText(s) {
		return bad(field, CodeInvalid)
	}
	if utf8.RuneCountInString(s) > max {
		return bad(field, CodeTooLong)
	}
	return nil
}

// ValidText reports whether s is storable text: valid UTF-8, no NUL or C0 control
// characters other than tab, newline and carriage return. Bidirectional marks, joiners
// and emoji are allowed: people write their names with them.
func ValidText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
