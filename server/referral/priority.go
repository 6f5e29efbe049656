package referral

import (
	"strings"
	"time"
)

// Flags are the reasons a referral goes up the queue. They are computed from the
// referral by Assess, never typed by hand, so the queue order and the uptake
// monitoring of under-served groups (recommendation 2) follow one rule.
type Flags uint32

const (
	FlagCTO                Flags = 1 << iota // community treatment order: under-served, often hard to reach
	FlagUnder18                              // child or young person
	FlagOver65                               // older adult
	FlagLearningDisability                   // self-reported
	FlagDeafOrSensory                        // self-reported, or asked for BSL
	FlagMinorityEthnicity                    // the person's own answer; see Equality
	FlagOutOfArea                            // placed away from home
	FlagNonInstructed                        // cannot instruct: nobody else will ask for them
	FlagMeetingSoon                          // a meeting within MeetingSoonWindow of the assessment
)

// MeetingSoonWindow is how close a meeting must be to raise FlagMeetingSoon.
const MeetingSoonWindow = 7 * 24 * time.Hour

// flagInfo lists every flag with its stable name (used in URLs of the staff queue
// filters and in reports) and its weight in the priority score. A meeting within a
// week weighs most because missing it cannot be undone.
var flagInfo = []struct {
	flag   Flags
	name   string
	weight int
}{
	{FlagCTO, "cto", 20},
	{FlagUnder18, "under_18", 20},
	{FlagOver65, "over_65", 10},
	{FlagLearningDisability, "learning_disability", 15},
	{FlagDeafOrSensory, "deaf_or_sensory", 15},
	{FlagMinorityEthnicity, "minority_ethnicity", 10},
	{FlagOutOfArea, "out_of_area", 10},
	{FlagNonInstructed, "non_instructed", 25},
	{FlagMeetingSoon, "meeting_soon", 40},
}

// Has reports whether every flag in want is set.
func (f Flags) Has(want Flags) bool { return f&want == want }

// Names returns the names of the set flags, in a fixed order.
func (f Flags) Names() []string {
	var out []string
	for _, fi := range flagInfo {
		if f.Has(fi.flag) {
			out = append(out, fi.name)
		}
	}
	return out
}

// ParseFlag returns the flag with the given name.
func ParseFlag(name string) (Flags, bool) {
	for _, fi := range flagInfo {
		if fi.name == name {
			return fi.flag, true
		}
	}
	return 0, false
}

// Score is the priority score: the sum of the set flags' weights. Higher is more
// urgent; the queue orders by score, then oldest first.
func (f Flags) Score() int {
	s := 0
	for _, fi := range flagInfo {
		if f.Has(fi.flag) {
			s += fi.weight
		}
	}
	return s
}

// MaxScore is the score with every flag set; stores may rely on scores being in
// [0, MaxScore].
var MaxScore = Flags(1<<len(flagInfo) - 1).Score()

// Assess computes r's flags at time now. Age comes from the date of birth if given,
// else from the self-reported age group.
func Assess(r Referral, now time.Time) Flags {
	var f Flags
	if r.LegalStatus == LegalCTO {
		f |= FlagCTO
	}
	switch ageGroup(r, now) {
	case AgeUnder18:
		f |= FlagUnder18
	case AgeOver65:
		f |= FlagOver65
	}
	if r.LegalStatus == LegalInformalU18ECT {
		f |= FlagUnder18
	}
	for _, d := range r.Equality.Disabilities {
		switch d {
		case DisabilityLearning:
			f |= FlagLearningDisability
		case DisabilityDeafOrSensory:
			f |= FlagDeafOrSensory
		}
	}
	if r.BSL {
		f |= FlagDeafOrSensory
	}
	if r.Equality.MinorityEthnic == AnswerYes {
		f |= FlagMinorityEthnicity
	}
	if r.Equality.OutOfArea == AnswerYes {
		f |= FlagOutOfArea
	}
	if r.Kind == KindNonInstructed {
		f |= FlagNonInstructed
	}
	if m := NextMeeting(r, now); !m.IsZero() && m.Sub(today(now)) < MeetingSoonWindow {
		f |= FlagMeetingSoon
	}
	return f
}

// NextMeeting returns the earliest dated meeting on or after now's date, or zero.
// Stores keep it so a periodic job can re-assess referrals as meetings draw near.
func NextMeeting(r Referral, now time.Time) time.Time {
	var next time.Time
	for _, m := range r.Meetings {
		if m.Date.IsZero() || m.Date.Before(today(now)) {
			continue
		}
		if next.IsZero() || m.Date.Before(next) {
			next = m.Date
		}
	}
	return next
}

func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func ageGroup(r Referral, now time.Time) AgeGroup {
	dob := r.Person.DateOfBirth
	if dob.IsZero() {
		return r.Equality.AgeGroup
	}
	y, m, d := now.UTC().Date()
	age := y - dob.Year()
	if m < dob.Month() || (m == dob.Month() && d < dob.Day()) {
		age--
	}
	switch {
	case age < 18:
		return AgeUnder18
	case age >= 65:
		return AgeOver65
	}
	return Age18To64
}

// isPreferNotToSay accepts the typed forms of "prefer not to say" too, so a person who
// types it in the free-text ethnicity box is not counted as having described themselves.
func isPreferNotToSay(s string) bool {
	s = strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), " "))
	return s == "prefer not to say"
}
