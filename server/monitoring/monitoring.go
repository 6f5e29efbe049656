// Package monitoring computes the uptake report commissioners need (recommendation 2
// of The Right to Be Heard: under-served groups first, with their uptake monitored):
// referrals by kind and source, automatic referrals against opt-outs, how many reach
// an advocate, and time to first contact against the service promise, each broken
// down by under-served group (referral.Flags), language and interpreter/BSL need.
//
// Compute is pure; Build reads the store (store.RecordStore.MonitoringFacts and
// FeedbackCounts) and calls it.
package monitoring

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // working days are counted in Europe/London wherever the server runs

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// Config is the service promise the report measures against.
type Config struct {
	// PromiseWorkingDays: first contact within this many working days of the
	// referral (POhWER promises 5).
	PromiseWorkingDays int
	// Location decides where a day starts; default Europe/London.
	Location *time.Location
	// Holidays are non-working dates (bank holidays) as YYYY-MM-DD; weekends always are.
	Holidays map[string]bool
}

// DefaultPromiseWorkingDays is POhWER's promise: contact within 5 working days.
const DefaultPromiseWorkingDays = 5

func (c Config) withDefaults() Config {
	if c.PromiseWorkingDays <= 0 {
		c.PromiseWorkingDays = DefaultPromiseWorkingDays
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Europe/London")
		if err != nil {
			loc = time.UTC
		}
		c.Location = loc
	}
	return c
}

// Count is one labelled number.
type Count struct {
	Key string // stable code, e.g. "automatic"
	N   int
}

// Group is one row of a breakdown.
type Group struct {
	Key       string // a flag name, a language tag, "interpreter", "bsl", "neither", "all" or "none"
	Referrals int
	Automatic int
	Withdrawn int
	Contacted int // reached first contact
	// Measured are referrals whose promise can be judged: contacted, or still
	// uncontacted after the promise ran out (withdrawn ones are left out: the
	// person said no). WithinPromise of them were contacted in time.
	Measured      int
	WithinPromise int
	// MedianWorkingDays to first contact among the contacted; -1 if none.
	MedianWorkingDays float64
	// Kinds and Sources count the group's referrals by referral.Kinds and
	// SourceOrder, so each breakdown shows how that group's referrals came.
	Kinds   [4]int
	Sources [6]int
}

// ContactedShare is Contacted / Referrals, or 0.
func (g Group) ContactedShare() float64 { return share(g.Contacted, g.Referrals) }

// PromiseShare is WithinPromise / Measured, or 0.
func (g Group) PromiseShare() float64 { return share(g.WithinPromise, g.Measured) }

func share(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Uptake compares automatic referrals with opt-outs.
type Uptake struct {
	Automatic      int // automatic referrals created in the period
	OptOuts        int // opt-outs recorded in the period
	OptOutsInForce int // of those, not revoked
}

// Report is the monitoring report for one period.
type Report struct {
	From, To           time.Time // creation times covered: [From, To)
	At                 time.Time // when it was computed (judges promises still running)
	PromiseWorkingDays int
	ByKind             []Count
	BySource           []Count
	Uptake             Uptake
	All                Group   // every referral
	ByGroup            []Group // one per flag, then "none" (no flag)
	ByLanguage         []Group // most referrals first
	ByNeed             []Group // interpreter, bsl, neither
	Feedback           []store.FeedbackCount
	FeedbackHelpful    int
	FeedbackNotHelpful int
}

// FlagKeys are the flags in report order.
var FlagKeys = referral.Flags(1<<32 - 1).Names()

func init() {
	// Group's arrays must have a place for every kind and channel.
	if len(Group{}.Kinds) != len(referral.Kinds) || len(Group{}.Sources) != len(SourceOrder) {
		panic("monitoring: Group.Kinds or Group.Sources is out of step with referral.Kinds or SourceOrder")
	}
}

// Build reads the facts for [from, to) and computes the report at time now.
func Build(ctx context.Context, s store.RecordStore, from, to, now time.Time, c Config) (Report, error) {
	f, err := s.MonitoringFacts(ctx, from, to)
	if err != nil {
		return Report{}, err
	}
	fb, err := s.FeedbackCounts(ctx, from, to)
	if err != nil {
		return Report{}, err
	}
	return Compute(f, fb, from, to, now, c), nil
}

// Compute builds the report from facts.
func Compute(f store.Facts, fb []store.FeedbackCount, from, to, now time.Time, c Config) Report {
	c = c.withDefaults()
	r := Report{From: from, To: to, At: now, PromiseWorkingDays: c.PromiseWorkingDays, Feedback: fb}
	kinds := map[string]int{}
	sources := map[string]int{}
	groups := map[string]*acc{}
	get := func(key string) *acc {
		if groups[key] == nil {
			groups[key] = &acc{g: Group{Key: key}}
		}
		return groups[key]
	}
	all := &acc{g: Group{Key: "all"}}
	for _, rf := range f.Referrals {
		kinds[string(rf.Kind)]++
		sources[string(rf.Source)]++
		if rf.Kind == referral.KindAutomatic {
			r.Uptake.Automatic++
		}
		m := measure(rf, now, c)
		all.add(rf, m)
		names := rf.Flags.Names()
		if len(names) == 0 {
			names = []string{"none"}
		}
		for _, n := range names {
			get("flag:"+n).add(rf, m)
		}
		lang := rf.Language
		if lang == "" {
			lang = "und"
		}
		get("lang:"+lang).add(rf, m)
		switch {
		case rf.BSL && rf.Interpreter:
			get("need:interpreter").add(rf, m)
			get("need:bsl").add(rf, m)
		case rf.BSL:
			get("need:bsl").add(rf, m)
		case rf.Interpreter:
			get("need:interpreter").add(rf, m)
		default:
			get("need:neither").add(rf, m)
		}
	}
	for _, o := range f.OptOuts {
		r.Uptake.OptOuts++
		if o.RevokedAt.IsZero() {
			r.Uptake.OptOutsInForce++
		}
	}
	for _, k := range referral.Kinds {
		r.ByKind = append(r.ByKind, Count{Key: string(k), N: kinds[string(k)]})
	}
	for _, s := range SourceOrder {
		r.BySource = append(r.BySource, Count{Key: string(s), N: sources[string(s)]})
	}
	r.All = all.done()
	// Every flag gets a row even with no referrals: a zero for an under-served group
	// is the finding, not something to hide.
	for _, k := range append(slices.Clone(FlagKeys), "none") {
		r.ByGroup = append(r.ByGroup, get("flag:"+k).done())
	}
	for key, a := range groups {
		if lang, ok := strings.CutPrefix(key, "lang:"); ok {
			g := a.done()
			g.Key = lang
			r.ByLanguage = append(r.ByLanguage, g)
		}
	}
	sort.Slice(r.ByLanguage, func(i, j int) bool {
		a, b := r.ByLanguage[i], r.ByLanguage[j]
		if a.Referrals != b.Referrals {
			return a.Referrals > b.Referrals
		}
		return a.Key < b.Key
	})
	for _, k := range []string{"interpreter", "bsl", "neither"} {
		g := get("need:" + k).done()
		g.Key = k
		r.ByNeed = append(r.ByNeed, g)
	}
	for i := range r.ByGroup {
		r.ByGroup[i].Key = r.ByGroup[i].Key[len("flag:"):]
	}
	for _, c := range fb {
		r.FeedbackHelpful += c.Helpful
		r.FeedbackNotHelpful += c.NotHelpful
	}
	return r
}

// SourceOrder lists channels, the people-facing ones first.
var SourceOrder = []referral.Source{referral.SourceKiosk, referral.SourceChat, referral.SourceWebForm,
	referral.SourceStaff, referral.SourceMHAOfficeAPI, referral.SourceCSV}

// measurement is one referral judged against the promise.
type measurement struct {
	contacted bool
	days      int  // working days to first contact, if contacted
	measured  bool // the promise can be judged
	within    bool
}

func measure(rf store.ReferralFact, now time.Time, c Config) measurement {
	deadline := AddWorkingDays(rf.CreatedAt, c.PromiseWorkingDays, c)
	switch {
	case !rf.FirstContactAt.IsZero():
		return measurement{contacted: true, days: WorkingDaysBetween(rf.CreatedAt, rf.FirstContactAt, c),
			measured: true, within: !rf.FirstContactAt.After(deadline)}
	case rf.Status == referral.StatusWithdrawn:
		return measurement{} // the person said no: not a missed promise
	case now.After(deadline):
		return measurement{measured: true} // promise ran out without contact
	}
	return measurement{} // still within the promise
}

type acc struct {
	g    Group
	days []int
}

func (a *acc) add(rf store.ReferralFact, m measurement) {
	a.g.Referrals++
	if i := slices.Index(referral.Kinds, rf.Kind); i >= 0 {
		a.g.Kinds[i]++
	}
	if i := slices.Index(SourceOrder, rf.Source); i >= 0 {
		a.g.Sources[i]++
	}
	if rf.Kind == referral.KindAutomatic {
		a.g.Automatic++
	}
	if rf.Status == referral.StatusWithdrawn {
		a.g.Withdrawn++
	}
	if m.contacted {
		a.g.Contacted++
		a.days = append(a.days, m.days)
	}
	if m.measured {
		a.g.Measured++
		if m.within {
			a.g.WithinPromise++
		}
	}
}

func (a *acc) done() Group {
	g := a.g
	g.MedianWorkingDays = median(a.days)
	return g
}

func median(xs []int) float64 {
	if len(xs) == 0 {
		return -1
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

func (c Config) working(d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !c.Holidays[d.Format(time.DateOnly)]
}

func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// AddWorkingDays returns the end (last instant) of the n-th working day after t's
// day: a referral on Monday with a 5-day promise must be contacted by the end of the
// next Monday. A referral made at a weekend counts from the next working day.
func AddWorkingDays(t time.Time, n int, c Config) time.Time {
	c = c.withDefaults()
	d := dayOf(t, c.Location)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.working(d) {
			n--
		}
	}
	return d.AddDate(0, 0, 1).Add(-time.Nanosecond)
}

// WorkingDaysBetween counts the working days after from's day up to and including
// to's day: same day is 0, the next working day 1.
func WorkingDaysBetween(from, to time.Time, c Config) int {
	c = c.withDefaults()
	d, end := dayOf(from, c.Location), dayOf(to, c.Location)
	n := 0
	for d.Before(end) {
		d = d.AddDate(0, 0, 1)
		if c.working(d) {
			n++
		}
	}
	return n
}
