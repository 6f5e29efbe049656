package web

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// The chat's answers are choice values from content/flows/*.yaml; these maps
// turn them into the referral record's vocabulary. A value missing here
// falls back to "not sure"/empty, never to a guess.
var (
	chatStatus = map[string]referral.LegalStatus{
		"s2": referral.LegalS2, "s3": referral.LegalS3, "cto": referral.LegalCTO,
		"guardianship": referral.LegalGuardianship, "conditional": referral.LegalConditionalDischarge,
		"informal": referral.LegalInformal,
		// "court" (a court or hospital order, section not given) and "short"
		// (s4, 5(2), 5(4), 135, 136) need an advocate to check: not sure.
	}
	chatContact = map[string]referral.ContactMethod{
		"visit": referral.ContactInPerson, "phone": referral.ContactPhone, "text": referral.ContactText,
		"ward_phone": referral.ContactViaStaff, "letter": referral.ContactViaStaff,
	}
	chatContactNote = map[string]string{"ward_phone": "call the ward phone", "letter": "write a letter to the ward"}
	chatMeeting     = map[string]referral.MeetingKind{
		"ward_round": referral.MeetingWardRound, "cpa": referral.MeetingCPA,
		"tribunal": referral.MeetingTribunal, "other": referral.MeetingOther,
	}
	chatAge = map[string]referral.AgeGroup{
		"under_18": referral.AgeUnder18, "18_25": referral.Age18To64, "26_64": referral.Age18To64,
		"65_over": referral.AgeOver65, "prefer_not": referral.AgePreferNotToSay,
	}
	chatDisability = map[string]referral.Disability{
		"no": referral.DisabilityNone, "learning": referral.DisabilityLearning, "physical": referral.DisabilityPhysical,
		"long_term": referral.DisabilityOther, "other": referral.DisabilityOther, "prefer_not": referral.DisabilityPreferNotToSay,
	}
	chatComms = map[string]string{
		"easy_read": "easy read", "large_print": "large print", "hearing": "hearing impairment",
		"sight": "sight impairment", "speech": "speech difficulty", "other": "other",
	}
)

// referralFromChat turns a chat self-referral into the queue's record.
func referralFromChat(key string, st chat.State, c chat.Referral) referral.Referral {
	r := referral.Referral{
		IdempotencyKey: key,
		Kind:           referral.KindSelf,
		Person:         referral.Person{Name: c.Name, Ward: firstNonEmpty(c.Ward, st.Ward)},
		LegalStatus:    referral.LegalNotSure,
		Language:       st.Lang,
		Interpreter:    c.Interpreter == "yes",
		HelpWanted:     c.Help,
		Contact: referral.Contact{
			Method: referral.ContactInPerson, BestTimes: c.ContactTime,
			MayLeaveMessage: c.LeaveMessage == "yes",
		},
		WantsPrivateMeeting: c.Private == "yes",
		Consent:             referral.Consent{Given: c.Consent == "yes"},
		Source:              referral.SourceChat,
	}
	if s, ok := chatStatus[c.Status]; ok {
		r.LegalStatus = s
	}
	switch c.Language {
	case "bsl":
		r.Language, r.BSL, r.Interpreter = "en", true, true
	case "other", "":
	default:
		r.Language = c.Language
	}
	var needs []string
	if c.Language == "other" && c.LanguageOther != "" {
		needs = append(needs, "language: "+c.LanguageOther)
	}
	if n, ok := chatComms[c.Comms]; ok {
		needs = append(needs, n)
	}
	if c.CommsMore != "" {
		needs = append(needs, c.CommsMore)
	}
	r.CommunicationNeeds = strings.Join(needs, "; ")
	if m, ok := chatContact[c.Contact]; ok {
		r.Contact.Method = m
		r.Contact.Value = chatContactNote[c.Contact]
	}
	if r.Contact.Method == referral.ContactPhone || r.Contact.Method == referral.ContactText {
		r.Contact.Value = c.Phone
	}
	if k, ok := chatMeeting[c.Meeting]; ok {
		m := referral.Meeting{Kind: k}
		if d, err := time.Parse(time.DateOnly, c.MeetingDate); err == nil {
			m.Date = d
		}
		r.Meetings = []referral.Meeting{m}
	}
	if c.Equality == "yes" {
		r.Equality.AgeGroup = chatAge[c.Age]
		r.Equality.Ethnicity = c.Ethnicity
		if d, ok := chatDisability[c.Disability]; ok {
			r.Equality.Disabilities = append(r.Equality.Disabilities, d)
		}
		switch c.Sensory {
		case "", "no":
		case "prefer_not":
			if len(r.Equality.Disabilities) == 0 {
				r.Equality.Disabilities = []referral.Disability{referral.DisabilityPreferNotToSay}
			}
		default:
			r.Equality.Disabilities = append(r.Equality.Disabilities, referral.DisabilityDeafOrSensory)
		}
	}
	return r
}

func optOutFromChat(c chat.OptOut) referral.OptOut {
	return referral.OptOut{PersonName: c.Name, Ward: c.Ward, Reason: c.Reason, RecordedBy: "patient:chat"}
}

// optIn revokes the person's opt-outs on record (matched by ward and name).
// With none on record the change of mind is still kept, as an audit entry
// the advocacy service sees, so it is never lost.
func (cv *conversations) optIn(ctx context.Context, key string, st chat.State, c chat.OptIn) (string, error) {
	ward := firstNonEmpty(c.Ward, st.Ward)
	outs, err := cv.store.ListOptOuts(ctx, store.OptOutQuery{Ward: ward})
	if err != nil {
		return "", err
	}
	var ref string
	for _, o := range outs {
		if o.Active() && strings.EqualFold(strings.TrimSpace(o.PersonName), strings.TrimSpace(c.Name)) {
			if _, err := cv.store.RevokeOptOut(ctx, o.ID, "patient:chat"); err != nil && err != store.ErrConflict {
				return "", err
			}
			ref = fmt.Sprintf("OPT-%d", o.ID)
		}
	}
	if ref != "" {
		return ref, nil
	}
	e, err := cv.store.AppendAudit(ctx, referral.AuditEntry{Actor: "patient:chat", Action: "optin.unmatched", Subject: "chat:" + key[:12], Detail: "asked to cancel an opt-out; none on record for the ward given"})
	return fmt.Sprintf("OPTIN-%d", e.ID), err
}

// feedbackFromChat keeps service feedback with page feedback: page "chat",
// helpful unless the rating was bad; the rating and ease go in the comment.
func feedbackFromChat(key string, st chat.State, c chat.Feedback) store.Feedback {
	variant := library.Standard
	if st.Variant == chat.VariantEasy {
		variant = library.EasyRead
	}
	prefix := fmt.Sprintf("[rating: %s; easy: %s] ", c.Rating, c.Easy)
	body := []rune(c.Comment)
	if room := commentMax - utf8.RuneCountInString(prefix); len(body) > room {
		body = body[:room] // the chat allows 500 characters; the prefix takes a few
	}
	comment := strings.TrimSpace(prefix + string(body))
	return store.Feedback{Key: key, PageID: "chat", Lang: st.Lang, Variant: variant, Helpful: c.Rating != "bad", Comment: comment}
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
