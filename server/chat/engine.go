// Package chat is the guided-conversation engine: flows defined as data
// (content/flows/*.yaml), a pure Step function from (state, input) to (state,
// outputs), and a renderer that turns outputs into text with go-i18n.
//
// The engine does no I/O and reads no clock. The transport (websocket or a
// no-JS form) stores State per session, feeds inputs in, shows the outputs and
// executes effects (a referral to submit), reporting the result back as an
// input. So several servers can share one store, and every path can be
// replayed in tests.
package chat

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Flows the engine itself relies on.
const (
	FlowMenu   = "menu"   // where restart goes
	FlowPerson = "person" // "talk to a person", offered on every step
)

// Reserved choice values start with _ so they never clash with a flow's own.
const (
	ValuePerson = "_person"
	ValueMenu   = "_menu"
	ValueNext   = "_next"
	ValueSkip   = "_skip"
	ValueYes    = "yes"
	ValueNo     = "no"
	ValueSubmit = "_submit"
	// ValueFlow + flow id starts that flow (offered after free text).
	ValueFlow = "_flow:"
	// ValueChange + node id asks to change one answer from a summary.
	ValueChange = "_change:"
)

// Variants of the text.
const (
	VariantStandard = ""
	VariantEasy     = "easy"
)

// StateVersion changes when State's meaning changes; older states are reset.
const StateVersion = 1

// MaxHistory bounds the Back stack so stored state stays small.
const MaxHistory = 24

// State is everything the engine needs between steps. Short JSON names keep
// it small, since it is stored for every session.
type State struct {
	V       int               `json:"v"`
	Flow    string            `json:"f,omitempty"`
	Node    string            `json:"n,omitempty"`
	Answers map[string]string `json:"a,omitempty"`
	Hist    []string          `json:"h,omitempty"` // nodes to go Back to, oldest first
	Lang    string            `json:"l,omitempty"`
	Variant string            `json:"var,omitempty"`
	Ward    string            `json:"w,omitempty"`   // preset by a ward kiosk
	Ret     string            `json:"r,omitempty"`   // summary to return to after a change
	Pending bool              `json:"p,omitempty"`   // an effect is out with the transport
	Seq     int               `json:"s,omitempty"`   // effects emitted: idempotency per session
	Ref     string            `json:"ref,omitempty"` // reference of the last submission
}

// NewState starts a session. ward may be empty; a ward kiosk passes its own.
func NewState(lang, variant, ward string) State {
	if variant != VariantEasy {
		variant = VariantStandard
	}
	if !langRe.MatchString(lang) {
		lang = "en"
	}
	return State{V: StateVersion, Lang: lang, Variant: variant, Ward: cleanText(ward, 100)}
}

var langRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{1,8})?$`)

// InputKind names what happened.
type InputKind string

// Input kinds.
const (
	InStart        InputKind = "start"         // Flow
	InChoose       InputKind = "choose"        // Value
	InText         InputKind = "text"          // Value
	InBack         InputKind = "back"          //
	InRestart      InputKind = "restart"       //
	InResume       InputKind = "resume"        // show the current step again
	InSubmitted    InputKind = "submitted"     // Value: the reference from the store
	InSubmitFailed InputKind = "submit_failed" //
)

// Input is one event. Node, when set, is the node the person was looking at:
// an answer to an older step (a double tap, a second tab) is refused rather
// than applied to the wrong question.
type Input struct {
	Kind  InputKind
	Flow  string
	Value string
	Node  string
	Now   time.Time // for date checks; zero skips them
}

// OutputKind names what to show.
type OutputKind string

// Output kinds.
const (
	OutMessage OutputKind = "message"
	OutChoices OutputKind = "choices"
	OutInput   OutputKind = "input"
	OutSummary OutputKind = "summary"
	OutEffect  OutputKind = "effect"
	OutError   OutputKind = "error"
	OutSafety  OutputKind = "safety"
)

// Output carries message ids, never text, so one step serves every language.
type Output struct {
	Kind    OutputKind        `json:"kind"`
	ID      string            `json:"id,omitempty"`
	Data    map[string]string `json:"data,omitempty"`
	Picture string            `json:"picture,omitempty"`
	Choices []ChoiceOut       `json:"choices,omitempty"`
	Input   *InputRequest     `json:"input,omitempty"`
	Rows    []SummaryRow      `json:"rows,omitempty"`
	Effect  *Effect           `json:"effect,omitempty"`
}

// ChoiceOut is one quick reply: send Value back with a choose input.
type ChoiceOut struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// InputRequest says what free input the step takes.
type InputRequest struct {
	Kind     string `json:"kind"` // text, yesno, date, field
	Rule     string `json:"rule,omitempty"`
	Max      int    `json:"max,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// SummaryRow is one answer on a check-your-answers step. ValueID is set when
// the answer was a choice (show its label); otherwise Value is what was typed.
type SummaryRow struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	ValueID string `json:"value_id,omitempty"`
	Change  string `json:"change"` // send ValueChange+Change to change it
}

// Engine holds the loaded, validated flows and phrase lists. It is immutable
// and safe for concurrent use.
type Engine struct {
	flows  map[string]*Flow
	known  map[string]bool
	topics *matcher
	risk   *matcher
}

// Load reads flows/*.yaml, chat/topics.yaml and chat/risk.yaml from content
// and validates them. known is the set of message ids in the English locale
// (see MessageIDs); every id a flow uses must be in it.
func Load(content fs.FS, known map[string]bool) (*Engine, error) {
	flows, err := loadFlows(content, "flows", known)
	if err != nil {
		return nil, err
	}
	e := &Engine{flows: flows, known: known}
	for _, id := range []string{FlowMenu, FlowPerson} {
		if flows[id] == nil {
			return nil, fmt.Errorf("chat: flow %q is required", id)
		}
	}
	var errs []error
	for _, id := range commonIDs {
		if !known[id] {
			errs = append(errs, fmt.Errorf("chat: engine message id %q missing from locale", id))
		}
	}
	tf, err := loadPhrases(content, "chat/topics.yaml")
	if err != nil {
		return nil, err
	}
	for lang, groups := range tf {
		for g := range groups {
			if flows[g] == nil && g != ValueYes && g != ValueNo {
				errs = append(errs, fmt.Errorf("chat/topics.yaml: %s: %q is neither a flow nor yes/no", lang, g))
			}
		}
	}
	if e.topics, err = newMatcher("chat/topics.yaml", tf); err != nil {
		return nil, err
	}
	rf, err := loadPhrases(content, "chat/risk.yaml")
	if err != nil {
		return nil, err
	}
	if e.risk, err = newMatcher("chat/risk.yaml", rf); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return e, nil
}

// Flows lists the flow ids, sorted.
func (e *Engine) Flows() []string {
	ids := make([]string, 0, len(e.flows))
	for id := range e.flows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Flow returns a loaded flow, or nil.
func (e *Engine) Flow(id string) *Flow { return e.flows[id] }

// Message ids the engine uses itself, outside any flow.
const (
	msgSafety       = "chat.safety.message"
	msgContinue     = "chat.common.continue"
	msgPerson       = "chat.common.person"
	msgMenu         = "chat.common.menu"
	msgSkip         = "chat.common.skip"
	msgYes          = "chat.common.yes"
	msgNo           = "chat.common.no"
	msgSubmit       = "chat.common.submit"
	msgSending      = "chat.common.sending"
	msgChange       = "chat.common.change"
	msgTopicFound   = "chat.topic.found"
	msgTopicNone    = "chat.topic.none"
	errUnknownFlow  = "chat.error.unknown_flow"
	errUnknownInput = "chat.error.unknown_input"
	errUnknownPick  = "chat.error.unknown_choice"
	errStale        = "chat.error.stale"
	errNoBack       = "chat.error.no_back"
	errPending      = "chat.error.pending"
	errNotPending   = "chat.error.not_pending"
	errEmpty        = "chat.error.empty"
	errTooLong      = "chat.error.too_long"
	errSubmitFailed = "chat.error.submit_failed"
	errReset        = "chat.error.reset"
	errFieldPrefix  = "chat.error.field."
)

var commonIDs = []string{
	msgSafety, msgContinue, msgPerson, msgMenu, msgSkip, msgYes, msgNo, msgSubmit,
	msgSending, msgChange, msgTopicFound, msgTopicNone,
	errUnknownFlow, errUnknownInput, errUnknownPick, errStale, errNoBack, errPending,
	errNotPending, errEmpty, errTooLong, errSubmitFailed, errReset,
	errFieldPrefix + "date", errFieldPrefix + "phone", errFieldPrefix + "name", errFieldPrefix + "any",
}

// ErrStateReset is returned with a fresh, usable state and outputs when the
// stored state no longer fits the flows (content changed, or it was
// tampered with). The transport should log it and carry on.
var ErrStateReset = errors.New("chat: stored state did not fit the flows; restarted")

// Step applies one input. It never panics on any input and always returns a
// valid state and at least one output; bad input becomes an error output.
func (e *Engine) Step(st State, in Input) (State, []Output, error) {
	st = st.clone()
	var s = &step{e: e, st: &st}
	if !e.valid(st) {
		fresh := NewState(st.Lang, st.Variant, st.Ward)
		s.st = &fresh
		s.errorOut(errReset, nil)
		s.enter(FlowMenu)
		return fresh, s.out, ErrStateReset
	}
	s.apply(in)
	return *s.st, s.out, nil
}

func (st State) clone() State {
	if st.Answers != nil {
		a := make(map[string]string, len(st.Answers))
		for k, v := range st.Answers {
			a[k] = v
		}
		st.Answers = a
	}
	st.Hist = slices.Clone(st.Hist)
	return st
}

// valid reports whether st can be stepped: the engine's own invariants.
func (e *Engine) valid(st State) bool {
	if st.V != StateVersion && !(st.V == 0 && st.Flow == "") {
		return false
	}
	if (st.Variant != VariantStandard && st.Variant != VariantEasy) || (st.Lang != "" && !langRe.MatchString(st.Lang)) || len(st.Ward) > 400 {
		return false
	}
	if len(st.Hist) > MaxHistory || len(st.Answers) > 64 {
		return false
	}
	if st.Flow == "" {
		return st.Node == "" && len(st.Hist) == 0 && !st.Pending
	}
	f := e.flows[st.Flow]
	if f == nil || f.Node(st.Node) == nil {
		return false
	}
	for _, h := range st.Hist {
		if f.Node(h) == nil {
			return false
		}
	}
	if st.Ret != "" && (f.Node(st.Ret) == nil || f.Node(st.Ret).Kind != KindSummary) {
		return false
	}
	if st.Pending && f.Node(st.Node).Kind != KindSummary {
		return false
	}
	return true
}

// Valid reports whether a stored state can be resumed as it is.
func (e *Engine) Valid(st State) bool { return e.valid(st) }

type step struct {
	e   *Engine
	st  *State
	out []Output
}

func (s *step) flow() *Flow { return s.e.flows[s.st.Flow] }
func (s *step) node() *Node { return s.flow().Node(s.st.Node) }

func (s *step) apply(in Input) {
	st := s.st
	st.V = StateVersion
	if in.Kind == InText {
		// Screen before anything else, whatever the step, so a risky
		// message never waits behind a validation error.
		s.screen(in.Value)
	}
	switch in.Kind {
	case InStart:
		if s.e.flows[in.Flow] == nil {
			s.errorOut(errUnknownFlow, nil)
			s.showOrMenu()
			return
		}
		s.enter(in.Flow)
		return
	case InRestart:
		s.enter(FlowMenu)
		return
	case InResume:
		s.showOrMenu()
		return
	case InSubmitted, InSubmitFailed:
		s.result(in)
		return
	case InChoose, InText, InBack:
	default:
		s.errorOut(errUnknownInput, nil)
		s.showOrMenu()
		return
	}
	if in.Kind == InChoose {
		// Global choices work from any step, and before any flow started.
		if id, ok := strings.CutPrefix(in.Value, ValueFlow); ok && s.e.flows[id] != nil && !st.Pending {
			s.enter(id)
			return
		}
	}
	if st.Flow == "" {
		if in.Kind == InText {
			s.topic(in.Value)
			return
		}
		s.enter(FlowMenu)
		return
	}
	if in.Node != "" && in.Node != st.Node {
		s.errorOut(errStale, nil)
		s.show()
		return
	}
	if st.Pending {
		s.errorOut(errPending, nil)
		return
	}
	switch in.Kind {
	case InBack:
		s.back()
	case InChoose:
		s.choose(in.Value)
	case InText:
		s.text(in)
	}
}

// screen adds the safety message when text suggests risk. The conversation
// then carries on: the message is help, not a stop.
func (s *step) screen(text string) {
	if len(text) > maxScreen {
		text = text[:maxScreen] // frames are 4 KiB; this only bounds work on misuse
	}
	if len(s.e.risk.hits(normalize(text))) > 0 {
		s.out = append(s.out, Output{Kind: OutSafety, ID: s.easy(msgSafety)})
	}
}

const maxScreen = 8192

// Risky reports whether text matches any risk phrase, in any language.
func (e *Engine) Risky(text string) bool { return len(e.risk.hits(normalize(text))) > 0 }

func (s *step) enter(flow string) {
	st := s.st
	st.Flow, st.Node = flow, s.e.flows[flow].Start
	st.Answers, st.Hist, st.Ret, st.Pending = nil, nil, "", false
	s.arrive()
}

// arrive shows the current node, first filling a kiosk preset if there is one.
func (s *step) arrive() {
	n := s.node()
	if n.Key == "ward" && s.st.Ward != "" && s.st.Answers["ward"] == "" && (n.Kind == KindText || n.Kind == KindField) {
		s.setAnswer(n.Key, s.st.Ward)
		s.st.Node = n.Next // not pushed to history: Back skips what was never asked
		s.arrive()
		return
	}
	if s.st.Node == s.st.Ret {
		s.st.Ret = ""
	}
	s.show()
}

func (s *step) showOrMenu() {
	if s.st.Flow == "" {
		s.enter(FlowMenu)
		return
	}
	s.show()
}

func (s *step) back() {
	st := s.st
	if len(st.Hist) == 0 {
		s.errorOut(errNoBack, nil)
		s.show()
		return
	}
	st.Node = st.Hist[len(st.Hist)-1]
	st.Hist = st.Hist[:len(st.Hist)-1]
	if st.Node == st.Ret {
		st.Ret = ""
	}
	s.show()
}

// move goes to next within the flow. While changing one answer from a
// summary, it returns to the summary as soon as the path reaches a question
// already answered (or one the summary does not list), so a new branch (say,
// a phone number after choosing "phone me") is still asked.
func (s *step) move(next string) {
	st := s.st
	st.Hist = append(st.Hist, st.Node)
	if len(st.Hist) > MaxHistory {
		st.Hist = st.Hist[len(st.Hist)-MaxHistory:]
	}
	if st.Ret != "" {
		ret := s.flow().Node(st.Ret)
		n := s.flow().Node(next)
		if n.Key == "" || !slices.Contains(ret.Rows, n.Key) || st.Answers[n.Key] != "" {
			next = st.Ret
		}
	}
	st.Node = next
	s.arrive()
}

func (s *step) setAnswer(key, v string) {
	if s.st.Answers == nil {
		s.st.Answers = map[string]string{}
	}
	s.st.Answers[key] = v
}

func (s *step) choose(v string) {
	n := s.node()
	switch v {
	case ValuePerson:
		s.enter(FlowPerson)
		return
	case ValueMenu:
		s.enter(FlowMenu)
		return
	}
	switch n.Kind {
	case KindInfo:
		if v == ValueNext {
			s.move(n.Next)
			return
		}
	case KindChoice, KindOutcome:
		for _, c := range n.Choices {
			if c.Value != v {
				continue
			}
			if c.Flow != "" {
				s.enter(c.Flow)
				return
			}
			if n.Key != "" {
				s.setAnswer(n.Key, v)
			}
			s.move(c.Next)
			return
		}
	case KindYesNo:
		if v == ValueYes || v == ValueNo {
			if n.Key != "" {
				s.setAnswer(n.Key, v)
			}
			s.move(map[string]string{ValueYes: n.Yes, ValueNo: n.No}[v])
			return
		}
	case KindText, KindField:
		if v == ValueSkip && n.Optional {
			delete(s.st.Answers, n.Key)
			s.move(n.Next)
			return
		}
	case KindSummary:
		if v == ValueSubmit {
			s.submit(n)
			return
		}
		if target, ok := strings.CutPrefix(v, ValueChange); ok {
			if t := s.flow().Node(target); t != nil && t.Key != "" && slices.Contains(n.Rows, t.Key) {
				s.st.Ret = n.ID
				s.st.Hist = append(s.st.Hist, n.ID)
				if len(s.st.Hist) > MaxHistory {
					s.st.Hist = s.st.Hist[1:]
				}
				s.st.Node = t.ID
				s.show()
				return
			}
		}
	}
	s.errorOut(errUnknownPick, nil)
	s.show()
}

func (s *step) text(in Input) {
	n := s.node()
	if n.Kind != KindText && n.Kind != KindField {
		// Free text on a step that wants a choice: maybe it is one.
		if n.Kind == KindYesNo {
			for _, h := range s.e.topics.hits(normalize(in.Value)) {
				if h.group == ValueYes || h.group == ValueNo {
					s.choose(h.group)
					return
				}
			}
		}
		s.topic(in.Value)
		return
	}
	v := cleanText(in.Value, -1)
	switch {
	case v == "":
		s.errorOut(errEmpty, nil)
	case utf8.RuneCountInString(v) > n.maxLen():
		s.errorOut(errTooLong, map[string]string{"Max": fmt.Sprint(n.maxLen())})
	default:
		norm, ok := checkField(n, v, in.Now)
		if !ok {
			s.errorOut(errFieldPrefix+n.Rule, nil)
			break
		}
		s.setAnswer(n.Key, norm)
		s.move(n.Next)
		return
	}
	s.show()
}

// topic answers free text that is not an answer: offer the flows it seems to
// be about, and always the menu and a person, so it is never a dead end.
func (s *step) topic(text string) {
	var choices []ChoiceOut
	seen := map[string]bool{}
	for _, h := range s.e.topics.hits(normalize(text)) {
		f := s.e.flows[h.group]
		if f == nil || seen[f.ID] || f.ID == FlowPerson || f.ID == FlowMenu {
			continue
		}
		seen[f.ID] = true
		choices = append(choices, ChoiceOut{Value: ValueFlow + f.ID, Label: f.Title})
	}
	if len(choices) == 0 {
		s.out = append(s.out, Output{Kind: OutMessage, ID: s.easy(msgTopicNone)})
		if s.st.Flow != "" {
			s.show() // nothing matched: carry on with the step the person is on
			return
		}
	} else {
		s.out = append(s.out, Output{Kind: OutMessage, ID: s.easy(msgTopicFound)})
	}
	if len(choices) > 3 {
		choices = choices[:3]
	}
	choices = append(choices, ChoiceOut{Value: ValueMenu, Label: msgMenu}, ChoiceOut{Value: ValuePerson, Label: msgPerson})
	s.out = append(s.out, Output{Kind: OutChoices, Choices: choices})
}

func (s *step) submit(n *Node) {
	st := s.st
	st.Seq++
	st.Pending = true
	live := s.flow().live(st.Answers)
	answers := map[string]string{}
	for k, v := range st.Answers {
		if live[k] {
			answers[k] = v
		}
	}
	eff := buildEffect(n.Effect, st.Seq, answers)
	s.out = append(s.out,
		Output{Kind: OutMessage, ID: s.easy(msgSending)},
		Output{Kind: OutEffect, Effect: &eff})
}

func (s *step) result(in Input) {
	st := s.st
	if !st.Pending {
		s.errorOut(errNotPending, nil)
		s.showOrMenu()
		return
	}
	st.Pending = false
	n := s.node()
	if in.Kind == InSubmitFailed {
		s.errorOut(errSubmitFailed, nil)
		s.show()
		return
	}
	st.Ref = cleanRef(in.Value)
	st.Hist = nil // a sent request cannot be un-sent by going Back
	st.Node = n.Done
	s.arrive()
}

func (s *step) errorOut(id string, data map[string]string) {
	s.out = append(s.out, Output{Kind: OutError, ID: s.easy(id), Data: data})
}

// easy picks the easy-read variant of a message when the session wants it
// and the content has it.
func (s *step) easy(id string) string {
	if s.st.Variant == VariantEasy && s.e.known[id+".easy"] {
		return id + ".easy"
	}
	return id
}

// show presents the current node: its messages, its question, and how to
// answer. Every node offers "talk to a person".
func (s *step) show() {
	n := s.node()
	var data map[string]string
	if s.st.Ref != "" {
		data = map[string]string{"Reference": s.st.Ref}
	}
	pic := ""
	if s.st.Variant == VariantEasy {
		pic = n.Picture
	}
	for _, id := range n.Say {
		s.out = append(s.out, Output{Kind: OutMessage, ID: s.easy(id), Data: data, Picture: pic})
		pic = "" // one picture per step, beside its first idea
	}
	if n.Ask != "" {
		s.out = append(s.out, Output{Kind: OutMessage, ID: s.easy(n.Ask), Data: data, Picture: pic})
	}
	var choices []ChoiceOut
	switch n.Kind {
	case KindInfo:
		choices = append(choices, ChoiceOut{ValueNext, msgContinue})
	case KindChoice, KindOutcome:
		for _, c := range n.Choices {
			choices = append(choices, ChoiceOut{c.Value, s.easy(c.Label)})
		}
	case KindYesNo:
		s.out = append(s.out, Output{Kind: OutInput, Input: &InputRequest{Kind: "yesno"}})
		choices = append(choices, ChoiceOut{ValueYes, msgYes}, ChoiceOut{ValueNo, msgNo})
	case KindText, KindField:
		req := &InputRequest{Kind: "text", Max: n.maxLen(), Optional: n.Optional}
		if n.Kind == KindField {
			req.Kind, req.Rule = "field", n.Rule
			if n.Rule == "date" {
				req.Kind = "date"
			}
		}
		s.out = append(s.out, Output{Kind: OutInput, Input: req})
		if n.Optional {
			label := msgSkip
			if n.Skip != "" {
				label = n.Skip
			}
			choices = append(choices, ChoiceOut{ValueSkip, label})
		}
	case KindSummary:
		s.out = append(s.out, Output{Kind: OutSummary, Rows: s.rows(n)})
		choices = append(choices, ChoiceOut{ValueSubmit, msgSubmit})
	}
	if n.Kind == KindOutcome && s.st.Flow != FlowMenu {
		choices = append(choices, ChoiceOut{ValueMenu, msgMenu})
	}
	if s.st.Flow != FlowPerson {
		choices = append(choices, ChoiceOut{ValuePerson, msgPerson})
	}
	s.out = append(s.out, Output{Kind: OutChoices, Choices: choices})
}

func (s *step) rows(sum *Node) []SummaryRow {
	var rows []SummaryRow
	f := s.flow()
	live := f.live(s.st.Answers)
	for _, key := range sum.Rows {
		v, ok := s.st.Answers[key]
		if !ok || !live[key] {
			continue
		}
		for _, n := range f.Nodes {
			if n.Key != key {
				continue
			}
			r := SummaryRow{Label: n.Label, Value: v, Change: n.ID}
			switch n.Kind {
			case KindChoice:
				for _, c := range n.Choices {
					if c.Value == v {
						r.ValueID = c.Label
					}
				}
			case KindYesNo:
				r.ValueID = map[string]string{ValueYes: msgYes, ValueNo: msgNo}[v]
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// cleanText trims, drops control characters and invalid UTF-8, and, when
// max >= 0, cuts to max runes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if max >= 0 && utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

// cleanRef keeps a reference short and printable: it is shown to the person
// and may be read aloud.
func cleanRef(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 16 {
			break
		}
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
