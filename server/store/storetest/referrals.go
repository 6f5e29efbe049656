package storetest

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// referralTests are the referral-queue cases of the suite.
var referralTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ReferralAddAndGet", testReferralAddAndGet},
	{"ReferralIdempotentRetry", testReferralIdempotentRetry},
	{"ReferralConcurrentRetries", testReferralConcurrentRetries},
	{"ReferralValidation", testReferralValidation},
	{"ReferralHostileText", testReferralHostileText},
	{"ReferralLifecycle", testReferralLifecycle},
	{"ReferralStaleVersion", testReferralStaleVersion},
	{"ReferralAllocate", testReferralAllocate},
	{"QueueOrderAndFilters", testQueueOrderAndFilters},
	{"QueuePagination", testQueuePagination},
	{"RefreshPriorities", testRefreshPriorities},
	{"OptOuts", testOptOuts},
	{"Audit", testAudit},
	{"ChatSessions", testChatSessions},
	{"ListenReferrals", testListenReferrals},
}

func newReferral() referral.Referral {
	return referral.Referral{
		IdempotencyKey: newKey(),
		Kind:           referral.KindSelf,
		Person:         referral.Person{Name: "Alex Example", Ward: "Willow", Hospital: "St Elsewhere"},
		LegalStatus:    referral.LegalS3,
		Language:       "en",
		Contact:        referral.Contact{Method: referral.ContactInPerson, BestTimes: "afternoons"},
		HelpWanted:     "I want to appeal.",
		Consent:        referral.Consent{Given: true},
		Source:         referral.SourceKiosk,
	}
}

func mustAddReferral(t *testing.T, s store.Store, r referral.Referral) referral.Referral {
	t.Helper()
	saved, created, err := s.AddReferral(ctx(t), r)
	if err != nil {
		t.Fatalf("AddReferral: %v", err)
	}
	if !created {
		t.Fatal("AddReferral: created = false for a new key")
	}
	return saved
}

func mustGet(t *testing.T, s store.Store, id int64) referral.Referral {
	t.Helper()
	r, err := s.GetReferral(ctx(t), id)
	if err != nil {
		t.Fatalf("GetReferral(%d): %v", id, err)
	}
	return r
}

// sameReferral compares every field, store-set ones included (times to the microsecond).
func sameReferral(a, b referral.Referral) bool {
	times := func(r referral.Referral) []time.Time {
		return []time.Time{r.CreatedAt, r.UpdatedAt, r.AcknowledgedAt, r.AllocatedAt, r.FirstContactAt, r.ClosedAt}
	}
	ta, tb := times(a), times(b)
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return false
		}
	}
	return referral.SameContent(a, b) && a.ID == b.ID && a.Reference == b.Reference && a.Status == b.Status &&
		a.Version == b.Version && a.AdvocateID == b.AdvocateID && a.Flags == b.Flags && a.Priority == b.Priority
}

var referenceRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

func testReferralAddAndGet(t *testing.T, s store.Store) {
	before := time.Now().UTC().Add(-time.Second)
	in := newReferral()
	in.Person.DateOfBirth = time.Date(1950, 3, 4, 0, 0, 0, 0, time.UTC)
	in.LegalStatus = referral.LegalCTO
	in.Interpreter, in.BSL = true, true
	in.Meetings = []referral.Meeting{
		{Kind: referral.MeetingTribunal, Date: time.Now().UTC().AddDate(0, 0, 3)},
		{Kind: referral.MeetingWardRound},
	}
	in.Equality = referral.Equality{Ethnicity: "Somali", MinorityEthnic: referral.AnswerYes,
		Disabilities: []referral.Disability{referral.DisabilityDementia}, OutOfArea: referral.AnswerNo}
	in.ID, in.Reference, in.Status, in.Version, in.Priority = 99, "ZZZZ-ZZZZ", referral.StatusClosed, 7, 1 // ignored
	saved := mustAddReferral(t, s, in)

	if saved.ID == 0 || saved.ID == 99 || !referenceRE.MatchString(saved.Reference) || saved.Reference == "ZZZZ-ZZZZ" {
		t.Errorf("ID %d, Reference %q: want store-chosen values", saved.ID, saved.Reference)
	}
	if saved.Status != referral.StatusNew || saved.Version != 1 {
		t.Errorf("Status %s Version %d, want new 1", saved.Status, saved.Version)
	}
	wantFlags := referral.FlagCTO | referral.FlagOver65 | referral.FlagDeafOrSensory | referral.FlagMinorityEthnicity | referral.FlagMeetingSoon
	if saved.Flags != wantFlags || saved.Priority != wantFlags.Score() {
		t.Errorf("Flags %v priority %d, want %v %d", saved.Flags.Names(), saved.Priority, wantFlags.Names(), wantFlags.Score())
	}
	if saved.CreatedAt.Before(before) || saved.CreatedAt.Location() != time.UTC || !saved.UpdatedAt.Equal(saved.CreatedAt) {
		t.Errorf("CreatedAt %v UpdatedAt %v, want now in UTC", saved.CreatedAt, saved.UpdatedAt)
	}
	if !referral.SameContent(saved, in) {
		t.Errorf("saved content %+v, want %+v", saved.Content(), in.Content())
	}

	got := mustGet(t, s, saved.ID)
	if !sameReferral(got, saved) {
		t.Errorf("GetReferral = %+v, want %+v", got, saved)
	}
	for _, typed := range []string{saved.Reference, strings.ToLower(saved.Reference), strings.ReplaceAll(saved.Reference, "-", " ")} {
		byRef, err := s.GetReferralByReference(ctx(t), typed)
		if err != nil || byRef.ID != saved.ID {
			t.Errorf("GetReferralByReference(%q) = %d, %v; want %d", typed, byRef.ID, err, saved.ID)
		}
	}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"unknown id", func() error { _, err := s.GetReferral(ctx(t), saved.ID+1000); return err }()},
		{"unknown reference", func() error { _, err := s.GetReferralByReference(ctx(t), "0000-0000"); return err }()},
		{"malformed reference", func() error { _, err := s.GetReferralByReference(ctx(t), "<script>"); return err }()},
	} {
		if !errors.Is(tt.err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tt.name, tt.err)
		}
	}

	audit, err := s.ListAudit(ctx(t), store.AuditQuery{Subject: referral.Subject(saved.Reference)})
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit for new referral = %+v, %v; want one entry", audit, err)
	}
	if a := audit[0]; a.Actor != "intake:kiosk" || a.Action != referral.ActionReferralCreated || strings.Contains(a.Detail, "Alex") {
		t.Errorf("audit entry %+v: want intake:kiosk, referral.created, and no patient data", a)
	}
}

func testReferralIdempotentRetry(t *testing.T, s store.Store) {
	first := mustAddReferral(t, s, newReferral())
	retries := []struct {
		name   string
		modify func(r *referral.Referral)
	}{
		{"identical", func(*referral.Referral) {}},
		{"whitespace", func(r *referral.Referral) { r.Person.Name = "  " + r.Person.Name + "\n" }},
		{"store fields differ", func(r *referral.Referral) { r.ID, r.Reference, r.Status, r.Version = 0, "", "", 0 }},
	}
	for _, tt := range retries {
		t.Run(tt.name, func(t *testing.T) {
			r := first
			tt.modify(&r)
			saved, created, err := s.AddReferral(ctx(t), r)
			if err != nil || created || !sameReferral(saved, first) {
				t.Errorf("retry = %+v, created %v, %v; want the first record", saved, created, err)
			}
		})
	}
	conflicts := []struct {
		name   string
		modify func(r *referral.Referral)
	}{
		{"name", func(r *referral.Referral) { r.Person.Name = "Someone Else" }},
		{"legal status", func(r *referral.Referral) { r.LegalStatus = referral.LegalS2 }},
		{"meeting added", func(r *referral.Referral) { r.Meetings = []referral.Meeting{{Kind: referral.MeetingCPA}} }},
		{"private meeting", func(r *referral.Referral) { r.WantsPrivateMeeting = true }},
	}
	for _, tt := range conflicts {
		t.Run("conflict "+tt.name, func(t *testing.T) {
			r := first
			tt.modify(&r)
			_, created, err := s.AddReferral(ctx(t), r)
			if !errors.Is(err, store.ErrKeyConflict) || created {
				t.Errorf("err = %v created %v, want ErrKeyConflict", err, created)
			}
		})
	}
	page, _, err := s.ListQueue(ctx(t), store.QueueQuery{})
	if err != nil || len(page) != 1 {
		t.Errorf("queue after retries = %d rows, %v; want 1", len(page), err)
	}
	if audit, _ := s.ListAudit(ctx(t), store.AuditQuery{}); len(audit) != 1 {
		t.Errorf("%d audit entries after retries, want 1", len(audit))
	}
}

func testReferralConcurrentRetries(t *testing.T, s store.Store) {
	const n = 20
	r := newReferral()
	type result struct {
		saved   referral.Referral
		created bool
		err     error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			res := &results[i]
			res.saved, res.created, res.err = s.AddReferral(ctx(t), r)
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("goroutine %d: %v", i, res.err)
		}
		if res.created {
			created++
		}
		if !sameReferral(res.saved, results[0].saved) {
			t.Errorf("goroutine %d got %+v, goroutine 0 got %+v", i, res.saved, results[0].saved)
		}
	}
	if created != 1 {
		t.Errorf("%d calls reported created=true, want exactly 1", created)
	}
	if page, _, _ := s.ListQueue(ctx(t), store.QueueQuery{}); len(page) != 1 {
		t.Errorf("%d referrals stored, want 1", len(page))
	}
	if audit, _ := s.ListAudit(ctx(t), store.AuditQuery{}); len(audit) != 1 {
		t.Errorf("%d audit entries, want 1", len(audit))
	}
}

func testReferralValidation(t *testing.T, s store.Store) {
	long := func(n int) string { return strings.Repeat("😀", n) } // multi-byte: limits count runes
	tests := []struct {
		name   string
		modify func(r *referral.Referral)
		field  string // "" means the edge is allowed
	}{
		{"no key", func(r *referral.Referral) { r.IdempotencyKey = "" }, "idempotency_key"},
		{"no name", func(r *referral.Referral) { r.Person.Name = "" }, "person.name"},
		{"s136", func(r *referral.Referral) { r.LegalStatus = "s136" }, "legal_status"},
		{"no consent", func(r *referral.Referral) { r.Consent.Given = false }, "consent.given"},
		{"name 100", func(r *referral.Referral) { r.Person.Name = long(100) }, ""},
		{"name 101", func(r *referral.Referral) { r.Person.Name = long(101) }, "person.name"},
		{"ward 100", func(r *referral.Referral) { r.Person.Ward = long(100) }, ""},
		{"ward 101", func(r *referral.Referral) { r.Person.Ward = long(101) }, "person.ward"},
		{"hospital 150", func(r *referral.Referral) { r.Person.Hospital = long(150) }, ""},
		{"hospital 151", func(r *referral.Referral) { r.Person.Hospital = long(151) }, "person.hospital"},
		{"help 2000", func(r *referral.Referral) { r.HelpWanted = long(2000) }, ""},
		{"help 2001", func(r *referral.Referral) { r.HelpWanted = long(2001) }, "help_wanted"},
		{"communication 1000", func(r *referral.Referral) { r.CommunicationNeeds = long(1000) }, ""},
		{"communication 1001", func(r *referral.Referral) { r.CommunicationNeeds = long(1001) }, "communication_needs"},
		{"best times 201", func(r *referral.Referral) { r.Contact.BestTimes = long(201) }, "contact.best_times"},
		{"ethnicity 101", func(r *referral.Referral) { r.Equality.Ethnicity = long(101) }, "equality.ethnicity"},
		{"NUL", func(r *referral.Referral) { r.HelpWanted = "a\x00b" }, "help_wanted"},
		{"invalid UTF-8", func(r *referral.Referral) { r.Person.Name = "\xc3\x28" }, "person.name"},
		{"11 meetings", func(r *referral.Referral) { r.Meetings = slices.Repeat([]referral.Meeting{{Kind: "cpa"}}, 11) }, "meetings"},
		{"10 meetings", func(r *referral.Referral) { r.Meetings = slices.Repeat([]referral.Meeting{{Kind: "cpa"}}, 10) }, ""},
	}
	stored := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReferral()
			tt.modify(&r)
			saved, created, err := s.AddReferral(ctx(t), r)
			if tt.field == "" {
				if err != nil || !created {
					t.Fatalf("AddReferral = %v, want stored", err)
				}
				stored++
				if got := mustGet(t, s, saved.ID); !referral.SameContent(got, r) {
					t.Errorf("edge value did not round-trip")
				}
				return
			}
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || created {
				t.Errorf("AddReferral = %v (created %v), want a ValidationError on %s", err, created, tt.field)
			}
		})
	}
	if page, _, _ := s.ListQueue(ctx(t), store.QueueQuery{}); len(page) != stored {
		t.Errorf("%d referrals stored, want %d", len(page), stored)
	}
}

func testReferralHostileText(t *testing.T, s store.Store) {
	tests := []struct{ name, text string }{
		{"script", `<script>alert("x")</script><img src=x onerror=alert(1)>`},
		{"sql", `Robert'); DROP TABLE referrals;-- \' \\ %_`},
		{"rtl", "مرحبا، اسمي أحمد ٣"},
		{"urdu zwnj", "میرا نام\u200cعلی ہے"},
		{"bidi override", "abc\u202Egnp.exe\u202C \u2066isolate\u2069"},
		{"emoji zwj", "👩🏽‍⚕️ 🏳️‍🌈 🤟"},
		{"json-ish", `{"kind":"automatic","person":{"name":"x"}} \u0000`},
		{"newlines", "line one\nline two\r\n\tindented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReferral()
			r.Person.Name, r.HelpWanted, r.CommunicationNeeds, r.Contact.BestTimes = tt.text, tt.text, tt.text, tt.text
			r.Person.Ward = tt.name + " " + tt.text
			r.Equality.Ethnicity = tt.text
			saved := mustAddReferral(t, s, r)
			got := mustGet(t, s, saved.ID)
			if got.Person.Name != tt.text || got.HelpWanted != tt.text || got.CommunicationNeeds != tt.text ||
				got.Contact.BestTimes != tt.text || got.Equality.Ethnicity != tt.text {
				t.Errorf("round trip changed the text: %+v", got)
			}
			page, _, err := s.ListQueue(ctx(t), store.QueueQuery{Ward: r.Person.Ward})
			if err != nil || len(page) != 1 || page[0].Person.Name != tt.text {
				t.Errorf("queue filtered by hostile ward = %+v, %v", page, err)
			}
		})
	}
}

func testReferralLifecycle(t *testing.T, s store.Store) {
	r := mustAddReferral(t, s, newReferral())
	refused := func(to referral.Status) {
		t.Helper()
		_, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: to, Actor: "staff:1"})
		if !errors.Is(err, referral.ErrTransition) {
			t.Errorf("%s → %s: err = %v, want ErrTransition", r.Status, to, err)
		}
	}
	steps := []struct {
		to    referral.Status
		stamp func(referral.Referral) time.Time
	}{
		{referral.StatusAcknowledged, func(r referral.Referral) time.Time { return r.AcknowledgedAt }},
		{referral.StatusAllocated, func(r referral.Referral) time.Time { return r.AllocatedAt }},
		{referral.StatusContacted, func(r referral.Referral) time.Time { return r.FirstContactAt }},
		{referral.StatusClosed, func(r referral.Referral) time.Time { return r.ClosedAt }},
	}
	for _, st := range steps {
		refused(referral.StatusNew) // never backwards
		if st.to != referral.StatusClosed {
			refused(referral.StatusClosed) // never skipping
		}
		prev := r
		next, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: st.to, Actor: "staff:1", Note: "rang the ward"})
		if err != nil {
			t.Fatalf("→ %s: %v", st.to, err)
		}
		if next.Status != st.to || next.Version != prev.Version+1 || st.stamp(next).IsZero() ||
			!next.UpdatedAt.Equal(st.stamp(next)) || next.UpdatedAt.Before(prev.UpdatedAt) {
			t.Errorf("→ %s: got status %s version %d stamp %v updated %v", st.to, next.Status, next.Version, st.stamp(next), next.UpdatedAt)
		}
		if got := mustGet(t, s, r.ID); !sameReferral(got, next) {
			t.Errorf("→ %s: stored %+v, returned %+v", st.to, got, next)
		}
		r = next
	}
	for _, to := range referral.Statuses {
		refused(to) // closed is final
	}
	audit, err := s.ListAudit(ctx(t), store.AuditQuery{Subject: referral.Subject(r.Reference)})
	if err != nil || len(audit) != 1+len(steps) {
		t.Fatalf("audit = %+v, %v; want %d entries", audit, err, 1+len(steps))
	}
	if a := audit[1]; a.Actor != "staff:1" || a.Action != referral.ActionReferralStatus || a.Detail != "new → acknowledged: rang the ward" {
		t.Errorf("status audit entry = %+v", a)
	}

	// Withdrawn from each open state.
	for _, path := range [][]referral.Status{{}, {"acknowledged"}, {"acknowledged", "allocated"}, {"acknowledged", "allocated", "contacted"}} {
		w := mustAddReferral(t, s, newReferral())
		for _, to := range path {
			var err error
			if w, err = s.UpdateStatus(ctx(t), store.StatusChange{ID: w.ID, Version: w.Version, To: to, Actor: "staff:1"}); err != nil {
				t.Fatal(err)
			}
		}
		w, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: w.ID, Version: w.Version, To: referral.StatusWithdrawn, Actor: "patient:kiosk"})
		if err != nil || w.Status != referral.StatusWithdrawn || w.ClosedAt.IsZero() {
			t.Errorf("withdraw after %v: %+v, %v", path, w, err)
		}
	}

	bad := []struct {
		name string
		c    store.StatusChange
		err  error
	}{
		{"unknown id", store.StatusChange{ID: r.ID + 1000, Version: 1, To: "acknowledged", Actor: "staff:1"}, store.ErrNotFound},
		{"unknown status", store.StatusChange{ID: r.ID, Version: r.Version, To: "lost", Actor: "staff:1"}, &store.ValidationError{}},
		{"no actor", store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged"}, &store.ValidationError{}},
		{"actor is a name", store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged", Actor: "Jane Smith"}, &store.ValidationError{}},
		{"note too long", store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged", Actor: "staff:1", Note: strings.Repeat("n", store.NoteMaxLen+1)}, &store.ValidationError{}},
	}
	for _, tt := range bad {
		_, err := s.UpdateStatus(ctx(t), tt.c)
		var ve *store.ValidationError
		if _, wantVE := tt.err.(*store.ValidationError); wantVE && !errors.As(err, &ve) || !wantVE && !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
}

func testReferralStaleVersion(t *testing.T, s store.Store) {
	r := mustAddReferral(t, s, newReferral())
	ack, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	// A second member of staff acting on the page they loaded before the first change.
	_, err = s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: "withdrawn", Actor: "staff:2"})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: err = %v, want ErrConflict", err)
	}
	_, err = s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:9", Actor: "staff:2"})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale allocate: err = %v, want ErrConflict", err)
	}
	if got := mustGet(t, s, r.ID); !sameReferral(got, ack) {
		t.Errorf("stale updates changed the record: %+v", got)
	}

	// Racing updates from one version: exactly one wins.
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: ack.Version, To: "allocated", Actor: "staff:3"})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racing update: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing updates succeeded, want 1", won)
	}
	if audit, _ := s.ListAudit(ctx(t), store.AuditQuery{Subject: referral.Subject(r.Reference)}); len(audit) != 3 {
		t.Errorf("%d audit entries, want 3 (created, acknowledged, one allocation)", len(audit))
	}
}

func testReferralAllocate(t *testing.T, s store.Store) {
	r := mustAddReferral(t, s, newReferral())
	if _, err := s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:7", Actor: "staff:1"}); !errors.Is(err, referral.ErrTransition) {
		t.Errorf("allocate a new referral: err = %v, want ErrTransition (acknowledge first)", err)
	}
	var ve *store.ValidationError
	if _, err := s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "Ann Advocate", Actor: "staff:1"}); !errors.As(err, &ve) {
		t.Errorf("advocate id with a space: err = %v, want ValidationError", err)
	}
	r, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err = s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:7", Actor: "staff:1"})
	if err != nil || r.Status != referral.StatusAllocated || r.AdvocateID != "staff:7" || r.AllocatedAt.IsZero() {
		t.Fatalf("allocate = %+v, %v", r, err)
	}
	first := r.AllocatedAt
	r, err = s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:8", Actor: "staff:1"})
	if err != nil || r.Status != referral.StatusAllocated || r.AdvocateID != "staff:8" || !r.AllocatedAt.Equal(first) {
		t.Fatalf("re-allocate = %+v, %v; want advocate changed, first allocation time kept", r, err)
	}
	if got := mustGet(t, s, r.ID); !sameReferral(got, r) {
		t.Errorf("stored %+v, returned %+v", got, r)
	}
	audit, _ := s.ListAudit(ctx(t), store.AuditQuery{Subject: referral.Subject(r.Reference)})
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if want := []string{"referral.created", "referral.status", "referral.allocated", "referral.allocated"}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}
}

// queueFixture adds referrals with known priorities and returns them in creation order.
func queueFixture(t *testing.T, s store.Store) []referral.Referral {
	mods := []func(r *referral.Referral){
		func(r *referral.Referral) {},                                                           // 0: plain, oldest
		func(r *referral.Referral) { r.LegalStatus = referral.LegalCTO },                        // 1: cto
		func(r *referral.Referral) { r.Person.Ward = "Oak" },                                    // 2: plain, Oak
		func(r *referral.Referral) { r.LegalStatus = referral.LegalCTO; r.Person.Ward = "Oak" }, // 3: cto, Oak
		func(r *referral.Referral) { // 4: non-instructed + learning disability
			r.Kind, r.Consent = referral.KindNonInstructed, referral.Consent{NotApplicableReason: "cannot instruct"}
			r.Equality.Disabilities = []referral.Disability{referral.DisabilityLearning}
		},
		func(r *referral.Referral) { // 5: automatic, cto
			r.Kind, r.Consent = referral.KindAutomatic, referral.Consent{NotApplicableReason: "opt-out model"}
			r.LegalStatus = referral.LegalCTO
			r.Source = referral.SourceMHAOfficeAPI
		},
		func(r *referral.Referral) {}, // 6: plain, newest
	}
	var out []referral.Referral
	for _, m := range mods {
		r := newReferral()
		m(&r)
		out = append(out, mustAddReferral(t, s, r))
		time.Sleep(2 * time.Millisecond) // distinct CreatedAt for Since/Until
	}
	return out
}

func testQueueOrderAndFilters(t *testing.T, s store.Store) {
	rs := queueFixture(t, s)
	closed, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: rs[6].ID, Version: rs[6].Version, To: "withdrawn", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	rs[6] = closed
	ack, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: rs[0].ID, Version: rs[0].Version, To: "acknowledged", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	rs[0] = ack
	cto := referral.FlagCTO
	tests := []struct {
		name string
		q    store.QueueQuery
		want []int
	}{
		// 4 (non-instructed 25 + learning disability 15) before the CTOs (20), oldest first; then plain.
		{"default: open, by priority then age", store.QueueQuery{}, []int{4, 1, 3, 5, 0, 2}},
		{"status new", store.QueueQuery{Statuses: []referral.Status{"new"}}, []int{4, 1, 3, 5, 2}},
		{"closed states", store.QueueQuery{Statuses: []referral.Status{"closed", "withdrawn"}}, []int{6}},
		{"every status", store.QueueQuery{Statuses: referral.Statuses}, []int{4, 1, 3, 5, 0, 2, 6}},
		{"kind automatic", store.QueueQuery{Kinds: []referral.Kind{"automatic"}}, []int{5}},
		{"kinds self and non-instructed", store.QueueQuery{Kinds: []referral.Kind{"self", "non_instructed"}}, []int{4, 1, 3, 0, 2}},
		{"flag cto", store.QueueQuery{Flags: cto}, []int{1, 3, 5}},
		{"two flags", store.QueueQuery{Flags: referral.FlagNonInstructed | referral.FlagLearningDisability}, []int{4}},
		{"flags nobody has", store.QueueQuery{Flags: referral.FlagUnder18}, nil},
		{"ward", store.QueueQuery{Ward: "Oak"}, []int{3, 2}},
		{"ward and flag", store.QueueQuery{Ward: "Oak", Flags: cto}, []int{3}},
		{"since inclusive", store.QueueQuery{Since: rs[3].CreatedAt}, []int{4, 3, 5}},
		{"until exclusive", store.QueueQuery{Until: rs[3].CreatedAt}, []int{1, 0, 2}},
		{"since and until", store.QueueQuery{Since: rs[1].CreatedAt, Until: rs[5].CreatedAt}, []int{4, 1, 3, 2}},
		{"limit", store.QueueQuery{Limit: 2}, []int{4, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, _, err := s.ListQueue(ctx(t), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range page {
				got = append(got, slices.IndexFunc(rs, func(r referral.Referral) bool { return r.ID == p.ID }))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	var ve *store.ValidationError
	for _, q := range []store.QueueQuery{
		{After: "not a cursor"}, {Statuses: []referral.Status{"lost"}}, {Kinds: []referral.Kind{"x' OR 1=1"}},
	} {
		if _, _, err := s.ListQueue(ctx(t), q); !errors.As(err, &ve) {
			t.Errorf("ListQueue(%+v): err = %v, want ValidationError", q, err)
		}
	}
}

func testQueuePagination(t *testing.T, s store.Store) {
	rs := queueFixture(t, s)
	rs = append(rs, queueFixture(t, s)...)
	all, next, err := s.ListQueue(ctx(t), store.QueueQuery{Limit: 100})
	if err != nil || next != "" || len(all) != len(rs) {
		t.Fatalf("whole queue: %d rows, next %q, %v; want %d and no next page", len(all), next, err, len(rs))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Priority < b.Priority || a.Priority == b.Priority && b.CreatedAt.Before(a.CreatedAt) {
			t.Fatalf("row %d (priority %d, %v) before row %d (priority %d, %v)", i-1, a.Priority, a.CreatedAt, i, b.Priority, b.CreatedAt)
		}
	}
	for _, size := range []int{1, 2, 3, 5, 13, 14} {
		var walked []int64
		var late int64
		q := store.QueueQuery{Limit: size}
		for pages := 0; ; pages++ {
			if pages > len(rs) {
				t.Fatalf("page size %d: pagination does not end", size)
			}
			page, next, err := s.ListQueue(ctx(t), q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				walked = append(walked, r.ID)
			}
			if next == "" {
				break
			}
			// A referral added while paging must not shift or repeat the rows already
			// read (offset paging would); a plain one sorts last, so the walk meets it.
			if pages == 0 {
				late = mustAddReferral(t, s, newReferral()).ID
			}
			q.After = next
		}
		var want []int64
		for _, r := range all {
			want = append(want, r.ID)
		}
		if size < len(all) {
			want = append(want, late)
		}
		if !slices.Equal(walked, want) {
			t.Errorf("page size %d walked %v, want %v", size, walked, want)
		}
		all, _, _ = s.ListQueue(ctx(t), store.QueueQuery{Limit: 1000})
	}
}

func testOptOuts(t *testing.T, s store.Store) {
	auto := newReferral()
	auto.Kind, auto.Consent = referral.KindAutomatic, referral.Consent{NotApplicableReason: "opt-out model"}
	ar := mustAddReferral(t, s, auto)

	byName, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: " Alex Example ", Ward: "Willow", Reason: "لا أريد ذلك", RecordedBy: "staff:1"})
	if err != nil || byName.ID == 0 || byName.PersonName != "Alex Example" || byName.CreatedAt.IsZero() || !byName.Active() {
		t.Fatalf("AddOptOut by name = %+v, %v", byName, err)
	}
	byRef, err := s.AddOptOut(ctx(t), referral.OptOut{Reference: strings.ToLower(ar.Reference), RecordedBy: "patient:kiosk",
		RevokedAt: time.Now(), RevokedBy: "staff:9"}) // revocation fields are ignored
	if err != nil || byRef.Reference != ar.Reference || !byRef.Active() {
		t.Fatalf("AddOptOut by reference = %+v, %v", byRef, err)
	}
	var ve *store.ValidationError
	if _, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: "Alex", RecordedBy: "staff:1"}); !errors.As(err, &ve) {
		t.Errorf("opt-out with no ward or reference: err = %v, want ValidationError", err)
	}

	revoked, err := s.RevokeOptOut(ctx(t), byName.ID, "staff:2")
	if err != nil || revoked.Active() || revoked.RevokedBy != "staff:2" || revoked.PersonName != "Alex Example" {
		t.Fatalf("RevokeOptOut = %+v, %v", revoked, err)
	}
	if _, err := s.RevokeOptOut(ctx(t), byName.ID, "staff:2"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second revoke: err = %v, want ErrConflict", err)
	}
	if _, err := s.RevokeOptOut(ctx(t), byName.ID+1000, "staff:2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeOptOut(ctx(t), byRef.ID, ""); !errors.As(err, &ve) {
		t.Errorf("revoke without actor: err = %v, want ValidationError", err)
	}
	again, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: "Alex Example", Ward: "Willow", RecordedBy: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}

	ids := func(os []referral.OptOut) []int64 {
		var out []int64
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	tests := []struct {
		name string
		q    store.OptOutQuery
		want []int64
	}{
		{"active", store.OptOutQuery{}, []int64{byRef.ID, again.ID}},
		{"history keeps the revoked one", store.OptOutQuery{IncludeRevoked: true}, []int64{byName.ID, byRef.ID, again.ID}},
		{"ward history", store.OptOutQuery{IncludeRevoked: true, Ward: "Willow"}, []int64{byName.ID, again.ID}},
		{"reference", store.OptOutQuery{Reference: ar.Reference}, []int64{byRef.ID}},
		{"person name", store.OptOutQuery{PersonName: " Alex Example", Ward: "Willow"}, []int64{again.ID}},
		{"limit", store.OptOutQuery{IncludeRevoked: true, Limit: 1}, []int64{byName.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListOptOuts(ctx(t), tt.q)
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("ListOptOuts = %v, %v; want %v", ids(got), err, tt.want)
			}
		})
	}
	hist, _ := s.ListOptOuts(ctx(t), store.OptOutQuery{IncludeRevoked: true})
	if len(hist) == 0 || hist[0].Reason != "لا أريد ذلك" || hist[0].RevokedAt.IsZero() {
		t.Errorf("revoked opt-out in history = %+v", hist)
	}
	audit, _ := s.ListAudit(ctx(t), store.AuditQuery{Actor: "staff:2"})
	if len(audit) != 1 || audit[0].Action != referral.ActionOptOutRevoked {
		t.Errorf("revoke audit = %+v", audit)
	}
}

func testAudit(t *testing.T, s store.Store) {
	var added []referral.AuditEntry
	for i, e := range []referral.AuditEntry{
		{Actor: "staff:1", Action: "staff.login"},
		{Actor: "staff:2", Action: "referral.viewed", Subject: "referral:ABCD-1234", Detail: "  opened from the queue \n"},
		{Actor: "system", Action: "chat.purged", Detail: "12 sessions"},
	} {
		e.ID, e.At = 99, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // ignored
		saved, err := s.AppendAudit(ctx(t), e)
		if err != nil {
			t.Fatalf("AppendAudit %d: %v", i, err)
		}
		if saved.ID == 99 || saved.At.Year() == 2000 || saved.Detail != strings.TrimSpace(e.Detail) {
			t.Errorf("AppendAudit %d = %+v", i, saved)
		}
		added = append(added, saved)
	}
	tests := []struct {
		name string
		q    store.AuditQuery
		want []int
	}{
		{"all, oldest first", store.AuditQuery{}, []int{0, 1, 2}},
		{"subject", store.AuditQuery{Subject: "referral:ABCD-1234"}, []int{1}},
		{"actor", store.AuditQuery{Actor: "system"}, []int{2}},
		{"after", store.AuditQuery{AfterID: added[0].ID}, []int{1, 2}},
		{"limit", store.AuditQuery{Limit: 2}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx(t), tt.q)
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ListAudit = %+v, %v; want %d entries", got, err, len(tt.want))
			}
			for i, w := range tt.want {
				a := added[w]
				if g := got[i]; g.ID != a.ID || g.Actor != a.Actor || g.Action != a.Action || g.Subject != a.Subject ||
					g.Detail != a.Detail || !g.At.Equal(a.At) {
					t.Errorf("entry %d = %+v, want %+v", i, g, a)
				}
			}
		})
	}
	var ve *store.ValidationError
	for _, e := range []referral.AuditEntry{
		{Action: "x"}, {Actor: "Jane Smith", Action: "x"}, {Actor: "staff:1"}, {Actor: "staff:1", Action: "x", Subject: "Jane Smith"},
		{Actor: "staff:1", Action: "x", Detail: strings.Repeat("d", 501)},
	} {
		if _, err := s.AppendAudit(ctx(t), e); !errors.As(err, &ve) {
			t.Errorf("AppendAudit(%+v): err = %v, want ValidationError", e, err)
		}
	}
}

func testChatSessions(t *testing.T, s store.Store) {
	now := time.Now().UTC()
	later := now.Add(30 * time.Minute)
	token := "chat-" + newKey()
	state := []byte{0, 1, 2, 0xff, '<', 's', '>'} // opaque: any bytes
	v, err := s.SaveChatSession(ctx(t), token, state, 0, later)
	if err != nil || v != 1 {
		t.Fatalf("create: %d, %v", v, err)
	}
	if _, err := s.SaveChatSession(ctx(t), token, []byte("other"), 0, later); !errors.Is(err, store.ErrConflict) {
		t.Errorf("create with a taken token: err = %v, want ErrConflict", err)
	}
	got, gv, err := s.LoadChatSession(ctx(t), token, now)
	if err != nil || gv != 1 || !bytes.Equal(got, state) {
		t.Fatalf("load = %q, %d, %v", got, gv, err)
	}
	v2, err := s.SaveChatSession(ctx(t), token, []byte("step 2"), 1, later)
	if err != nil || v2 != 2 {
		t.Fatalf("update: %d, %v", v2, err)
	}
	// A second tab still holding version 1 must not overwrite step 2.
	if _, err := s.SaveChatSession(ctx(t), token, []byte("stale"), 1, later); !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale save: err = %v, want ErrConflict", err)
	}
	if got, gv, _ := s.LoadChatSession(ctx(t), token, now); string(got) != "step 2" || gv != 2 {
		t.Errorf("after stale save: %q v%d", got, gv)
	}

	max := bytes.Repeat([]byte{'s'}, store.ChatStateMaxSize)
	big := "big-" + newKey()
	if _, err := s.SaveChatSession(ctx(t), big, max, 0, later); err != nil {
		t.Errorf("16 KiB state: %v", err)
	}
	if got, _, err := s.LoadChatSession(ctx(t), big, now); err != nil || !bytes.Equal(got, max) {
		t.Errorf("16 KiB state did not round-trip: %d bytes, %v", len(got), err)
	}
	var ve *store.ValidationError
	for _, tt := range []struct {
		name    string
		token   string
		state   []byte
		version int64
		field   string
	}{
		{"state too big", "tok-" + newKey(), append(max, 's'), 0, "state"},
		{"no token", "", nil, 0, "token"},
		{"short token", "abc", nil, 0, "token"},
		{"token with space", "abc def ghi jkl mno", nil, 0, "token"},
		{"negative version", token, nil, -1, "version"},
	} {
		if _, err := s.SaveChatSession(ctx(t), tt.token, tt.state, tt.version, later); !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("%s: err = %v, want ValidationError on %s", tt.name, err, tt.field)
		}
	}

	// Expiry: not loadable at or after expiresAt, and not saveable once expired.
	short := "short-" + newKey()
	soon := time.Now().UTC().Add(300 * time.Millisecond)
	if _, err := s.SaveChatSession(ctx(t), short, []byte("x"), 0, soon); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"before", soon.Add(-time.Millisecond), nil},
		{"at", soon, store.ErrNotFound},
		{"after", soon.Add(time.Hour), store.ErrNotFound},
	} {
		if _, _, err := s.LoadChatSession(ctx(t), short, tt.at); !errors.Is(err, tt.want) {
			t.Errorf("load %s expiry: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	time.Sleep(time.Until(soon) + 50*time.Millisecond)
	if _, err := s.SaveChatSession(ctx(t), short, []byte("y"), 1, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("save after expiry: err = %v, want ErrNotFound", err)
	}
	if _, err := s.SaveChatSession(ctx(t), "missing-"+newKey(), []byte("y"), 3, later); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("save unknown: err = %v, want ErrNotFound", err)
	}

	n, err := s.PurgeExpiredChatSessions(ctx(t), time.Now())
	if err != nil || n != 1 {
		t.Errorf("purge = %d, %v; want 1 (the short session)", n, err)
	}
	if err := s.DeleteChatSession(ctx(t), token); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteChatSession(ctx(t), token); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if _, _, err := s.LoadChatSession(ctx(t), token, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("load after delete: err = %v, want ErrNotFound", err)
	}
	if _, _, err := s.LoadChatSession(ctx(t), big, now); err != nil {
		t.Errorf("other sessions must survive purge and delete: %v", err)
	}
}

func testListenReferrals(t *testing.T, s store.Store) {
	c := ctx(t)
	ids := make(chan int64, 16)
	done := make(chan error, 1)
	go func() { done <- s.ListenReferrals(c, func(id int64) { ids <- id }) }()
	recv := func(what string) int64 {
		t.Helper()
		select {
		case id := <-ids:
			return id
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification: %s", what)
		}
		return 0
	}
	if id := recv("Requery once listening"); id != store.Requery {
		t.Fatalf("first call fn(%d), want fn(Requery)", id)
	}
	r := mustAddReferral(t, s, newReferral())
	if id := recv("new referral"); id != r.ID {
		t.Errorf("notified %d, want %d", id, r.ID)
	}
	if _, _, err := s.AddReferral(c, r); err != nil { // a retry changes nothing: no notification
		t.Fatal(err)
	}
	r, err := s.UpdateStatus(c, store.StatusChange{ID: r.ID, Version: r.Version, To: "acknowledged", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	if id := recv("status change"); id != r.ID {
		t.Errorf("notified %d, want %d", id, r.ID)
	}
	select {
	case id := <-ids:
		t.Errorf("unexpected extra notification %d", id)
	case <-time.After(100 * time.Millisecond):
	}
	cancelCtx, cancel := contextWithCancel(t)
	stopped := make(chan error, 1)
	go func() { stopped <- s.ListenReferrals(cancelCtx, func(int64) {}) }()
	cancel()
	select {
	case err := <-stopped:
		if !errors.Is(err, contextCanceled) {
			t.Errorf("ListenReferrals after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("ListenReferrals did not return after cancel")
	}
}

func testRefreshPriorities(t *testing.T, s store.Store) {
	today := time.Now().UTC()
	tribunal := newReferral()
	tribunal.Meetings = []referral.Meeting{{Kind: referral.MeetingTribunal, Date: today.AddDate(0, 0, 20)}}
	tr := mustAddReferral(t, s, tribunal)
	second := newReferral()
	second.Meetings = tribunal.Meetings
	mustAddReferral(t, s, second)
	plain := mustAddReferral(t, s, newReferral())
	c := newReferral()
	c.Meetings = tribunal.Meetings
	cl := mustAddReferral(t, s, c)
	cl, err := s.UpdateStatus(ctx(t), store.StatusChange{ID: cl.ID, Version: cl.Version, To: "withdrawn", Actor: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Flags.Has(referral.FlagMeetingSoon) {
		t.Fatalf("tribunal in 20 days flagged as soon at intake")
	}
	tests := []struct {
		name    string
		at      time.Time
		changed int
		soon    bool
	}{
		{"still weeks away", today.AddDate(0, 0, 1), 0, false},
		{"within a week", today.AddDate(0, 0, 15), 2, true}, // both open ones with the tribunal; not the withdrawn one
		{"again: nothing to do", today.AddDate(0, 0, 16), 0, true},
		{"meeting passed", today.AddDate(0, 0, 25), 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.RefreshPriorities(ctx(t), tt.at)
			if err != nil || n != tt.changed {
				t.Fatalf("RefreshPriorities = %d, %v; want %d", n, err, tt.changed)
			}
			got := mustGet(t, s, tr.ID)
			if got.Flags.Has(referral.FlagMeetingSoon) != tt.soon || got.Priority != got.Flags.Score() || got.Version != tr.Version {
				t.Errorf("after refresh: flags %v priority %d version %d", got.Flags.Names(), got.Priority, got.Version)
			}
			if tt.soon {
				page, _, _ := s.ListQueue(ctx(t), store.QueueQuery{Limit: 1})
				if len(page) != 1 || page[0].ID != tr.ID {
					t.Errorf("queue head = %+v, want the referral with the tribunal", page)
				}
			}
		})
	}
	if got := mustGet(t, s, cl.ID); got.Flags != cl.Flags || got.Version != cl.Version {
		t.Errorf("withdrawn referral was re-assessed: %+v", got)
	}
	if got := mustGet(t, s, plain.ID); got.Flags != 0 {
		t.Errorf("plain referral gained flags %v", got.Flags.Names())
	}
}
