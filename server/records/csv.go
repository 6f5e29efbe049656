package records

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVColumns is the CSV header, in its fixed order. New columns are only ever added
// at the end (see docs/records/README.md), so a spreadsheet built on column letters
// keeps working.
var CSVColumns = []string{
	"reference", "kind", "source", "status", "legal_status",
	"person_name", "preferred_name", "ward", "hospital", "date_of_birth",
	"referrer_role", "referrer_name", "referrer_contact",
	"language", "interpreter", "bsl", "communication_needs",
	"contact_method", "contact_value", "best_times", "may_leave_message",
	"help_wanted", "meetings", "wants_private_meeting",
	"consent_given", "consent_not_applicable_reason",
	"age_group", "ethnicity", "minority_ethnic", "disabilities", "out_of_area",
	"priority_flags", "priority_score", "advocate_id",
	"created_at", "updated_at", "acknowledged_at", "allocated_at", "first_contact_at", "closed_at",
	"history",
}

// Row returns r's cells in CSVColumns order, each made safe by SafeCell. Lists are
// joined with "; " and the history with newlines (a quoted cell may hold them).
func Row(r Referral) []string {
	var meetings, history []string
	for _, m := range r.Meetings {
		meetings = append(meetings, strings.TrimSpace(m.Kind+" "+m.Date))
	}
	for _, h := range r.History {
		history = append(history, strings.TrimSpace(h.At+" "+h.Actor+" "+h.Action+" "+h.Detail))
	}
	var ref Referrer
	if r.Referrer != nil {
		ref = *r.Referrer
	}
	b := strconv.FormatBool
	cells := []string{
		r.Reference, r.Kind, r.Source, r.Status, r.LegalStatus,
		r.Person.Name, r.Person.PreferredName, r.Person.Ward, r.Person.Hospital, r.Person.DateOfBirth,
		ref.Role, ref.Name, ref.Contact,
		r.Language, b(r.Interpreter), b(r.BSL), r.CommunicationNeeds,
		r.Contact.Method, r.Contact.Value, r.Contact.BestTimes, b(r.Contact.MayLeaveMessage),
		r.HelpWanted, strings.Join(meetings, "; "), b(r.WantsPrivateMeeting),
		b(r.Consent.Given), r.Consent.NotApplicableReason,
		r.Equality.AgeGroup, r.Equality.Ethnicity, r.Equality.MinorityEthnic, strings.Join(r.Equality.Disabilities, "; "), r.Equality.OutOfArea,
		strings.Join(r.Priority.Flags, "; "), strconv.Itoa(r.Priority.Score), r.AdvocateID,
		r.Timestamps.CreatedAt, r.Timestamps.UpdatedAt, r.Timestamps.AcknowledgedAt, r.Timestamps.AllocatedAt,
		r.Timestamps.FirstContactAt, r.Timestamps.ClosedAt,
		strings.Join(history, "\n"),
	}
	for i, c := range cells {
		cells[i] = SafeCell(c)
	}
	return cells
}

// SafeCell defuses spreadsheet formula injection (CWE-1236): a cell that starts with
// = + - @ (or a tab or carriage return, which some spreadsheets skip before looking
// for a formula) gets a leading apostrophe, which spreadsheets show as text and do
// not evaluate. The apostrophe is visible to programs reading the CSV: strip one
// leading "'" before such a character to recover the original. A free-text answer
// like "=HYPERLINK(...)" or a phone number "+44..." is the reason.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// WriteCSV writes every referral created in [from, to) as RFC 4180 CSV (comma
// separated, CRLF line ends, quotes doubled), header first, oldest first.
func WriteCSV(ctx context.Context, w io.Writer, s Source, from, to time.Time) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	err := Each(ctx, s, from, to, func(r Referral) error { return cw.Write(Row(r)) })
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
