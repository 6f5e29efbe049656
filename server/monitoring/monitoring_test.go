package monitoring_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/monitoring"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
	"github.com/imha-advocacy/imha/server/store/postgres"
	"github.com/imha-advocacy/imha/server/store/postgres/pgtest"
	"github.com/imha-advocacy/imha/server/store/sqlite"
	"github.com/imha-advocacy/imha/server/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWorkingDays(t *testing.T) {
	c := monitoring.Config{Holidays: map[string]bool{"2025-04-18": true, "2025-04-21": true}} // Good Friday, Easter Monday
	tests := []struct {
		name     string
		from, to string
		n        int    // WorkingDaysBetween(from, to)
		deadline string // AddWorkingDays(from, 5)
	}{
		{"same day", "2025-03-03T09:00:00Z", "2025-03-03T17:00:00Z", 0, "2025-03-10T23:59:59.999999999Z"},
		{"over a weekend", "2025-03-07T16:00:00Z", "2025-03-10T09:00:00Z", 1, "2025-03-14T23:59:59.999999999Z"},
		{"referred on a Saturday", "2025-03-08T10:00:00Z", "2025-03-10T10:00:00Z", 1, "2025-03-14T23:59:59.999999999Z"},
		{"over Easter", "2025-04-17T10:00:00Z", "2025-04-22T10:00:00Z", 1, "2025-04-28T23:59:59.999999999+01:00"},
		// 23:30 UTC on 30 June is already 1 July in London (BST).
		{"London day boundary", "2025-06-30T23:30:00Z", "2025-07-01T09:00:00Z", 0, "2025-07-08T23:59:59.999999999+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := monitoring.WorkingDaysBetween(at(tt.from), at(tt.to), c); got != tt.n {
				t.Errorf("WorkingDaysBetween = %d, want %d", got, tt.n)
			}
			want, err := time.Parse(time.RFC3339Nano, tt.deadline)
			if err != nil {
				t.Fatal(err)
			}
			if got := monitoring.AddWorkingDays(at(tt.from), 5, c); !got.Equal(want) {
				t.Errorf("AddWorkingDays = %s, want %s", got, want)
			}
		})
	}
}

var (
	periodFrom = at("2025-03-01T00:00:00Z")
	periodTo   = at("2025-04-01T00:00:00Z")
	reportAt   = at("2025-03-31T12:00:00Z")
)

func base(key string) referral.Referral {
	return referral.Referral{
		IdempotencyKey: "monitoring-key-" + key, Kind: referral.KindSelf,
		Person:      referral.Person{Name: "Alex Example", Ward: "Willow"},
		LegalStatus: referral.LegalS3, Language: "en", Contact: referral.Contact{Method: referral.ContactInPerson},
		Consent: referral.Consent{Given: true}, Source: referral.SourceKiosk,
	}
}

// fixture stores a month of referrals whose report is worked out by hand below.
func fixture(t *testing.T, s store.Store, c *storetest.Clock) {
	t.Helper()
	add := func(when string, r referral.Referral) referral.Referral {
		c.Set(at(when))
		saved, _, err := s.AddReferral(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	step := func(r referral.Referral, to referral.Status, when string) referral.Referral {
		c.Set(at(when))
		var err error
		if to == referral.StatusAllocated {
			r, err = s.Allocate(t.Context(), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:2", Actor: "staff:1"})
		} else {
			r, err = s.UpdateStatus(t.Context(), store.StatusChange{ID: r.ID, Version: r.Version, To: to, Actor: "staff:1"})
		}
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	contact := func(r referral.Referral, when string) {
		r = step(r, referral.StatusAcknowledged, when)
		r = step(r, referral.StatusAllocated, when)
		step(r, referral.StatusContacted, when)
	}

	// r1: CTO, Polish with an interpreter, contacted after 2 working days.
	r1 := base("0000001")
	r1.LegalStatus, r1.Language, r1.Interpreter = referral.LegalCTO, "pl", true
	contact(add("2025-03-03T09:00:00Z", r1), "2025-03-05T11:00:00Z")
	// r2: automatic, BSL, contacted after 6 working days: promise missed.
	r2 := base("0000002")
	r2.Kind, r2.Consent, r2.BSL, r2.Source = referral.KindAutomatic, referral.Consent{NotApplicableReason: "opt-out model"}, true, referral.SourceMHAOfficeAPI
	saved2 := add("2025-03-04T09:00:00Z", r2)
	contact(saved2, "2025-03-12T10:00:00Z")
	// r3: under 18, withdrawn: not judged against the promise.
	r3 := base("0000003")
	r3.Equality.AgeGroup = referral.AgeUnder18
	step(add("2025-03-05T09:00:00Z", r3), referral.StatusWithdrawn, "2025-03-06T09:00:00Z")
	// r4: non-instructed, never contacted, promise ran out.
	r4 := base("0000004")
	r4.Kind, r4.Consent = referral.KindNonInstructed, referral.Consent{NotApplicableReason: "cannot instruct"}
	add("2025-03-06T09:00:00Z", r4)
	// r5: minority ethnic, Urdu with an interpreter, made 3 days before the report: still in time.
	r5 := base("0000005")
	r5.Equality.MinorityEthnic, r5.Language, r5.Interpreter = referral.AnswerYes, "ur", true
	add("2025-03-28T09:00:00Z", r5)
	// Outside the period.
	add("2025-04-10T09:00:00Z", base("0000006"))

	c.Set(at("2025-03-05T12:00:00Z"))
	if _, err := s.AddOptOut(t.Context(), referral.OptOut{Reference: saved2.Reference, RecordedBy: "patient:kiosk"}); err != nil {
		t.Fatal(err)
	}
	o, err := s.AddOptOut(t.Context(), referral.OptOut{PersonName: "Sam Example", Ward: "Ash", RecordedBy: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(at("2025-03-07T12:00:00Z"))
	if _, err := s.RevokeOptOut(t.Context(), o.ID, "staff:1"); err != nil {
		t.Fatal(err)
	}
	for i, helpful := range []bool{true, true, false} {
		c.Set(at("2025-03-10T12:00:00Z"))
		if _, _, err := s.AddFeedback(t.Context(), store.Feedback{Key: "monitoring-fb-00000" + string(rune('a'+i)),
			PageID: "saying-no", Lang: "en", Variant: store.VariantStandard, Helpful: helpful}); err != nil {
			t.Fatal(err)
		}
	}
}

func group(key string, refs, auto, withdrawn, contacted, measured, within int, median float64) monitoring.Group {
	return monitoring.Group{Key: key, Referrals: refs, Automatic: auto, Withdrawn: withdrawn, Contacted: contacted,
		Measured: measured, WithinPromise: within, MedianWorkingDays: median}
}

func check(t *testing.T, r monitoring.Report) {
	t.Helper()
	counts := func(name string, got []monitoring.Count, want map[string]int) {
		for _, c := range got {
			if c.N != want[c.Key] {
				t.Errorf("%s %s = %d, want %d", name, c.Key, c.N, want[c.Key])
			}
		}
	}
	counts("kind", r.ByKind, map[string]int{"self": 3, "non_instructed": 1, "automatic": 1})
	counts("source", r.BySource, map[string]int{"kiosk": 4, "mha_office_api": 1})
	if want := (monitoring.Uptake{Automatic: 1, OptOuts: 2, OptOutsInForce: 1}); r.Uptake != want {
		t.Errorf("uptake = %+v, want %+v", r.Uptake, want)
	}
	groups := func(name string, got, want []monitoring.Group) {
		if len(got) != len(want) {
			t.Errorf("%s: %d rows %+v, want %d", name, len(got), got, len(want))
			return
		}
		for i := range want {
			g := got[i]
			g.Kinds, g.Sources = [4]int{}, [6]int{} // checked below
			if g != want[i] {
				t.Errorf("%s row %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
	groups("all", []monitoring.Group{r.All}, []monitoring.Group{group("all", 5, 1, 1, 2, 3, 1, 4)})
	groups("groups", r.ByGroup, []monitoring.Group{
		group("cto", 1, 0, 0, 1, 1, 1, 2),
		group("under_18", 1, 0, 1, 0, 0, 0, -1),
		group("over_65", 0, 0, 0, 0, 0, 0, -1),
		group("learning_disability", 0, 0, 0, 0, 0, 0, -1),
		group("deaf_or_sensory", 1, 1, 0, 1, 1, 0, 6),
		group("minority_ethnicity", 1, 0, 0, 0, 0, 0, -1),
		group("out_of_area", 0, 0, 0, 0, 0, 0, -1),
		group("non_instructed", 1, 0, 0, 0, 1, 0, -1),
		group("meeting_soon", 0, 0, 0, 0, 0, 0, -1),
		group("none", 0, 0, 0, 0, 0, 0, -1),
	})
	groups("languages", r.ByLanguage, []monitoring.Group{
		group("en", 3, 1, 1, 1, 2, 0, 6), group("pl", 1, 0, 0, 1, 1, 1, 2), group("ur", 1, 0, 0, 0, 0, 0, -1),
	})
	groups("needs", r.ByNeed, []monitoring.Group{
		group("interpreter", 2, 0, 0, 1, 1, 1, 2), group("bsl", 1, 1, 0, 1, 1, 0, 6), group("neither", 2, 0, 1, 0, 1, 0, -1),
	})
	if want := [4]int{3, 0, 1, 1}; r.All.Kinds != want {
		t.Errorf("all by kind = %v, want %v", r.All.Kinds, want)
	}
	if want := [6]int{4, 0, 0, 0, 1, 0}; r.All.Sources != want {
		t.Errorf("all by channel = %v, want %v", r.All.Sources, want)
	}
	deaf := r.ByGroup[4]
	if deaf.Kinds != [4]int{0, 0, 0, 1} || deaf.Sources != [6]int{0, 0, 0, 0, 1, 0} {
		t.Errorf("deaf_or_sensory by kind %v, by channel %v", deaf.Kinds, deaf.Sources)
	}
	if r.FeedbackHelpful != 2 || r.FeedbackNotHelpful != 1 || len(r.Feedback) != 1 {
		t.Errorf("feedback = %d/%d %+v", r.FeedbackHelpful, r.FeedbackNotHelpful, r.Feedback)
	}
}

// TestBuild runs the same fixture through both stores: the aggregate queries must
// agree with each other and with the hand-worked figures.
func TestBuild(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T, now func() time.Time) store.Store
	}{
		{"sqlite", func(t *testing.T, now func() time.Time) store.Store {
			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "imha.db"), sqlite.WithClock(now))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{"postgres", func(t *testing.T, now func() time.Time) store.Store {
			db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t), postgres.WithClock(now))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			c := storetest.NewClock(periodFrom)
			s := st.open(t, c.Now)
			defer s.Close()
			fixture(t, s, c)
			r, err := monitoring.Build(t.Context(), s, periodFrom, periodTo, reportAt, monitoring.Config{})
			if err != nil {
				t.Fatal(err)
			}
			check(t, r)
			html, err := monitoring.RenderHTML(r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, string(html))
		})
	}
}

func golden(t *testing.T, html string) {
	t.Helper()
	path := filepath.Join("testdata", "report.html")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./server/monitoring -update to create it)", err)
	}
	if html != string(want) {
		t.Errorf("report differs from %s:\n%s", path, html)
	}
	if regexp.MustCompile(`(?i)\sstyle=|<style|<script`).MatchString(html) {
		t.Error("inline style or script: the CSP would block it")
	}
	tables, captions := strings.Count(html, "<table"), strings.Count(html, "<caption>")
	if tables != 9 || captions != tables {
		t.Errorf("%d tables, %d captions", tables, captions)
	}
	if strings.Contains(html, "<th>") {
		t.Error("a header cell without scope")
	}
	if n := strings.Count(html, `role="img"`); n != 7 {
		t.Errorf("%d charts, want 7", n)
	}
}
