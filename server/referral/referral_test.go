package referral_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
)

func valid() referral.Referral {
	return referral.Referral{
		IdempotencyKey: "ref-key-0000000001",
		Kind:           referral.KindSelf,
		Person:         referral.Person{Name: "Alex", Ward: "Willow", Hospital: "St Elsewhere"},
		LegalStatus:    referral.LegalS3,
		Language:       "en",
		Contact:        referral.Contact{Method: referral.ContactInPerson},
		Consent:        referral.Consent{Given: true},
		Source:         referral.SourceKiosk,
	}
}

func TestTransitions(t *testing.T) {
	allowed := map[[2]referral.Status]bool{
		{"new", "acknowledged"}:       true,
		{"acknowledged", "allocated"}: true,
		{"allocated", "contacted"}:    true,
		{"contacted", "closed"}:       true,
		{"new", "withdrawn"}:          true,
		{"acknowledged", "withdrawn"}: true,
		{"allocated", "withdrawn"}:    true,
		{"contacted", "withdrawn"}:    true,
	}
	all := append(append([]referral.Status{}, referral.Statuses...), "", "bogus")
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]referral.Status{from, to}]
			t.Run(string(from)+"→"+string(to), func(t *testing.T) {
				if got := referral.CanTransition(from, to); got != want {
					t.Errorf("CanTransition = %v, want %v", got, want)
				}
				err := referral.CheckTransition(from, to)
				if want != (err == nil) || (err != nil && !errors.Is(err, referral.ErrTransition)) {
					t.Errorf("CheckTransition = %v, want allowed=%v", err, want)
				}
			})
		}
	}
}

func TestEligibility(t *testing.T) {
	tests := []struct {
		status   string
		informal bool
		want     referral.Eligibility
	}{
		{"s2", false, referral.Eligible},
		{"s3", false, referral.Eligible},
		{"s37_41", false, referral.Eligible},
		{"s47_49", false, referral.Eligible},
		{"s48_49", false, referral.Eligible},
		{"s35", false, referral.Eligible},
		{"s36", false, referral.Eligible},
		{"s38", false, referral.Eligible},
		{"cto", false, referral.Eligible},
		{"guardianship", false, referral.Eligible},
		{"conditional_discharge", false, referral.Eligible},
		{"informal_s57", false, referral.Eligible},
		{"informal_u18_ect", false, referral.Eligible},
		{"informal", false, referral.NotEligible},
		{"informal", true, referral.Eligible},
		{"s4", false, referral.NotEligible},
		{"s5_2", true, referral.NotEligible},
		{"s5_4", false, referral.NotEligible},
		{"s135", false, referral.NotEligible},
		{"s136", false, referral.NotEligible},
		{"not_sure", false, referral.CheckNeeded},
		{"", false, referral.CheckNeeded},
		{"S3", false, referral.CheckNeeded},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			if got := referral.CheckEligibility(tt.status, referral.Policy{InformalEligible: tt.informal}); got != tt.want {
				t.Errorf("CheckEligibility(%q, informal=%v) = %s, want %s", tt.status, tt.informal, got, tt.want)
			}
		})
	}
	for _, s := range referral.LegalStatuses {
		if got := referral.CheckEligibility(string(s), referral.Policy{InformalEligible: true}); got == referral.NotEligible {
			t.Errorf("stored legal status %s is never eligible; it should not be in the list", s)
		}
	}
}

func TestAssess(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 11, 24+d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		modify func(r *referral.Referral)
		want   referral.Flags
	}{
		{"none", func(*referral.Referral) {}, 0},
		{"cto", func(r *referral.Referral) { r.LegalStatus = referral.LegalCTO }, referral.FlagCTO},
		{"age group under 18", func(r *referral.Referral) { r.Equality.AgeGroup = referral.AgeUnder18 }, referral.FlagUnder18},
		{"age group over 65", func(r *referral.Referral) { r.Equality.AgeGroup = referral.AgeOver65 }, referral.FlagOver65},
		{"dob 17 tomorrow 18", func(r *referral.Referral) { r.Person.DateOfBirth = time.Date(2008, 11, 25, 0, 0, 0, 0, time.UTC) }, referral.FlagUnder18},
		{"dob 18 today", func(r *referral.Referral) { r.Person.DateOfBirth = time.Date(2008, 11, 24, 0, 0, 0, 0, time.UTC) }, 0},
		{"dob 65 today", func(r *referral.Referral) { r.Person.DateOfBirth = time.Date(1961, 11, 24, 0, 0, 0, 0, time.UTC) }, referral.FlagOver65},
		{"dob beats age group", func(r *referral.Referral) {
			r.Person.DateOfBirth = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
			r.Equality.AgeGroup = referral.AgeOver65
		}, 0},
		{"ect under 18", func(r *referral.Referral) { r.LegalStatus = referral.LegalInformalU18ECT }, referral.FlagUnder18},
		{"learning disability", func(r *referral.Referral) {
			r.Equality.Disabilities = []referral.Disability{referral.DisabilityLearning, referral.DisabilityPhysical}
		}, referral.FlagLearningDisability},
		{"deaf", func(r *referral.Referral) {
			r.Equality.Disabilities = []referral.Disability{referral.DisabilityDeafOrSensory}
		}, referral.FlagDeafOrSensory},
		{"bsl", func(r *referral.Referral) { r.BSL = true }, referral.FlagDeafOrSensory},
		{"minority ethnic self-identified", func(r *referral.Referral) { r.Equality.MinorityEthnic = referral.AnswerYes }, referral.FlagMinorityEthnicity},
		{"ethnicity text alone never classifies", func(r *referral.Referral) { r.Equality.Ethnicity = "Somali" }, 0},
		{"minority prefer not to say", func(r *referral.Referral) { r.Equality.MinorityEthnic = referral.AnswerPreferNotToSay }, 0},
		{"out of area", func(r *referral.Referral) { r.Equality.OutOfArea = referral.AnswerYes }, referral.FlagOutOfArea},
		{"out of area no", func(r *referral.Referral) { r.Equality.OutOfArea = referral.AnswerNo }, 0},
		{"non-instructed", func(r *referral.Referral) { r.Kind = referral.KindNonInstructed }, referral.FlagNonInstructed},
		{"meeting today", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "cpa", Date: day(0)}} }, referral.FlagMeetingSoon},
		{"meeting in 6 days", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "tribunal", Date: day(6)}} }, referral.FlagMeetingSoon},
		{"meeting in 7 days", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "tribunal", Date: day(7)}} }, 0},
		{"meeting yesterday", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "tribunal", Date: day(-1)}} }, 0},
		{"meeting undated", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "ward_round"}} }, 0},
		{"several", func(r *referral.Referral) {
			r.LegalStatus = referral.LegalCTO
			r.Kind = referral.KindNonInstructed
			r.Meetings = []referral.Meeting{{Kind: "other", Date: day(30)}, {Kind: "cpa", Date: day(2)}}
		}, referral.FlagCTO | referral.FlagNonInstructed | referral.FlagMeetingSoon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.modify(&r)
			if got := referral.Assess(r, now); got != tt.want {
				t.Errorf("Assess = %v, want %v", got.Names(), tt.want.Names())
			}
		})
	}
}

func TestScoreAndNames(t *testing.T) {
	all := referral.Flags(0)
	for _, n := range []string{"cto", "under_18", "over_65", "learning_disability", "deaf_or_sensory",
		"minority_ethnicity", "out_of_area", "non_instructed", "meeting_soon"} {
		f, ok := referral.ParseFlag(n)
		if !ok || f.Score() <= 0 {
			t.Errorf("ParseFlag(%q) = %v, %v; want a flag with positive weight", n, f, ok)
		}
		all |= f
	}
	if all.Score() != referral.MaxScore {
		t.Errorf("all flags score %d, MaxScore %d", all.Score(), referral.MaxScore)
	}
	if _, ok := referral.ParseFlag("bogus"); ok {
		t.Error("ParseFlag(bogus) ok")
	}
	if referral.FlagMeetingSoon.Score() <= referral.FlagCTO.Score() {
		t.Error("a meeting within a week should outrank any single group flag")
	}
}

func TestReference(t *testing.T) {
	ref, err := referral.NewReference(bytes.NewReader([]byte{0, 1, 2, 3, 28, 29, 30, 31}))
	if err != nil || ref != "0123-WXYZ" {
		t.Fatalf("NewReference = %q, %v", ref, err)
	}
	for range 100 {
		ref, err := referral.NewReference(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := referral.ParseReference(ref); !ok || got != ref || strings.ContainsAny(ref, "ILOU") {
			t.Fatalf("reference %q does not round-trip or contains an ambiguous letter", ref)
		}
	}
	tests := []struct{ in, want string }{
		{"abcd-1234", "ABCD-1234"},
		{"ABCD1234", "ABCD-1234"},
		{" ab cd 12 34 ", "ABCD-1234"},
		{"oBlI-0000", "0B11-0000"},
		{"ABCD-123", ""},
		{"ABCD-12345", ""},
		{"ABCU-1234", ""},
		{"ABCD-12é4", ""},
	}
	for _, tt := range tests {
		got, ok := referral.ParseReference(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ب", n) }
	tests := []struct {
		name   string
		modify func(r *referral.Referral)
		field  string // "" means valid
		code   string
	}{
		{"valid", func(*referral.Referral) {}, "", ""},
		{"key missing", func(r *referral.Referral) { r.IdempotencyKey = "" }, "idempotency_key", referral.CodeRequired},
		{"key short", func(r *referral.Referral) { r.IdempotencyKey = "abc" }, "idempotency_key", referral.CodeTooShort},
		{"key bad", func(r *referral.Referral) { r.IdempotencyKey = "abc def ghi jkl mno" }, "idempotency_key", referral.CodeInvalid},
		{"kind missing", func(r *referral.Referral) { r.Kind = "" }, "kind", referral.CodeRequired},
		{"kind bad", func(r *referral.Referral) { r.Kind = "friend" }, "kind", referral.CodeInvalid},
		{"referrer on self", func(r *referral.Referral) { r.Referrer.Name = "Sam" }, "referrer", referral.CodeNotAllowed},
		{"on behalf no role", func(r *referral.Referral) { r.Kind = referral.KindOnBehalf }, "referrer.role", referral.CodeRequired},
		{"on behalf no name", func(r *referral.Referral) {
			r.Kind, r.Referrer.Role = referral.KindOnBehalf, referral.RoleCarer
		}, "referrer.name", referral.CodeRequired},
		{"on behalf ok", func(r *referral.Referral) {
			r.Kind, r.Referrer = referral.KindOnBehalf, referral.Referrer{Role: referral.RoleNearestRelative, Name: "Sam"}
		}, "", ""},
		{"no name", func(r *referral.Referral) { r.Person.Name = "  " }, "person.name", referral.CodeRequired},
		{"preferred name only", func(r *referral.Referral) { r.Person.Name, r.Person.PreferredName = "", "Al" }, "", ""},
		{"name 100", func(r *referral.Referral) { r.Person.Name = long(100) }, "", ""},
		{"name 101", func(r *referral.Referral) { r.Person.Name = long(101) }, "person.name", referral.CodeTooLong},
		{"name NUL", func(r *referral.Referral) { r.Person.Name = "A\x00" }, "person.name", referral.CodeInvalid},
		{"name control", func(r *referral.Referral) { r.Person.Name = "A\x1b[31m" }, "person.name", referral.CodeInvalid},
		{"name bad utf8", func(r *referral.Referral) { r.Person.Name = "A\xff" }, "person.name", referral.CodeInvalid},
		{"ward 101", func(r *referral.Referral) { r.Person.Ward = long(101) }, "person.ward", referral.CodeTooLong},
		{"hospital 151", func(r *referral.Referral) { r.Person.Hospital = long(151) }, "person.hospital", referral.CodeTooLong},
		{"dob silly", func(r *referral.Referral) { r.Person.DateOfBirth = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC) }, "person.date_of_birth", referral.CodeInvalid},
		{"legal missing", func(r *referral.Referral) { r.LegalStatus = "" }, "legal_status", referral.CodeRequired},
		{"legal s136 not storable", func(r *referral.Referral) { r.LegalStatus = "s136" }, "legal_status", referral.CodeInvalid},
		{"legal informal storable", func(r *referral.Referral) { r.LegalStatus = referral.LegalInformal }, "", ""},
		{"language missing", func(r *referral.Referral) { r.Language = "" }, "language", referral.CodeRequired},
		{"language bad", func(r *referral.Referral) { r.Language = "en_GB" }, "language", referral.CodeInvalid},
		{"communication 1001", func(r *referral.Referral) { r.CommunicationNeeds = long(1001) }, "communication_needs", referral.CodeTooLong},
		{"contact missing", func(r *referral.Referral) { r.Contact.Method = "" }, "contact.method", referral.CodeRequired},
		{"contact bad", func(r *referral.Referral) { r.Contact.Method = "pigeon" }, "contact.method", referral.CodeInvalid},
		{"in person no place", func(r *referral.Referral) { r.Person.Ward, r.Person.Hospital = "", "" }, "person.ward", referral.CodeRequired},
		{"phone missing", func(r *referral.Referral) { r.Contact.Method = referral.ContactPhone }, "contact.value", referral.CodeRequired},
		{"phone ok", func(r *referral.Referral) {
			r.Contact = referral.Contact{Method: referral.ContactPhone, Value: "+44 (0)7700 900123"}
		}, "", ""},
		{"phone letters", func(r *referral.Referral) {
			r.Contact = referral.Contact{Method: referral.ContactText, Value: "call me"}
		}, "contact.value", referral.CodeInvalid},
		{"email ok", func(r *referral.Referral) {
			r.Contact = referral.Contact{Method: referral.ContactEmail, Value: "a@b.example"}
		}, "", ""},
		{"email bad", func(r *referral.Referral) { r.Contact = referral.Contact{Method: referral.ContactEmail, Value: "a@"} }, "contact.value", referral.CodeInvalid},
		{"best times 201", func(r *referral.Referral) { r.Contact.BestTimes = long(201) }, "contact.best_times", referral.CodeTooLong},
		{"help 2000", func(r *referral.Referral) { r.HelpWanted = long(2000) }, "", ""},
		{"help 2001", func(r *referral.Referral) { r.HelpWanted = long(2001) }, "help_wanted", referral.CodeTooLong},
		{"meetings 11", func(r *referral.Referral) { r.Meetings = make([]referral.Meeting, 11) }, "meetings", referral.CodeTooMany},
		{"meeting kind", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: "cpa"}, {Kind: "party"}} }, "meetings.1.kind", referral.CodeInvalid},
		{"self without consent", func(r *referral.Referral) { r.Consent.Given = false }, "consent.given", referral.CodeRequired},
		{"automatic with consent", func(r *referral.Referral) { r.Kind = referral.KindAutomatic }, "consent.given", referral.CodeNotAllowed},
		{"automatic without reason", func(r *referral.Referral) {
			r.Kind, r.Consent = referral.KindAutomatic, referral.Consent{}
		}, "consent.not_applicable_reason", referral.CodeRequired},
		{"non-instructed with reason", func(r *referral.Referral) {
			r.Kind, r.Consent = referral.KindNonInstructed, referral.Consent{NotApplicableReason: "lacks capacity to instruct"}
		}, "", ""},
		{"age group bad", func(r *referral.Referral) { r.Equality.AgeGroup = "teen" }, "equality.age_group", referral.CodeInvalid},
		{"ethnicity 101", func(r *referral.Referral) { r.Equality.Ethnicity = long(101) }, "equality.ethnicity", referral.CodeTooLong},
		{"minority bad", func(r *referral.Referral) { r.Equality.MinorityEthnic = "maybe" }, "equality.minority_ethnic", referral.CodeInvalid},
		{"out of area bad", func(r *referral.Referral) { r.Equality.OutOfArea = "true" }, "equality.out_of_area", referral.CodeInvalid},
		{"disability none plus", func(r *referral.Referral) {
			r.Equality.Disabilities = []referral.Disability{referral.DisabilityNone, referral.DisabilityLearning}
		}, "equality.disabilities", referral.CodeNotAllowed},
		{"disability duplicate", func(r *referral.Referral) {
			r.Equality.Disabilities = []referral.Disability{referral.DisabilityLearning, referral.DisabilityLearning}
		}, "equality.disabilities", referral.CodeInvalid},
		{"source missing", func(r *referral.Referral) { r.Source = "" }, "source", referral.CodeRequired},
		{"source bad", func(r *referral.Referral) { r.Source = "fax" }, "source", referral.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.modify(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *referral.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || ve.Code != tt.code {
				t.Fatalf("Validate = %v, want %s/%s", err, tt.field, tt.code)
			}
		})
	}
}

func TestSameContent(t *testing.T) {
	base := valid()
	base.Meetings = []referral.Meeting{{Kind: "cpa", Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}
	tests := []struct {
		name   string
		modify func(r *referral.Referral)
		same   bool
	}{
		{"identical", func(*referral.Referral) {}, true},
		{"whitespace", func(r *referral.Referral) { r.Person.Name = " Alex\n" }, true},
		{"store fields", func(r *referral.Referral) { r.ID, r.Reference, r.Status, r.Version = 9, "AAAA-BBBB", "closed", 4 }, true},
		{"date in another zone", func(r *referral.Referral) {
			r.Meetings = []referral.Meeting{{Kind: "cpa", Date: time.Date(2026, 12, 1, 23, 30, 0, 0, time.FixedZone("X", -3600))}}
		}, true},
		{"ethnicity typed prefer not", func(r *referral.Referral) { r.Equality.Ethnicity = "Prefer not to say" }, false},
		{"name", func(r *referral.Referral) { r.Person.Name = "Alexa" }, false},
		{"meeting", func(r *referral.Referral) { r.Meetings = nil }, false},
		{"bsl", func(r *referral.Referral) { r.BSL = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.modify(&r)
			if got := referral.SameContent(base, r); got != tt.same {
				t.Errorf("SameContent = %v, want %v", got, tt.same)
			}
		})
	}
	n := valid()
	n.Equality.Ethnicity = "prefer-not-to-say"
	if got := n.Normalize().Equality.Ethnicity; got != referral.PreferNotToSay {
		t.Errorf("typed prefer-not-to-say normalized to %q", got)
	}
}

func TestOptOutAndAuditValidate(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"optout by name", referral.OptOut{PersonName: "Alex", Ward: "Willow", RecordedBy: "staff:1"}.Validate(), ""},
		{"optout by reference", referral.OptOut{Reference: "abcd1234", RecordedBy: "patient:kiosk"}.Validate(), ""},
		{"optout bad reference", referral.OptOut{Reference: "nope", RecordedBy: "staff:1"}.Validate(), "reference"},
		{"optout no one", referral.OptOut{RecordedBy: "staff:1"}.Validate(), "person_name"},
		{"optout no place", referral.OptOut{PersonName: "Alex", RecordedBy: "staff:1"}.Validate(), "ward"},
		{"optout no recorder", referral.OptOut{Reference: "ABCD-1234"}.Validate(), "recorded_by"},
		{"optout recorder is a name", referral.OptOut{Reference: "ABCD-1234", RecordedBy: "Jane Smith"}.Validate(), "recorded_by"},
		{"audit ok", referral.AuditEntry{Actor: "staff:42", Action: "referral.status", Subject: "referral:ABCD-1234", Detail: "new → acknowledged"}.Validate(), ""},
		{"audit no actor", referral.AuditEntry{Action: "x"}.Validate(), "actor"},
		{"audit bad action", referral.AuditEntry{Actor: "system", Action: "Drop Table"}.Validate(), "action"},
		{"audit bad subject", referral.AuditEntry{Actor: "system", Action: "x", Subject: "Alex Smith"}.Validate(), "subject"},
		{"audit long detail", referral.AuditEntry{Actor: "system", Action: "x", Detail: strings.Repeat("d", 501)}.Validate(), "detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *referral.ValidationError
			if tt.field == "" {
				if tt.err != nil {
					t.Fatalf("err = %v, want nil", tt.err)
				}
			} else if !errors.As(tt.err, &ve) || ve.Field != tt.field {
				t.Fatalf("err = %v, want a ValidationError on %s", tt.err, tt.field)
			}
		})
	}
}
