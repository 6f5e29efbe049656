// Package referral holds the rules of the IMHA referral queue: what a referral, an
// opt-out and an audit entry are, how they are validated, which status changes are
// allowed, who qualifies, and how the queue is prioritised. It does no I/O; the store
// (server/store) keeps these values, and the chat, the web forms and the staff
// workspace all apply the same rules by calling this package.
package referral

import (
	"time"
)

// Kind says how the referral came about.
type Kind string

const (
	KindSelf          Kind = "self"           // the person asked for an advocate
	KindOnBehalf      Kind = "on_behalf"      // staff, a carer or a relative asked, with the person's agreement
	KindNonInstructed Kind = "non_instructed" // the person cannot instruct an advocate (recommendation 3)
	KindAutomatic     Kind = "automatic"      // opt-out model: referred because they qualify (recommendation 1)
)

// Kinds lists every kind.
var Kinds = []Kind{KindSelf, KindOnBehalf, KindNonInstructed, KindAutomatic}

// ReferrerRole is who referred on the person's behalf.
type ReferrerRole string

const (
	RoleStaff           ReferrerRole = "staff"
	RoleCarer           ReferrerRole = "carer"
	RoleNearestRelative ReferrerRole = "nearest_relative"
	RoleOther           ReferrerRole = "other"
)

// ContactMethod is how the person would like the advocate to get in touch.
type ContactMethod string

const (
	ContactInPerson ContactMethod = "in_person" // visit on the ward
	ContactPhone    ContactMethod = "phone"
	ContactText     ContactMethod = "text"
	ContactEmail    ContactMethod = "email"
	ContactViaStaff ContactMethod = "via_staff" // ask ward staff to pass a message
)

// MeetingKind is a meeting the person may want an advocate at.
type MeetingKind string

const (
	MeetingWardRound       MeetingKind = "ward_round"
	MeetingCPA             MeetingKind = "cpa"
	MeetingTribunal        MeetingKind = "tribunal"
	MeetingManagersHearing MeetingKind = "managers_hearing"
	MeetingOther           MeetingKind = "other"
)

// Source is the channel a referral arrived through.
type Source string

const (
	SourceKiosk        Source = "kiosk"
	SourceChat         Source = "chat"
	SourceWebForm      Source = "web_form"
	SourceStaff        Source = "staff"
	SourceMHAOfficeAPI Source = "mha_office_api"
	SourceCSV          Source = "csv"
)

// Answer is a closed question in the optional equality section. The zero value means
// the question was not asked or not answered.
type Answer string

const (
	AnswerYes            Answer = "yes"
	AnswerNo             Answer = "no"
	AnswerPreferNotToSay Answer = "prefer_not_to_say"
)

// AgeGroup is a coarse age band, for when no date of birth is given.
type AgeGroup string

const (
	AgeUnder18        AgeGroup = "under_18"
	Age18To64         AgeGroup = "18_to_64"
	AgeOver65         AgeGroup = "over_65"
	AgePreferNotToSay AgeGroup = "prefer_not_to_say"
)

// Disability is one self-reported disability or impairment.
type Disability string

const (
	DisabilityLearning       Disability = "learning_disability"
	DisabilityDeafOrSensory  Disability = "deaf_or_sensory"
	DisabilityDementia       Disability = "dementia"
	DisabilityPhysical       Disability = "physical"
	DisabilityOther          Disability = "other"
	DisabilityNone           Disability = "none"
	DisabilityPreferNotToSay Disability = "prefer_not_to_say"
)

// PreferNotToSay is the value of a free-text equality answer (ethnicity) when the
// person chose not to say; it must be the whole answer.
const PreferNotToSay = "prefer_not_to_say"

// Referrer is who referred on the person's behalf (KindOnBehalf only).
type Referrer struct {
	Role    ReferrerRole `json:"role,omitempty"`
	Name    string       `json:"name,omitempty"`
	Contact string       `json:"contact,omitempty"` // phone or email, free text
}

// Person is who the advocate is for. Name or PreferredName is required; everything
// else helps an advocate find them.
type Person struct {
	Name          string    `json:"name,omitempty"`
	PreferredName string    `json:"preferred_name,omitempty"`
	Ward          string    `json:"ward,omitempty"`
	Hospital      string    `json:"hospital,omitempty"`
	DateOfBirth   time.Time `json:"date_of_birth,omitzero"` // a date (UTC midnight); zero if not given
}

// Contact is how and when to get in touch.
type Contact struct {
	Method          ContactMethod `json:"method"`
	Value           string        `json:"value,omitempty"` // number or address for phone, text, email
	BestTimes       string        `json:"best_times,omitempty"`
	MayLeaveMessage bool          `json:"may_leave_message"`
}

// Meeting is a meeting the person would like support with.
type Meeting struct {
	Kind MeetingKind `json:"kind"`
	Date time.Time   `json:"date,omitzero"` // a date (UTC midnight); zero if not known
}

// Consent records agreement to store the referral and share it with the advocacy
// service. Self and on-behalf referrals need Given; non-instructed and automatic
// referrals are made without the person's instruction, so Given is false and
// NotApplicableReason says why (for example "automatic referral under the opt-out
// model; the person can say no at first contact").
type Consent struct {
	Given               bool   `json:"given"`
	NotApplicableReason string `json:"not_applicable_reason,omitempty"`
}

// Equality is the optional monitoring section (recommendation 2: under-served groups
// first, with uptake monitored). Every question can be left blank or answered
// "prefer not to say".
//
// Ethnicity is the person's own words. MinorityEthnic is the person's own answer to "do
// you see yourself as belonging to a Black, Asian or other minority ethnic group?". We
// never classify anybody: the minority_ethnicity priority flag follows MinorityEthnic
// only, never the free text.
type Equality struct {
	AgeGroup       AgeGroup     `json:"age_group,omitempty"`
	Ethnicity      string       `json:"ethnicity,omitempty"`
	MinorityEthnic Answer       `json:"minority_ethnic,omitempty"`
	Disabilities   []Disability `json:"disabilities,omitempty"`
	OutOfArea      Answer       `json:"out_of_area,omitempty"` // placed away from home
}

// Referral is one request for an IMHA.
//
// The fields down to Source are what the referrer tells us (the content, compared when
// an idempotency key is reused). The rest are set by the store.
type Referral struct {
	IdempotencyKey      string      `json:"-"` // 16-64 chars [A-Za-z0-9_-], one per form or chat submission
	Kind                Kind        `json:"kind"`
	Referrer            Referrer    `json:"referrer,omitzero"`
	Person              Person      `json:"person"`
	LegalStatus         LegalStatus `json:"legal_status"`
	Language            string      `json:"language"` // BCP 47
	Interpreter         bool        `json:"interpreter"`
	BSL                 bool        `json:"bsl"`
	CommunicationNeeds  string      `json:"communication_needs,omitempty"`
	Contact             Contact     `json:"contact"`
	HelpWanted          string      `json:"help_wanted,omitempty"`
	Meetings            []Meeting   `json:"meetings,omitempty"`
	WantsPrivateMeeting bool        `json:"wants_private_meeting"`
	Consent             Consent     `json:"consent"`
	Equality            Equality    `json:"equality,omitzero"`
	Source              Source      `json:"source"`

	// Set by the store.
	ID             int64     `json:"-"`
	Reference      string    `json:"-"` // "ABCD-1234", see NewReference
	Status         Status    `json:"-"`
	Version        int64     `json:"-"` // bumped by every change, for optimistic concurrency
	AdvocateID     string    `json:"-"` // set by allocation
	Flags          Flags     `json:"-"` // Assess(r, now) at the last write
	Priority       int       `json:"-"` // Flags.Score() at the last write
	CreatedAt      time.Time `json:"-"`
	UpdatedAt      time.Time `json:"-"`
	AcknowledgedAt time.Time `json:"-"`
	AllocatedAt    time.Time `json:"-"`
	FirstContactAt time.Time `json:"-"`
	ClosedAt       time.Time `json:"-"` // closed or withdrawn
}

// Content returns r without the fields the store sets, normalized: the part that
// defines "the same submission".
func (r Referral) Content() Referral {
	r = r.Normalize()
	return Referral{
		IdempotencyKey: r.IdempotencyKey, Kind: r.Kind, Referrer: r.Referrer, Person: r.Person,
		LegalStatus: r.LegalStatus, Language: r.Language, Interpreter: r.Interpreter, BSL: r.BSL,
		CommunicationNeeds: r.CommunicationNeeds, Contact: r.Contact, HelpWanted: r.HelpWanted,
		Meetings: r.Meetings, WantsPrivateMeeting: r.WantsPrivateMeeting, Consent: r.Consent,
		Equality: r.Equality, Source: r.Source,
	}
}
