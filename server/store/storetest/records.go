package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// Clock is a settable time source for stores opened with a clock option, so tests
// can build months of history in milliseconds.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// RunClocked runs the tests that need control of the store's clock: exports by date,
// monitoring facts, retention and erasure. open must return a new, empty, migrated
// store that reads the time from now.
func RunClocked(t *testing.T, open func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, c *Clock)
	}{
		{"ListReferrals", testListReferrals},
		{"MonitoringFacts", testMonitoringFacts},
		{"FeedbackCounts", testFeedbackCounts},
		{"PurgeBefore", testPurgeBefore},
		{"EraseReferral", testEraseReferral},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewClock(T0)
			s := open(t, c.Now)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s, c)
		})
	}
}

// T0 is where clocked tests start: a fixed date, so failures reproduce.
var T0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return T0.AddDate(0, 0, n) }

// addAt adds r with the store's clock at at.
func addAt(t *testing.T, s store.Store, c *Clock, at time.Time, r referral.Referral) referral.Referral {
	t.Helper()
	c.Set(at)
	return mustAddReferral(t, s, r)
}

// stepTo moves r through the lifecycle up to status to, one step a day from start.
func stepTo(t *testing.T, s store.Store, c *Clock, r referral.Referral, to referral.Status, start time.Time) referral.Referral {
	t.Helper()
	at := start
	for r.Status != to {
		var next referral.Status
		switch {
		case to == referral.StatusWithdrawn:
			next = referral.StatusWithdrawn
		default:
			for i, st := range referral.Statuses {
				if st == r.Status {
					next = referral.Statuses[i+1]
				}
			}
		}
		c.Set(at)
		var err error
		if next == referral.StatusAllocated {
			r, err = s.Allocate(ctx(t), store.Allocation{ID: r.ID, Version: r.Version, AdvocateID: "staff:7", Actor: "staff:1"})
		} else {
			r, err = s.UpdateStatus(ctx(t), store.StatusChange{ID: r.ID, Version: r.Version, To: next, Actor: "staff:1"})
		}
		if err != nil {
			t.Fatalf("%s → %s: %v", r.Status, next, err)
		}
		at = at.Add(24 * time.Hour)
	}
	return r
}

func testListReferrals(t *testing.T, s store.Store, c *Clock) {
	var added []referral.Referral
	for i := range 5 {
		added = append(added, addAt(t, s, c, day(i), newReferral()))
	}
	// Two at the same instant: the ID breaks the tie, so paging neither skips nor repeats.
	added = append(added, addAt(t, s, c, day(4), newReferral()))
	ids := func(rs []referral.Referral) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	tests := []struct {
		name string
		q    store.RangeQuery
		want []int
	}{
		{"everything", store.RangeQuery{}, []int{0, 1, 2, 3, 4, 5}},
		{"since inclusive, until exclusive", store.RangeQuery{Since: day(1), Until: day(3)}, []int{1, 2}},
		{"limit", store.RangeQuery{Limit: 2}, []int{0, 1}},
		{"after", store.RangeQuery{After: store.RangeKeyOf(added[1])}, []int{2, 3, 4, 5}},
		{"after a tie", store.RangeQuery{After: store.RangeKeyOf(added[4])}, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListReferrals(ctx(t), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var want []referral.Referral
			for _, w := range tt.want {
				want = append(want, added[w])
			}
			if g, w := ids(got), ids(want); !equalIDs(g, w) {
				t.Fatalf("ids = %v, want %v", g, w)
			}
			for i := range got {
				if !sameReferral(got[i], want[i]) {
					t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
	var n int
	if err := store.EachReferral(ctx(t), s, day(1), time.Time{}, func(referral.Referral) error { n++; return nil }); err != nil || n != 5 {
		t.Errorf("EachReferral: %d rows, %v; want 5", n, err)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testMonitoringFacts(t *testing.T, s store.Store, c *Clock) {
	self := newReferral()
	self.Language, self.Interpreter = "pl", true
	bsl := newReferral()
	bsl.BSL, bsl.LegalStatus, bsl.Source = true, referral.LegalCTO, referral.SourceChat
	auto := newReferral()
	auto.Kind, auto.Consent, auto.Source = referral.KindAutomatic, referral.Consent{NotApplicableReason: "opt-out model"}, referral.SourceMHAOfficeAPI

	a := addAt(t, s, c, day(0), self)
	a = stepTo(t, s, c, a, referral.StatusContacted, day(1)) // contacted on day 3
	b := addAt(t, s, c, day(1), bsl)
	b = stepTo(t, s, c, b, referral.StatusWithdrawn, day(2))
	addAt(t, s, c, day(2), auto)
	addAt(t, s, c, day(40), newReferral()) // outside the period

	c.Set(day(2).Add(time.Hour))
	o, err := s.AddOptOut(ctx(t), referral.OptOut{Reference: a.Reference, RecordedBy: "patient:kiosk"})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(day(3))
	if _, err := s.RevokeOptOut(ctx(t), o.ID, "staff:1"); err != nil {
		t.Fatal(err)
	}
	c.Set(day(50))
	if _, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: "Late Person", Ward: "Ash", RecordedBy: "staff:1"}); err != nil {
		t.Fatal(err)
	}

	f, err := s.MonitoringFacts(ctx(t), day(0), day(30))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ReferralFact{
		{ID: a.ID, Kind: referral.KindSelf, Source: referral.SourceKiosk, Status: referral.StatusContacted, Flags: a.Flags,
			Language: "pl", Interpreter: true, CreatedAt: day(0), FirstContactAt: day(3)},
		{ID: b.ID, Kind: referral.KindSelf, Source: referral.SourceChat, Status: referral.StatusWithdrawn,
			Flags: referral.FlagCTO | referral.FlagDeafOrSensory, Language: "en", BSL: true, CreatedAt: day(1), ClosedAt: day(2)},
	}
	if len(f.Referrals) != 3 {
		t.Fatalf("facts = %+v, want 3 referrals", f.Referrals)
	}
	for i, w := range want {
		if g := f.Referrals[i]; g.ID != w.ID || g.Kind != w.Kind || g.Source != w.Source || g.Status != w.Status ||
			g.Flags != w.Flags || g.Language != w.Language || g.Interpreter != w.Interpreter || g.BSL != w.BSL ||
			!g.CreatedAt.Equal(w.CreatedAt) || !g.FirstContactAt.Equal(w.FirstContactAt) || !g.ClosedAt.Equal(w.ClosedAt) {
			t.Errorf("fact %d = %+v, want %+v", i, g, w)
		}
	}
	if g := f.Referrals[2]; g.Kind != referral.KindAutomatic || g.Source != referral.SourceMHAOfficeAPI || g.Status != referral.StatusNew {
		t.Errorf("automatic fact = %+v", g)
	}
	if len(f.OptOuts) != 1 || f.OptOuts[0].Reference != a.Reference || !f.OptOuts[0].RevokedAt.Equal(day(3)) ||
		!f.OptOuts[0].CreatedAt.Equal(day(2).Add(time.Hour)) {
		t.Errorf("opt-out facts = %+v", f.OptOuts)
	}
	empty, err := s.MonitoringFacts(ctx(t), day(100), day(200))
	if err != nil || len(empty.Referrals) != 0 || len(empty.OptOuts) != 0 {
		t.Errorf("empty period = %+v, %v", empty, err)
	}
}

func testFeedbackCounts(t *testing.T, s store.Store, c *Clock) {
	for _, f := range []struct {
		at      time.Time
		page    string
		lang    string
		helpful bool
		comment string
	}{
		{day(0), "saying-no", "en", true, ""},
		{day(1), "saying-no", "en", true, "clear"},
		{day(1), "saying-no", "en", false, ""},
		{day(2), "saying-no", "ar", false, "شكرا"},
		{day(2), "what-is-an-imha", "en", true, ""},
		{day(30), "saying-no", "en", true, "outside"},
	} {
		c.Set(f.at)
		fb := valid()
		fb.PageID, fb.Lang, fb.Helpful, fb.Comment = f.page, f.lang, f.helpful, f.comment
		mustAdd(t, s, fb)
	}
	got, err := s.FeedbackCounts(ctx(t), day(0), day(30))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FeedbackCount{
		{PageID: "saying-no", Lang: "ar", Variant: store.VariantStandard, NotHelpful: 1, WithComments: 1},
		{PageID: "saying-no", Lang: "en", Variant: store.VariantStandard, Helpful: 2, NotHelpful: 1, WithComments: 1},
		{PageID: "what-is-an-imha", Lang: "en", Variant: store.VariantStandard, Helpful: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("FeedbackCounts = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testPurgeBefore(t *testing.T, s store.Store, c *Clock) {
	cutoff := day(400)
	// Created long ago and never touched again: past retention.
	old := addAt(t, s, c, day(0), newReferral())
	// Created long ago but contacted and closed after the cutoff: kept, because
	// retention runs from the last contact.
	longRunning := addAt(t, s, c, day(1), newReferral())
	longRunning = stepTo(t, s, c, longRunning, referral.StatusAcknowledged, day(2))
	longRunning = stepTo(t, s, c, longRunning, referral.StatusClosed, day(399))
	recent := addAt(t, s, c, day(410), newReferral())
	// Closed just before the cutoff: past retention.
	closedOld := addAt(t, s, c, day(5), newReferral())
	closedOld = stepTo(t, s, c, closedOld, referral.StatusWithdrawn, day(6))

	c.Set(day(3))
	oldOpt, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: "Old Optout", Ward: "Ash", RecordedBy: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	revokedLate, err := s.AddOptOut(ctx(t), referral.OptOut{PersonName: "Revoked Late", Ward: "Ash", RecordedBy: "staff:1"})
	if err != nil {
		t.Fatal(err)
	}
	c.Set(day(405))
	if _, err := s.RevokeOptOut(ctx(t), revokedLate.ID, "staff:1"); err != nil {
		t.Fatal(err)
	}
	for i, exp := range []time.Time{day(10), day(420)} {
		c.Set(exp.Add(-time.Hour))
		if _, err := s.SaveChatSession(ctx(t), strings.Repeat("t", 16)+string(rune('a'+i)), []byte("{}"), 0, exp); err != nil {
			t.Fatal(err)
		}
	}
	for _, at := range []time.Time{day(1), day(2), day(410)} {
		c.Set(at)
		fb := valid()
		fb.Comment = "Nurse Jo on Ash ward was kind"
		mustAdd(t, s, fb)
	}
	c.Set(day(450))

	want := store.PurgeCounts{Referrals: 2, OptOuts: 1, ChatSessions: 1, FeedbackComments: 2}
	dry, err := s.PurgeBefore(ctx(t), cutoff, "system:retention", true)
	if err != nil || dry != want {
		t.Fatalf("dry run = %+v, %v; want %+v", dry, err, want)
	}
	if _, err := s.GetReferral(ctx(t), old.ID); err != nil {
		t.Fatalf("dry run deleted: %v", err)
	}
	audit, err := s.ListAudit(ctx(t), store.AuditQuery{Actor: "system:retention"})
	if err != nil || len(audit) != 0 {
		t.Fatalf("dry run audited: %+v, %v", audit, err)
	}

	got, err := s.PurgeBefore(ctx(t), cutoff, "system:retention", false)
	if err != nil || got != want {
		t.Fatalf("PurgeBefore = %+v, %v; want %+v", got, err, want)
	}
	for _, tt := range []struct {
		r    referral.Referral
		kept bool
	}{{old, false}, {longRunning, true}, {recent, true}, {closedOld, false}} {
		_, err := s.GetReferral(ctx(t), tt.r.ID)
		if tt.kept != (err == nil) || (!tt.kept && !errors.Is(err, store.ErrNotFound)) {
			t.Errorf("referral %s created %s: kept=%v, GetReferral err = %v", tt.r.Reference, tt.r.CreatedAt, tt.kept, err)
		}
	}
	opts, err := s.ListOptOuts(ctx(t), store.OptOutQuery{IncludeRevoked: true})
	if err != nil || len(opts) != 1 || opts[0].ID != revokedLate.ID {
		t.Errorf("opt-outs after purge = %+v, %v; want only %d (not %d)", opts, err, revokedLate.ID, oldOpt.ID)
	}
	if _, _, err := s.LoadChatSession(ctx(t), strings.Repeat("t", 16)+"b", day(419)); err != nil {
		t.Errorf("unexpired chat session purged: %v", err)
	}
	fbs, err := s.ListFeedback(ctx(t), store.FeedbackQuery{})
	if err != nil || len(fbs) != 3 {
		t.Fatalf("feedback after purge = %+v, %v; want 3 rows kept", fbs, err)
	}
	for _, f := range fbs {
		if keep := f.CreatedAt.Equal(day(410)); (f.Comment != "") != keep {
			t.Errorf("feedback of %s: comment %q", f.CreatedAt, f.Comment)
		}
	}
	audit, err = s.ListAudit(ctx(t), store.AuditQuery{Actor: "system:retention"})
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit = %+v, %v; want one entry", audit, err)
	}
	if e := audit[0]; e.Action != store.ActionRetentionPurged || !strings.Contains(e.Detail, want.Detail()) ||
		strings.Contains(e.Detail, "Old") || e.Subject != "" {
		t.Errorf("audit entry = %+v", e)
	}
	// Purging again finds nothing, and says so.
	again, err := s.PurgeBefore(ctx(t), cutoff, "system:retention", false)
	if err != nil || again != (store.PurgeCounts{}) {
		t.Errorf("second purge = %+v, %v", again, err)
	}
	var ve *store.ValidationError
	for _, bad := range []struct {
		cutoff time.Time
		actor  string
	}{{time.Time{}, "system"}, {cutoff, ""}, {cutoff, "Jane Smith"}} {
		if _, err := s.PurgeBefore(ctx(t), bad.cutoff, bad.actor, false); !errors.As(err, &ve) {
			t.Errorf("PurgeBefore(%v, %q) err = %v, want ValidationError", bad.cutoff, bad.actor, err)
		}
	}
}

func testEraseReferral(t *testing.T, s store.Store, c *Clock) {
	gone := addAt(t, s, c, day(0), newReferral())
	gone = stepTo(t, s, c, gone, referral.StatusAcknowledged, day(1))
	other := addAt(t, s, c, day(0), newReferral())
	c.Set(day(2))
	for _, ref := range []string{gone.Reference, other.Reference} {
		if _, err := s.AddOptOut(ctx(t), referral.OptOut{Reference: ref, RecordedBy: "patient:kiosk"}); err != nil {
			t.Fatal(err)
		}
	}
	// As the person typed it: lower case, no dash.
	typed := strings.ToLower(strings.ReplaceAll(gone.Reference, "-", ""))
	got, err := s.EraseReferral(ctx(t), typed, "staff:3")
	if err != nil || got != (store.PurgeCounts{Referrals: 1, OptOuts: 1}) {
		t.Fatalf("EraseReferral = %+v, %v", got, err)
	}
	if _, err := s.GetReferralByReference(ctx(t), gone.Reference); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("erased referral still there: %v", err)
	}
	if _, err := s.GetReferral(ctx(t), other.ID); err != nil {
		t.Errorf("other referral: %v", err)
	}
	opts, err := s.ListOptOuts(ctx(t), store.OptOutQuery{IncludeRevoked: true})
	if err != nil || len(opts) != 1 || opts[0].Reference != other.Reference {
		t.Errorf("opt-outs = %+v, %v", opts, err)
	}
	audit, err := s.ListAudit(ctx(t), store.AuditQuery{Subject: referral.Subject(gone.Reference)})
	if err != nil {
		t.Fatal(err)
	}
	last := audit[len(audit)-1]
	if last.Action != store.ActionReferralErased || last.Actor != "staff:3" || strings.Contains(last.Detail, "Alex") {
		t.Errorf("erase audit = %+v", last)
	}
	for _, e := range audit {
		if strings.Contains(e.Detail, gone.Person.Name) {
			t.Errorf("audit keeps personal data: %+v", e)
		}
	}
	for _, ref := range []string{gone.Reference, "not a ref", "ZZZZ-ZZZZ"} {
		if _, err := s.EraseReferral(ctx(t), ref, "staff:3"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EraseReferral(%q) err = %v, want ErrNotFound", ref, err)
		}
	}
	var ve *store.ValidationError
	if _, err := s.EraseReferral(ctx(t), other.Reference, "Jane Smith"); !errors.As(err, &ve) {
		t.Errorf("bad actor: err = %v", err)
	}
}
