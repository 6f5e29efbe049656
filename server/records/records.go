// Package records exports standard records of referrals and advocacy involvement
// (recommendation 4 of The Right to Be Heard: "clear, standard records"), as JSON that
// follows docs/records/referral.v1.schema.json and as CSV for spreadsheets.
//
// The record types here are the export format, kept apart from referral.Referral on
// purpose: the store's internal shape may change, the published format changes only
// by a new schema version (see docs/records/README.md).
package records

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// Format and Version name the export format; SchemaID is the schema's $id.
const (
	Format   = "imha-referral-records"
	Version  = 1
	SchemaID = "https://github.com/imha-advocacy/imha/docs/records/referral.v1.schema.json"
)

// Document is one export: every referral created in a period, or one person's records.
type Document struct {
	Schema     string     `json:"$schema"`
	Format     string     `json:"format"`
	Version    int        `json:"version"`
	ExportedAt string     `json:"exported_at"`
	Period     *Period    `json:"period,omitempty"`
	Referrals  []Referral `json:"referrals"`
	OptOuts    []OptOut   `json:"opt_outs,omitempty"`
}

// Period is the half-open range of creation times an export covers.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Referral is one referral and its involvement history.
type Referral struct {
	Reference           string        `json:"reference"`
	Kind                string        `json:"kind"`
	Source              string        `json:"source"`
	Status              string        `json:"status"`
	LegalStatus         string        `json:"legal_status"`
	Person              Person        `json:"person"`
	Referrer            *Referrer     `json:"referrer,omitempty"`
	Language            string        `json:"language"`
	Interpreter         bool          `json:"interpreter"`
	BSL                 bool          `json:"bsl"`
	CommunicationNeeds  string        `json:"communication_needs,omitempty"`
	Contact             Contact       `json:"contact"`
	HelpWanted          string        `json:"help_wanted,omitempty"`
	Meetings            []Meeting     `json:"meetings"`
	WantsPrivateMeeting bool          `json:"wants_private_meeting"`
	Consent             Consent       `json:"consent"`
	Equality            Equality      `json:"equality"`
	Priority            Priority      `json:"priority"`
	AdvocateID          string        `json:"advocate_id,omitempty"`
	Timestamps          Timestamps    `json:"timestamps"`
	History             []HistoryItem `json:"history"`
}

// Person is who the advocate is for.
type Person struct {
	Name          string `json:"name,omitempty"`
	PreferredName string `json:"preferred_name,omitempty"`
	Ward          string `json:"ward,omitempty"`
	Hospital      string `json:"hospital,omitempty"`
	DateOfBirth   string `json:"date_of_birth,omitempty"`
}

// Referrer is who referred on the person's behalf.
type Referrer struct {
	Role    string `json:"role"`
	Name    string `json:"name,omitempty"`
	Contact string `json:"contact,omitempty"`
}

// Contact is how to get in touch.
type Contact struct {
	Method          string `json:"method"`
	Value           string `json:"value,omitempty"`
	BestTimes       string `json:"best_times,omitempty"`
	MayLeaveMessage bool   `json:"may_leave_message"`
}

// Meeting is a meeting the person wants support with.
type Meeting struct {
	Kind string `json:"kind"`
	Date string `json:"date,omitempty"`
}

// Consent is the agreement to keep and share the referral.
type Consent struct {
	Given               bool   `json:"given"`
	NotApplicableReason string `json:"not_applicable_reason,omitempty"`
}

// Equality is the optional monitoring section, in the person's own answers.
type Equality struct {
	AgeGroup       string   `json:"age_group,omitempty"`
	Ethnicity      string   `json:"ethnicity,omitempty"`
	MinorityEthnic string   `json:"minority_ethnic,omitempty"`
	Disabilities   []string `json:"disabilities"`
	OutOfArea      string   `json:"out_of_area,omitempty"`
}

// Priority is the queue priority at the last write.
type Priority struct {
	Flags []string `json:"flags"`
	Score int      `json:"score"`
}

// Timestamps are the lifecycle stamps (RFC 3339, UTC); empty ones are left out.
type Timestamps struct {
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	AcknowledgedAt string `json:"acknowledged_at,omitempty"`
	AllocatedAt    string `json:"allocated_at,omitempty"`
	FirstContactAt string `json:"first_contact_at,omitempty"`
	ClosedAt       string `json:"closed_at,omitempty"`
}

// HistoryItem is one audit log entry about the referral.
type HistoryItem struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

// OptOut is one opt-out in a person's records.
type OptOut struct {
	Reference  string `json:"reference,omitempty"`
	PersonName string `json:"person_name,omitempty"`
	Ward       string `json:"ward,omitempty"`
	Hospital   string `json:"hospital,omitempty"`
	Reason     string `json:"reason,omitempty"`
	RecordedBy string `json:"recorded_by"`
	CreatedAt  string `json:"created_at"`
	RevokedAt  string `json:"revoked_at,omitempty"`
	RevokedBy  string `json:"revoked_by,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// FromReferral converts a stored referral and its audit entries to the export format.
func FromReferral(r referral.Referral, history []referral.AuditEntry) Referral {
	out := Referral{
		Reference: r.Reference, Kind: string(r.Kind), Source: string(r.Source), Status: string(r.Status),
		LegalStatus: string(r.LegalStatus),
		Person: Person{Name: r.Person.Name, PreferredName: r.Person.PreferredName, Ward: r.Person.Ward,
			Hospital: r.Person.Hospital, DateOfBirth: date(r.Person.DateOfBirth)},
		Language: r.Language, Interpreter: r.Interpreter, BSL: r.BSL, CommunicationNeeds: r.CommunicationNeeds,
		Contact: Contact{Method: string(r.Contact.Method), Value: r.Contact.Value, BestTimes: r.Contact.BestTimes,
			MayLeaveMessage: r.Contact.MayLeaveMessage},
		HelpWanted: r.HelpWanted, Meetings: []Meeting{}, WantsPrivateMeeting: r.WantsPrivateMeeting,
		Consent: Consent{Given: r.Consent.Given, NotApplicableReason: r.Consent.NotApplicableReason},
		Equality: Equality{AgeGroup: string(r.Equality.AgeGroup), Ethnicity: r.Equality.Ethnicity,
			MinorityEthnic: string(r.Equality.MinorityEthnic), Disabilities: []string{}, OutOfArea: string(r.Equality.OutOfArea)},
		Priority:   Priority{Flags: r.Flags.Names(), Score: r.Priority},
		AdvocateID: r.AdvocateID,
		Timestamps: Timestamps{CreatedAt: stamp(r.CreatedAt), UpdatedAt: stamp(r.UpdatedAt),
			AcknowledgedAt: stamp(r.AcknowledgedAt), AllocatedAt: stamp(r.AllocatedAt),
			FirstContactAt: stamp(r.FirstContactAt), ClosedAt: stamp(r.ClosedAt)},
		History: []HistoryItem{},
	}
	if out.Priority.Flags == nil {
		out.Priority.Flags = []string{}
	}
	if r.Referrer != (referral.Referrer{}) {
		out.Referrer = &Referrer{Role: string(r.Referrer.Role), Name: r.Referrer.Name, Contact: r.Referrer.Contact}
	}
	for _, m := range r.Meetings {
		out.Meetings = append(out.Meetings, Meeting{Kind: string(m.Kind), Date: date(m.Date)})
	}
	for _, d := range r.Equality.Disabilities {
		out.Equality.Disabilities = append(out.Equality.Disabilities, string(d))
	}
	for _, e := range history {
		out.History = append(out.History, HistoryItem{At: stamp(e.At), Actor: e.Actor, Action: e.Action, Detail: e.Detail})
	}
	return out
}

// FromOptOut converts a stored opt-out to the export format.
func FromOptOut(o referral.OptOut) OptOut {
	return OptOut{Reference: o.Reference, PersonName: o.PersonName, Ward: o.Ward, Hospital: o.Hospital,
		Reason: o.Reason, RecordedBy: o.RecordedBy, CreatedAt: stamp(o.CreatedAt), RevokedAt: stamp(o.RevokedAt),
		RevokedBy: o.RevokedBy}
}

// Source is what an export reads.
type Source interface {
	store.RecordStore
	store.AuditStore
	store.ReferralStore
	store.OptOutStore
}

// History returns every audit entry about the referral with this reference, oldest first.
func History(ctx context.Context, s store.AuditStore, ref string) ([]referral.AuditEntry, error) {
	var out []referral.AuditEntry
	q := store.AuditQuery{Subject: referral.Subject(ref), Limit: store.MaxLimit}
	for {
		page, err := s.ListAudit(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		q.AfterID = page[len(page)-1].ID
	}
}

// Each calls fn with every referral created in [from, to), oldest first, with its history.
func Each(ctx context.Context, s Source, from, to time.Time, fn func(Referral) error) error {
	return store.EachReferral(ctx, s, from, to, func(r referral.Referral) error {
		h, err := History(ctx, s, r.Reference)
		if err != nil {
			return err
		}
		return fn(FromReferral(r, h))
	})
}

func header(now time.Time) Document {
	return Document{Schema: SchemaID, Format: Format, Version: Version, ExportedAt: stamp(now)}
}

// WriteJSON writes every referral created in [from, to) as one Document, streaming
// one referral at a time so years of records never sit in memory at once.
func WriteJSON(ctx context.Context, w io.Writer, s Source, from, to, now time.Time) error {
	doc := header(now)
	doc.Period = &Period{From: stamp(from), To: stamp(to)}
	head, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	// Marshal the envelope, then splice the referrals in where its empty array is.
	const empty = `"referrals":null`
	open, tail, ok := strings.Cut(string(head), empty)
	if !ok {
		return fmt.Errorf("records: envelope lacks %s", empty)
	}
	if _, err := io.WriteString(w, open+`"referrals":[`); err != nil {
		return err
	}
	n := 0
	err = Each(ctx, s, from, to, func(r Referral) error {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := io.WriteString(w, ",\n"); err != nil {
				return err
			}
		}
		n++
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "]"+tail+"\n")
	return err
}

// PersonRecords returns everything kept about the person with this reference (a subject
// access request): their referral with its history and the opt-outs naming it.
// store.ErrNotFound if there is no such referral.
func PersonRecords(ctx context.Context, s Source, ref string, now time.Time) (Document, error) {
	r, err := s.GetReferralByReference(ctx, ref)
	if err != nil {
		return Document{}, err
	}
	h, err := History(ctx, s, r.Reference)
	if err != nil {
		return Document{}, err
	}
	doc := header(now)
	doc.Referrals = []Referral{FromReferral(r, h)}
	opts, err := s.ListOptOuts(ctx, store.OptOutQuery{IncludeRevoked: true, Reference: r.Reference, Limit: store.MaxLimit})
	if err != nil {
		return Document{}, err
	}
	for _, o := range opts {
		doc.OptOuts = append(doc.OptOuts, FromOptOut(o))
	}
	return doc, nil
}
