package chat

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Effect is work for the transport: store a submission, then report back
// with a submitted or submit_failed input. Seq is this session's effect
// counter; session id + Seq makes the store's idempotency key, so a retry
// after a lost reply never makes a second referral.
type Effect struct {
	Kind     string    `json:"kind"` // referral, optout, optin, feedback
	Seq      int       `json:"seq"`
	Referral *Referral `json:"referral,omitempty"`
	OptOut   *OptOut   `json:"optout,omitempty"`
	OptIn    *OptIn    `json:"optin,omitempty"`
	Feedback *Feedback `json:"feedback,omitempty"`
}

// Referral is a self-referral. Field names are the flow's answer keys; choice
// answers hold the choice value (e.g. status "s3"), never translated text.
type Referral struct {
	Name          string `json:"name"`
	Ward          string `json:"ward"`
	Status        string `json:"status"`
	Language      string `json:"language"`
	LanguageOther string `json:"language_other,omitempty"`
	Interpreter   string `json:"interpreter,omitempty"`
	Comms         string `json:"comms,omitempty"`
	CommsMore     string `json:"comms_more,omitempty"`
	Contact       string `json:"contact"`
	Phone         string `json:"phone,omitempty"`
	LeaveMessage  string `json:"leave_message,omitempty"`
	ContactTime   string `json:"contact_time,omitempty"`
	Help          string `json:"help,omitempty"`
	Meeting       string `json:"meeting,omitempty"`
	MeetingDate   string `json:"meeting_date,omitempty"` // YYYY-MM-DD
	Private       string `json:"private,omitempty"`
	Consent       string `json:"consent"` // always "yes": the flow cannot reach submit without it
	Equality      string `json:"equality,omitempty"`
	Age           string `json:"age,omitempty"`
	Ethnicity     string `json:"ethnicity,omitempty"`
	Disability    string `json:"disability,omitempty"`
	Sensory       string `json:"sensory,omitempty"`
}

// OptOut records that a person does not want automatic referral.
type OptOut struct {
	Name   string `json:"name"`
	Ward   string `json:"ward"`
	Reason string `json:"reason,omitempty"`
}

// OptIn revokes an opt-out.
type OptIn struct {
	Name string `json:"name"`
	Ward string `json:"ward"`
}

// Feedback on the service; anonymous.
type Feedback struct {
	Rating  string `json:"rating"`
	Easy    string `json:"easy,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// buildEffect fills the typed payload from the answers. The answer keys are
// the payload's JSON names, so a flow edit that renames a key shows up in
// TestEffectKeys rather than as a silently empty field.
func buildEffect(kind string, seq int, answers map[string]string) Effect {
	e := Effect{Kind: kind, Seq: seq}
	var target any
	switch kind {
	case "referral":
		e.Referral = &Referral{}
		target = e.Referral
	case "optout":
		e.OptOut = &OptOut{}
		target = e.OptOut
	case "optin":
		e.OptIn = &OptIn{}
		target = e.OptIn
	case "feedback":
		e.Feedback = &Feedback{}
		target = e.Feedback
	}
	b, _ := json.Marshal(answers) // map[string]string always marshals
	_ = json.Unmarshal(b, target) // unknown keys are ignored here, checked in tests
	return e
}

var (
	phoneRe     = regexp.MustCompile(`^\+?[0-9]{10,14}$`)
	dateFormats = []string{"2006-01-02", "2/1/2006", "2/1/06", "2.1.2006", "2-1-2006"}
)

// checkField validates and normalises a field answer.
func checkField(n *Node, v string, now time.Time) (string, bool) {
	if n.Rule == "phone" || n.Rule == "date" {
		v = asciiDigits(v)
	}
	switch n.Rule {
	case "phone":
		// UK numbers, spaces and brackets allowed; 18001 text relay prefix too.
		d := strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' {
				return -1
			}
			return r
		}, v)
		return v, phoneRe.MatchString(d) || (strings.HasPrefix(d, "18001") && phoneRe.MatchString(d[5:]))
	case "date":
		for _, f := range dateFormats {
			t, err := time.Parse(f, v)
			if err != nil {
				continue
			}
			// Meetings are upcoming: refuse a date before today or years
			// away, which is almost always a typo.
			if !now.IsZero() {
				today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
				if t.Before(today) || t.After(today.AddDate(2, 0, 0)) {
					return "", false
				}
			}
			return t.Format("2006-01-02"), true
		}
		return "", false
	case "name":
		return v, strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' }) < 0
	}
	return v, true
}

// digitZeros are the zero digits of the scripts people here type numbers in:
// Arabic-Indic, Extended Arabic-Indic (Urdu), Devanagari, Bengali, Gurmukhi,
// Gujarati and fullwidth. Each script's digits run 0-9 from its zero.
var digitZeros = []rune{0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0xFF10}

// asciiDigits writes digits typed in any of those scripts as 0-9, so a phone
// number or date typed in Bengali or Urdu digits is understood and stored in
// a form staff can dial.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		for _, z := range digitZeros {
			if r >= z && r <= z+9 {
				return '0' + (r - z)
			}
		}
		return r
	}, s)
}
