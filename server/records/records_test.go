package records_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/imha-advocacy/imha/server/records"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/sqlite"
	"github.com/imha-advocacy/imha/server/store/storetest"
)

const schemaPath = "../../docs/records/referral.v1.schema.json"

// compileSchema uses santhosh-tekuri/jsonschema: it implements draft 2020-12 in full
// (it passes the official JSON-Schema-Test-Suite), asserts "format" when asked, has no
// dependencies outside the standard library and is actively maintained.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date and date-time are part of the contract, not hints
	if err := c.AddResource(records.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(records.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, b []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, b)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("export does not match the schema: %v\n%s", err, b)
	}
}

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// fixture stores referrals covering every optional part of the format.
func fixture(t *testing.T) (*sqlite.DB, []referral.Referral) {
	t.Helper()
	clock := storetest.NewClock(t0)
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "imha.db"), sqlite.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	full := referral.Referral{
		IdempotencyKey: "records-test-key-0001", Kind: referral.KindOnBehalf,
		Referrer: referral.Referrer{Role: referral.RoleCarer, Name: "Sam Carer", Contact: "07700 900123"},
		Person: referral.Person{Name: "=HYPERLINK(\"http://x\")", PreferredName: "Ali", Ward: "Willow", Hospital: "St Elsewhere",
			DateOfBirth: time.Date(1950, 3, 4, 0, 0, 0, 0, time.UTC)},
		LegalStatus: referral.LegalCTO, Language: "ur", Interpreter: true, BSL: true,
		CommunicationNeeds:  "Large print, please.\nSlowly.",
		Contact:             referral.Contact{Method: referral.ContactPhone, Value: "+44 7700 900456", BestTimes: "mornings", MayLeaveMessage: true},
		HelpWanted:          `I want to appeal, "soon", please`,
		Meetings:            []referral.Meeting{{Kind: referral.MeetingTribunal, Date: time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)}, {Kind: referral.MeetingWardRound}},
		WantsPrivateMeeting: true, Consent: referral.Consent{Given: true},
		Equality: referral.Equality{AgeGroup: referral.AgeOver65, Ethnicity: "Pakistani", MinorityEthnic: referral.AnswerYes,
			Disabilities: []referral.Disability{referral.DisabilityDementia, referral.DisabilityDeafOrSensory}, OutOfArea: referral.AnswerNo},
		Source: referral.SourceChat,
	}
	minimal := referral.Referral{
		IdempotencyKey: "records-test-key-0002", Kind: referral.KindAutomatic, Person: referral.Person{PreferredName: "Jo", Ward: "Oak"},
		LegalStatus: referral.LegalS3, Language: "en", Contact: referral.Contact{Method: referral.ContactViaStaff},
		Consent: referral.Consent{NotApplicableReason: "automatic referral under the opt-out model"}, Source: referral.SourceMHAOfficeAPI,
	}
	var out []referral.Referral
	for i, r := range []referral.Referral{full, minimal} {
		clock.Set(t0.AddDate(0, 0, i))
		saved, _, err := db.AddReferral(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, saved)
	}
	clock.Set(t0.AddDate(0, 0, 2))
	r := out[0]
	r, err = db.UpdateStatus(t.Context(), store.StatusChange{ID: r.ID, Version: r.Version, To: referral.StatusAcknowledged, Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = db.Allocate(t.Context(), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:9", Actor: "staff:1"}); err != nil {
		t.Fatal(err)
	}
	out[0] = r
	if _, err := db.AddOptOut(t.Context(), referral.OptOut{Reference: out[1].Reference, Reason: "I have one already", RecordedBy: "patient:kiosk"}); err != nil {
		t.Fatal(err)
	}
	return db, out
}

func TestJSONExportMatchesSchema(t *testing.T) {
	schema := compileSchema(t)
	db, refs := fixture(t)
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"all", time.Time{}, time.Time{}, []string{refs[0].Reference, refs[1].Reference}},
		{"first day", t0, t0.AddDate(0, 0, 1), []string{refs[0].Reference}},
		{"empty", t0.AddDate(1, 0, 0), t0.AddDate(2, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := records.WriteJSON(t.Context(), &buf, db, tt.from, tt.to, t0.AddDate(0, 1, 0)); err != nil {
				t.Fatal(err)
			}
			validate(t, schema, buf.Bytes())
			var doc records.Document
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range doc.Referrals {
				got = append(got, r.Reference)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("references = %v, want %v", got, tt.want)
			}
		})
	}

	var buf bytes.Buffer
	if err := records.WriteJSON(t.Context(), &buf, db, time.Time{}, time.Time{}, t0); err != nil {
		t.Fatal(err)
	}
	var doc records.Document
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Referrals[0]
	var actions []string
	for _, h := range r.History {
		actions = append(actions, h.Action)
	}
	if want := []string{"referral.created", "referral.status", "referral.allocated"}; !slices.Equal(actions, want) {
		t.Errorf("history = %v, want %v", actions, want)
	}
	if r.Person.DateOfBirth != "1950-03-04" || r.Timestamps.AllocatedAt == "" || r.AdvocateID != "staff:9" ||
		!slices.Contains(r.Priority.Flags, "cto") || r.Referrer == nil || r.Referrer.Role != "carer" {
		t.Errorf("referral = %+v", r)
	}
}

func TestPersonRecordsMatchSchema(t *testing.T) {
	schema := compileSchema(t)
	db, refs := fixture(t)
	// As typed by the person: lower case, no dash.
	doc, err := records.PersonRecords(t.Context(), db, strings.ToLower(strings.ReplaceAll(refs[1].Reference, "-", "")), t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, schema, b)
	if len(doc.Referrals) != 1 || len(doc.OptOuts) != 1 || doc.OptOuts[0].Reason != "I have one already" {
		t.Errorf("person records = %+v", doc)
	}
	if _, err := records.PersonRecords(t.Context(), db, "ZZZZ-ZZZZ", t0); err != store.ErrNotFound {
		t.Errorf("unknown reference: err = %v, want ErrNotFound", err)
	}
}

// TestSchemaEnumsMatchCode fails when a kind, status or flag is added in Go but not
// in the published schema (which would make valid exports fail validation).
func TestSchemaEnumsMatchCode(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			Referral struct {
				Properties map[string]struct {
					Enum       []string `json:"enum"`
					Properties map[string]struct {
						Items struct {
							Enum []string `json:"enum"`
						} `json:"items"`
					} `json:"properties"`
				} `json:"properties"`
			} `json:"referral"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	p := s.Defs.Referral.Properties
	strs := func(vs ...string) []string { slices.Sort(vs); return vs }
	conv := func(n int, f func(int) string) []string {
		var out []string
		for i := range n {
			out = append(out, f(i))
		}
		return strs(out...)
	}
	tests := []struct {
		name   string
		schema []string
		code   []string
	}{
		{"kind", p["kind"].Enum, conv(len(referral.Kinds), func(i int) string { return string(referral.Kinds[i]) })},
		{"status", p["status"].Enum, conv(len(referral.Statuses), func(i int) string { return string(referral.Statuses[i]) })},
		{"legal_status", p["legal_status"].Enum, conv(len(referral.LegalStatuses), func(i int) string { return string(referral.LegalStatuses[i]) })},
		{"flags", p["priority"].Properties["flags"].Items.Enum, strs(referral.Flags(1<<32 - 1).Names()...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strs(tt.schema...); !slices.Equal(got, tt.code) {
				t.Errorf("schema %v, code %v", got, tt.code)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	db, refs := fixture(t)
	var buf bytes.Buffer
	if err := records.WriteCSV(t.Context(), &buf, db, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\r\n") {
		t.Error("CSV lines do not end in CRLF (RFC 4180)")
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], records.CSVColumns) {
		t.Fatalf("rows = %d, header %v", len(rows), rows[0])
	}
	cell := func(row int, col string) string { return rows[row][slices.Index(records.CSVColumns, col)] }
	tests := []struct {
		row       int
		col, want string
	}{
		{1, "reference", refs[0].Reference},
		{1, "person_name", `'=HYPERLINK("http://x")`},
		{1, "contact_value", "'+44 7700 900456"},
		{1, "communication_needs", "Large print, please.\nSlowly."},
		{1, "help_wanted", `I want to appeal, "soon", please`},
		{1, "meetings", "tribunal 2025-03-20; ward_round"},
		{1, "disabilities", "dementia; deaf_or_sensory"},
		{1, "status", "allocated"},
		{1, "interpreter", "true"},
		{2, "kind", "automatic"},
		{2, "person_name", ""},
		{2, "priority_score", "0"},
	}
	for _, tt := range tests {
		if got := cell(tt.row, tt.col); got != tt.want {
			t.Errorf("row %d %s = %q, want %q", tt.row, tt.col, got, tt.want)
		}
	}
	if h := cell(1, "history"); strings.Count(h, "\n") != 2 || !strings.Contains(h, "referral.allocated") {
		t.Errorf("history = %q", h)
	}
}

func TestSafeCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+44 7700", "'+44 7700"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{"'already", "'already"},
		{"شكرا", "شكرا"},
	}
	for _, tt := range tests {
		if got := records.SafeCell(tt.in); got != tt.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSchemaRejects proves the schema is not vacuous: each change breaks the contract.
func TestSchemaRejects(t *testing.T) {
	schema := compileSchema(t)
	db, _ := fixture(t)
	var buf bytes.Buffer
	if err := records.WriteJSON(t.Context(), &buf, db, time.Time{}, time.Time{}, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(r map[string]any)
	}{
		{"unknown status", func(r map[string]any) { r["status"] = "lost" }},
		{"bad reference", func(r map[string]any) { r["reference"] = "ABCD-123I" }},
		{"bad date", func(r map[string]any) { r["person"].(map[string]any)["date_of_birth"] = "04/03/1950" }},
		{"unknown field", func(r map[string]any) { r["nhs_number"] = "x" }},
		{"missing history", func(r map[string]any) { delete(r, "history") }},
		{"name as actor", func(r map[string]any) { r["history"].([]any)[0].(map[string]any)["actor"] = "Jane Smith" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			tt.edit(doc["referrals"].([]any)[0].(map[string]any))
			b, _ := json.Marshal(doc)
			v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err := schema.Validate(v); err == nil {
				t.Error("schema accepted it")
			}
		})
	}
}
