package chat

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// at returns a state parked on a node, as if the person had got there.
func at(flow, node string, answers map[string]string) State {
	st := NewState("en", VariantStandard, "")
	st.Flow, st.Node, st.Answers = flow, node, answers
	return st
}

func stepOK(t *testing.T, e *Engine, st State, in Input) (State, []Output) {
	t.Helper()
	if in.Now.IsZero() {
		in.Now = testNow
	}
	next, outs, err := e.Step(st, in)
	if err != nil {
		t.Fatalf("Step(%+v): %v", in, err)
	}
	if !e.Valid(next) {
		t.Fatalf("Step(%+v) left an invalid state %+v", in, next)
	}
	if len(outs) == 0 {
		t.Fatalf("Step(%+v): no outputs", in)
	}
	return next, outs
}

func ids(outs []Output, kind OutputKind) []string {
	var r []string
	for _, o := range outs {
		if o.Kind == kind {
			r = append(r, o.ID)
		}
	}
	return r
}

func choiceValues(outs []Output) []string {
	var r []string
	for _, o := range outs {
		for _, c := range o.Choices {
			r = append(r, c.Value)
		}
	}
	return r
}

// TestNodes checks single steps, Smart Answers style: from a node, an input
// leads to the expected node and says the expected things.
func TestNodes(t *testing.T) {
	e := loadEngine(t)
	choose := func(v string) Input { return Input{Kind: InChoose, Value: v} }
	text := func(v string) Input { return Input{Kind: InText, Value: v} }
	tests := []struct {
		name       string
		st         State
		in         Input
		wantFlow   string
		wantNode   string
		wantMsg    string // a message id that must be shown
		wantAnswer [2]string
	}{
		{"detained qualifies", at("eligibility", "situation", nil), choose("detained"), "eligibility", "yes_detained", "chat.eligibility.yes", [2]string{}},
		{"court order qualifies", at("eligibility", "situation", nil), choose("court"), "eligibility", "yes_detained", "chat.eligibility.yes_detained.why", [2]string{}},
		{"CTO qualifies", at("eligibility", "situation", nil), choose("cto"), "eligibility", "yes_cto", "chat.eligibility.yes", [2]string{}},
		{"guardianship qualifies", at("eligibility", "situation", nil), choose("guardianship"), "eligibility", "yes_guardianship", "chat.eligibility.yes", [2]string{}},
		{"conditional discharge qualifies", at("eligibility", "situation", nil), choose("conditional"), "eligibility", "yes_conditional", "chat.eligibility.yes", [2]string{}},
		{"short sections do not", at("eligibility", "situation", nil), choose("short"), "eligibility", "short", "chat.eligibility.short.not_these", [2]string{}},
		{"informal asks about treatment", at("eligibility", "situation", nil), choose("informal"), "eligibility", "informal", "chat.eligibility.informal.ask", [2]string{}},
		{"informal s57 qualifies", at("eligibility", "informal", nil), choose("s57"), "eligibility", "yes_s57", "chat.eligibility.yes", [2]string{}},
		{"informal under 18 ECT qualifies", at("eligibility", "informal", nil), choose("ect_under18"), "eligibility", "yes_ect", "chat.eligibility.yes", [2]string{}},
		{"other informal: not now, new law", at("eligibility", "informal", nil), choose("neither"), "eligibility", "informal_no", "chat.eligibility.informal_no.new_law", [2]string{}},
		{"not sure: offer anyway", at("eligibility", "situation", nil), choose("not_sure"), "eligibility", "not_sure", "chat.eligibility.not_sure.anyway", [2]string{}},
		{"refer anyway starts referral", at("eligibility", "not_sure", nil), choose("referral"), "referral", "intro", "chat.referral.intro.what", [2]string{}},
		{"menu says not watched", at("menu", "start", nil), Input{Kind: InResume}, "menu", "start", "chat.menu.start.not_watched", [2]string{}},
		{"name is stored", at("referral", "name", nil), text("  Sam  "), "referral", "ward", "chat.referral.ward.ask", [2]string{"name", "Sam"}},
		{"status not sure is checked later", at("referral", "status", nil), choose("not_sure"), "referral", "status_check", "chat.referral.status_check.text", [2]string{"status", "not_sure"}},
		{"english needs no interpreter question", at("referral", "language", nil), choose("en"), "referral", "comms", "", [2]string{"language", "en"}},
		{"BSL asks about an interpreter", at("referral", "language", nil), choose("bsl"), "referral", "interpreter", "chat.referral.interpreter.ask", [2]string{"language", "bsl"}},
		{"own phone asks for number", at("referral", "contact", nil), choose("phone"), "referral", "phone", "", [2]string{"contact", "phone"}},
		{"phone number accepted", at("referral", "phone", nil), text("07700 900123"), "referral", "leave_message", "", [2]string{"phone", "07700 900123"}},
		{"text relay number accepted", at("referral", "phone", nil), text("18001 07700 900123"), "referral", "leave_message", "", [2]string{"phone", "18001 07700 900123"}},
		{"bad phone refused", at("referral", "phone", nil), text("call me"), "referral", "phone", "", [2]string{}},
		{"date normalised", at("referral", "meeting_date", nil), text("1/12/2026"), "referral", "private", "", [2]string{"meeting_date", "2026-12-01"}},
		{"past date refused", at("referral", "meeting_date", nil), text("2020-01-01"), "referral", "meeting_date", "", [2]string{}},
		{"optional date skipped", at("referral", "meeting_date", nil), choose(ValueSkip), "referral", "private", "", [2]string{}},
		{"consent no explains other routes", at("referral", "consent", nil), choose("no"), "referral", "no_consent", "chat.referral.no_consent.other_ways", [2]string{"consent", "no"}},
		{"consent again", at("referral", "no_consent", nil), choose("consent_again"), "referral", "consent", "chat.referral.consent.what", [2]string{}},
		{"equality no goes to check", at("referral", "equality", map[string]string{"name": "Sam"}), choose("no"), "referral", "check", "chat.referral.check.intro", [2]string{"equality", "no"}},
		{"typed yes answers a yes/no", at("referral", "private", nil), text("Yes please"), "referral", "consent", "", [2]string{"private", "yes"}},
		{"talk to a person from anywhere", at("referral", "comms", nil), choose(ValuePerson), "person", "routes", "chat.person.routes.urgent", [2]string{}},
		{"menu from an outcome", at("eligibility", "yes_cto", nil), choose(ValueMenu), "menu", "start", "chat.menu.start.hello", [2]string{}},
		{"optout records", at("optout", "intro", nil), choose("opt_out"), "optout", "name", "", [2]string{}},
		{"optin ask again starts referral", at("optin", "what", nil), choose("ask_again"), "referral", "intro", "", [2]string{}},
		{"free text offers topics", at("menu", "start", nil), text("Can I get an advocate?"), "menu", "start", "chat.topic.found", [2]string{}},
		{"topic choice starts flow", at("menu", "start", nil), choose(ValueFlow + "eligibility"), "eligibility", "situation", "", [2]string{}},
		{"restart goes to menu", at("referral", "phone", map[string]string{"name": "Sam"}), Input{Kind: InRestart}, "menu", "start", "", [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, outs := stepOK(t, e, tt.st, tt.in)
			if got.Flow != tt.wantFlow || got.Node != tt.wantNode {
				t.Errorf("at %s/%s, want %s/%s", got.Flow, got.Node, tt.wantFlow, tt.wantNode)
			}
			if tt.wantMsg != "" && !slices.Contains(ids(outs, OutMessage), tt.wantMsg) {
				t.Errorf("messages %v lack %s", ids(outs, OutMessage), tt.wantMsg)
			}
			if k := tt.wantAnswer[0]; k != "" && got.Answers[k] != tt.wantAnswer[1] {
				t.Errorf("answer %s = %q, want %q", k, got.Answers[k], tt.wantAnswer[1])
			}
			if got.Flow != FlowPerson && !slices.Contains(choiceValues(outs), ValuePerson) {
				t.Errorf("no talk-to-a-person choice in %v", choiceValues(outs))
			}
		})
	}
}

// TestEveryNodeOffersAWayOn: every node of every flow, shown, offers choices
// including a person (never a dead end), and says something.
func TestEveryNodeOffersAWayOn(t *testing.T) {
	e := loadEngine(t)
	for _, id := range e.Flows() {
		for _, n := range e.Flow(id).Nodes {
			_, outs := stepOK(t, e, at(id, n.ID, nil), Input{Kind: InResume})
			if len(ids(outs, OutMessage)) == 0 {
				t.Errorf("%s/%s says nothing", id, n.ID)
			}
			cs := choiceValues(outs)
			if len(cs) == 0 || (id != FlowPerson && !slices.Contains(cs, ValuePerson)) {
				t.Errorf("%s/%s: choices %v", id, n.ID, cs)
			}
		}
	}
}

func TestInvalidInputs(t *testing.T) {
	e := loadEngine(t)
	pending := at("feedback", "check", map[string]string{"rating": "good"})
	pending.Pending, pending.Seq = true, 1
	long := strings.Repeat("a", 81)
	tests := []struct {
		name    string
		st      State
		in      Input
		wantErr string
		wantAt  string // flow/node after
	}{
		{"unknown choice", at("eligibility", "situation", nil), Input{Kind: InChoose, Value: "s99"}, errUnknownPick, "eligibility/situation"},
		{"answer for an old node", at("referral", "ward", nil), Input{Kind: InChoose, Value: "s2", Node: "status"}, errStale, "referral/ward"},
		{"choice on a text node", at("referral", "name", nil), Input{Kind: InChoose, Value: "yes"}, errUnknownPick, "referral/name"},
		{"skip on a required text", at("referral", "name", nil), Input{Kind: InChoose, Value: ValueSkip}, errUnknownPick, "referral/name"},
		{"empty text", at("referral", "name", nil), Input{Kind: InText, Value: "   \x00 "}, errEmpty, "referral/name"},
		{"too long text", at("referral", "name", nil), Input{Kind: InText, Value: long}, errTooLong, "referral/name"},
		{"invalid date", at("referral", "meeting_date", nil), Input{Kind: InText, Value: "next Tuesday"}, errFieldPrefix + "date", "referral/meeting_date"},
		{"back at the first step", at("referral", "intro", nil), Input{Kind: InBack}, errNoBack, "referral/intro"},
		{"unknown flow", at("referral", "intro", nil), Input{Kind: InStart, Flow: "nope"}, errUnknownFlow, "referral/intro"},
		{"unknown input kind", at("referral", "intro", nil), Input{Kind: "jump"}, errUnknownInput, "referral/intro"},
		{"submitted when nothing sent", at("referral", "intro", nil), Input{Kind: InSubmitted, Value: "X"}, errNotPending, "referral/intro"},
		{"answer while sending", pending, Input{Kind: InChoose, Value: ValueSubmit}, errPending, "feedback/check"},
		{"change a row not listed", at("feedback", "check", nil), Input{Kind: InChoose, Value: ValueChange + "intro"}, errUnknownPick, "feedback/check"},
		{"send failed", pending, Input{Kind: InSubmitFailed}, errSubmitFailed, "feedback/check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, outs := stepOK(t, e, tt.st, tt.in)
			if errs := ids(outs, OutError); !slices.Contains(errs, tt.wantErr) {
				t.Errorf("errors %v, want %s", errs, tt.wantErr)
			}
			if where := got.Flow + "/" + got.Node; where != tt.wantAt {
				t.Errorf("at %s, want %s", where, tt.wantAt)
			}
		})
	}
}

func TestBadStoredStateResets(t *testing.T) {
	e := loadEngine(t)
	for _, st := range []State{
		{V: 1, Flow: "gone", Node: "x"},
		{V: 1, Flow: "referral", Node: "nope"},
		{V: 99, Flow: "referral", Node: "name"},
		{V: 1, Flow: "referral", Node: "name", Pending: true},
		{V: 1, Flow: "referral", Node: "name", Variant: "loud"},
	} {
		got, outs, err := e.Step(st, Input{Kind: InChoose, Value: "x"})
		if !errors.Is(err, ErrStateReset) || got.Flow != FlowMenu || !e.Valid(got) || !slices.Contains(ids(outs, OutError), errReset) {
			t.Errorf("%+v: got %+v, %v", st, got, err)
		}
	}
}

// TestChangeFromSummary: changing an answer returns to the summary, but a
// newly needed question (a phone number) is asked first.
func TestChangeFromSummary(t *testing.T) {
	e := loadEngine(t)
	st := at("referral", "check", map[string]string{"name": "Sam", "ward": "Oak", "status": "s2", "language": "en", "comms": "none", "contact": "visit", "contact_time": "any", "meeting": "none", "private": "yes", "consent": "yes", "equality": "no"})
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: ValueChange + "name"})
	if st.Node != "name" || st.Ret != "check" {
		t.Fatalf("at %s ret %s", st.Node, st.Ret)
	}
	st, _ = stepOK(t, e, st, Input{Kind: InText, Value: "Alex"})
	if st.Node != "check" || st.Answers["name"] != "Alex" || st.Ret != "" {
		t.Fatalf("after change: %+v", st)
	}
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: ValueChange + "contact"})
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: "phone"})
	if st.Node != "phone" {
		t.Fatalf("new branch not asked: at %s", st.Node)
	}
	st, _ = stepOK(t, e, st, Input{Kind: InText, Value: "07700900123"})
	if st.Node != "leave_message" {
		t.Fatalf("at %s", st.Node)
	}
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: "no"})
	if st.Node != "check" {
		t.Fatalf("not back at summary: %s", st.Node)
	}
	// Changing back to a visit leaves the phone number behind: not shown,
	// not sent.
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: ValueChange + "contact"})
	st, outs := stepOK(t, e, st, Input{Kind: InChoose, Value: "visit"})
	if st.Node != "check" {
		t.Fatalf("at %s", st.Node)
	}
	for _, o := range outs {
		for _, r := range o.Rows {
			if r.Change == "phone" || r.Change == "leave_message" {
				t.Errorf("stale row %+v", r)
			}
		}
	}
	_, outs = stepOK(t, e, st, Input{Kind: InChoose, Value: ValueSubmit})
	for _, o := range outs {
		if o.Effect != nil && (o.Effect.Referral.Phone != "" || o.Effect.Referral.Contact != "visit" || o.Effect.Referral.Name != "Alex") {
			t.Errorf("effect %+v", o.Effect.Referral)
		}
	}
}

func TestBackAndWardPreset(t *testing.T) {
	e := loadEngine(t)
	st := NewState("en", VariantStandard, "Oak ward")
	st, _ = stepOK(t, e, st, Input{Kind: InStart, Flow: "referral"})
	st, _ = stepOK(t, e, st, Input{Kind: InChoose, Value: ValueNext})
	st, _ = stepOK(t, e, st, Input{Kind: InText, Value: "Sam"})
	if st.Node != "status" || st.Answers["ward"] != "Oak ward" {
		t.Fatalf("preset ward not used: %+v", st)
	}
	st, _ = stepOK(t, e, st, Input{Kind: InBack})
	if st.Node != "name" {
		t.Fatalf("back went to %s, want name (ward was never asked)", st.Node)
	}
}

func TestSubmitAndResult(t *testing.T) {
	e := loadEngine(t)
	st := at("feedback", "check", map[string]string{"rating": "good", "easy": "yes"})
	st, outs := stepOK(t, e, st, Input{Kind: InChoose, Value: ValueSubmit})
	var eff *Effect
	for _, o := range outs {
		if o.Kind == OutEffect {
			eff = o.Effect
		}
	}
	if eff == nil || eff.Kind != "feedback" || eff.Seq != 1 || eff.Feedback.Rating != "good" || !st.Pending {
		t.Fatalf("effect %+v state %+v", eff, st)
	}
	st, outs = stepOK(t, e, st, Input{Kind: InSubmitted, Value: "ab-12 cd<script>"})
	if st.Node != "thanks" || st.Ref != "AB-12CDSCRIPT" || st.Pending || len(st.Hist) != 0 {
		t.Fatalf("after submitted: %+v %v", st, outs)
	}
}

// TestEffectKeys: every answer key in a flow with an effect is a field of
// that effect's payload, so nothing typed is silently dropped.
func TestEffectKeys(t *testing.T) {
	e := loadEngine(t)
	for _, id := range e.Flows() {
		f := e.Flow(id)
		for _, sum := range f.Nodes {
			if sum.Kind != KindSummary {
				continue
			}
			answers := map[string]string{}
			for _, n := range f.Nodes {
				if n.Key != "" {
					answers[n.Key] = "x"
				}
			}
			eff := buildEffect(sum.Effect, 1, answers)
			b, _ := json.Marshal(eff)
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(b, &raw)
			var payload map[string]string
			_ = json.Unmarshal(raw[sum.Effect], &payload)
			for k := range answers {
				if payload[k] != "x" {
					t.Errorf("%s: answer key %q is not in the %s payload", f.file, k, sum.Effect)
				}
			}
		}
	}
}

// TestStateIsSmall: a full referral state stays well under 2 KB of JSON.
func TestStateIsSmall(t *testing.T) {
	e := loadEngine(t)
	var longest int
	for _, p := range paths(t, e, "referral") {
		st := NewState("ar", VariantEasy, "Oak ward, City Hospital")
		for _, in := range append(path0("referral"), p...) {
			st, _, _ = e.Step(st, in)
		}
		b, _ := json.Marshal(st)
		longest = max(longest, len(b))
	}
	if longest > 2048 {
		t.Errorf("state JSON %d bytes", longest)
	}
	t.Logf("largest referral state: %d bytes", longest)
}

func path0(flow string) route { return route{{Kind: InStart, Flow: flow}} }

// TestLocalesHaveEveryID fails when a flow or the engine uses an id missing
// from any shipped locale, or a locale lacks a chat id English has.
func TestLocalesHaveEveryID(t *testing.T) {
	e := loadEngine(t)
	used := map[string]bool{}
	for _, id := range commonIDs {
		used[id] = true
	}
	for _, id := range e.Flows() {
		f := e.Flow(id)
		used[f.Title] = true
		for _, n := range f.Nodes {
			for _, s := range append(slices.Clone(n.Say), n.Ask, n.Label) {
				used[s] = true
			}
			for _, c := range n.Choices {
				used[c.Label] = true
			}
		}
	}
	delete(used, "")
	en, err := MessageIDs(os.DirFS("../../locales"), "active.en.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range shippedLocales {
		have, err := MessageIDs(os.DirFS("../../locales"), "active."+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		for id := range used {
			if !have[id] {
				t.Errorf("active.%s.toml lacks %s", lang, id)
			}
		}
		for id := range en {
			if strings.HasPrefix(id, "chat.") && !have[id] {
				t.Errorf("active.%s.toml lacks %s (English has it)", lang, id)
			}
		}
	}
}

// TestValidationNamesFileAndNode feeds broken flows and checks each problem
// is reported with its file and node.
func TestValidationNamesFileAndNode(t *testing.T) {
	known := map[string]bool{"m.title": true, "m.say": true}
	for _, id := range commonIDs {
		known[id] = true
	}
	base := "id: menu\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.say]}\n"
	person := "id: person\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.say]}\n"
	tests := []struct{ name, flow, want string }{
		{"missing next", "id: x\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: info, say: [m.say], next: b}\n", `flows/x.yaml: node a: next "b" is not a node`},
		{"unknown message", "id: x\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.nope]}\n", `flows/x.yaml: node a: say: unknown message id "m.nope"`},
		{"choice without next", "id: x\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: choice, say: [m.say], choices: [{value: v, label: m.say}]}\n", `flows/x.yaml: node a: choice v next is missing`},
		{"unreachable", "id: x\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.say]}\n  - {id: b, kind: outcome, say: [m.say]}\n", `flows/x.yaml: node b: unreachable`},
		{"typo in a key", "id: x\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.say], nxet: a}\n", `flows/x.yaml:`},
		{"id not file name", "id: y\ntitle: m.title\nstart: a\nnodes:\n  - {id: a, kind: outcome, say: [m.say]}\n", `must match file name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"flows/menu.yaml":   {Data: []byte(base)},
				"flows/person.yaml": {Data: []byte(person)},
				"flows/x.yaml":      {Data: []byte(tt.flow)},
				"chat/topics.yaml":  {Data: []byte("en: {}\n")},
				"chat/risk.yaml":    {Data: []byte("en: {}\n")},
			}
			_, err := Load(fsys, known)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestUnmatchedTextKeepsTheStep(t *testing.T) {
	e := loadEngine(t)
	got, outs := stepOK(t, e, at("eligibility", "situation", nil), Input{Kind: InText, Value: "bananas"})
	if got.Node != "situation" || ids(outs, OutMessage)[0] != msgTopicNone || !slices.Contains(choiceValues(outs), "detained") {
		t.Errorf("at %s, outputs %+v", got.Node, outs)
	}
}

func TestFieldsAcceptDigitsInEveryScript(t *testing.T) {
	phone, date := &Node{Rule: "phone"}, &Node{Rule: "date"}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		node *Node
		in   string
		want string
		ok   bool
	}{
		{"ASCII phone", phone, "07700 900123", "07700 900123", true},
		{"Bengali phone", phone, "০৭৭০০ ৯০০১২৩", "07700 900123", true},
		{"Urdu phone", phone, "۰۷۷۰۰ ۹۰۰۱۲۳", "07700 900123", true},
		{"Arabic-Indic phone", phone, "٠٧٧٠٠ ٩٠٠١٢٣", "07700 900123", true},
		{"Gujarati phone", phone, "૦૭૭૦૦ ૯૦૦૧૨૩", "07700 900123", true},
		{"Gurmukhi phone", phone, "੦੭੭੦੦ ੯੦੦੧੨੩", "07700 900123", true},
		{"letters are still refused", phone, "call me", "", false},
		{"Bengali date", date, "০১/১২/২০২৬", "2026-12-01", true},
		{"Arabic-Indic date", date, "٠١/١٢/٢٠٢٦", "2026-12-01", true},
	}
	for _, tt := range tests {
		got, ok := checkField(tt.node, tt.in, now)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: checkField(%q) = %q, %v; want %q, %v", tt.name, tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
