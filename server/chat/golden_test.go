package chat

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current engine")

// testNow fixes "today" for date checks, so transcripts never change with the clock.
var testNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// provider is fictional provider data, as content/provider.yaml ships.
var provider = map[string]string{
	"ProviderName":      "Example Advocacy Service",
	"ProviderPhone":     "03069 990000",
	"ProviderHours":     "Monday to Friday, 9am to 5pm",
	"ProviderPromise":   "contact you within 5 working days",
	"ProviderTextRelay": "18001 03069 990000",
}

// shippedLocales are the locale files with chat texts; each must have every
// chat id English has.
var shippedLocales = []string{"en", "ar"}

func newBundle(t testing.TB) *i18n.Bundle {
	t.Helper()
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range shippedLocales {
		if _, err := b.LoadMessageFile(filepath.Join("../../locales", "active."+l+".toml")); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// sample answers typed on text and field steps, by answer key.
var sample = map[string]string{
	"name":           "Sam",
	"ward":           "Oak ward, City Hospital",
	"language_other": "Tigrinya",
	"comms_more":     "Please speak slowly",
	"phone":          "07700 900123",
	"help":           "I want help at my tribunal",
	"meeting_date":   "01/12/2026",
	"ethnicity":      "Black British",
	"reason":         "I already have support",
	"comment":        "Clear and kind",
}

// route is one way through a flow: the inputs after the start.
type route []Input

// paths enumerates every path through a flow by stepping the real engine:
// one representative input per distinct next step (choices leading to the
// same step are one path). A path ends at an outcome, when it hands over to
// another flow, or when it comes back to a step it has already visited.
func paths(t testing.TB, e *Engine, flow string) []route {
	var out []route
	var walk func(st State, p route, seen map[string]bool)
	walk = func(st State, p route, seen map[string]bool) {
		if st.Flow != flow || seen[st.Node] {
			out = append(out, slices.Clone(p))
			return
		}
		seen = mapsClone(seen)
		seen[st.Node] = true
		n := e.Flow(flow).Node(st.Node)
		var ins []Input
		switch n.Kind {
		case KindOutcome:
			out = append(out, slices.Clone(p))
			return
		case KindInfo:
			ins = append(ins, Input{Kind: InChoose, Value: ValueNext})
		case KindChoice:
			dest := map[string]bool{}
			for _, c := range n.Choices {
				d := c.Next + "|" + c.Flow
				if !dest[d] {
					dest[d] = true
					ins = append(ins, Input{Kind: InChoose, Value: c.Value})
				}
			}
		case KindYesNo:
			ins = append(ins, Input{Kind: InChoose, Value: ValueYes})
			if n.No != n.Yes {
				ins = append(ins, Input{Kind: InChoose, Value: ValueNo})
			}
		case KindText, KindField:
			v, ok := sample[n.Key]
			if !ok {
				t.Fatalf("%s/%s: no sample answer for key %q", flow, n.ID, n.Key)
			}
			ins = append(ins, Input{Kind: InText, Value: v})
		case KindSummary:
			ins = append(ins, Input{Kind: InChoose, Value: ValueSubmit})
		}
		for _, in := range ins {
			in.Node, in.Now = st.Node, testNow
			next, _, err := e.Step(st, in)
			if err != nil {
				t.Fatal(err)
			}
			q := append(slices.Clone(p), in)
			if next.Pending {
				res := Input{Kind: InSubmitted, Value: "AB12CD", Now: testNow}
				q = append(q, res)
				next, _, _ = e.Step(next, res)
			}
			walk(next, q, seen)
		}
	}
	st, _, err := e.Step(NewState("en", VariantStandard, ""), Input{Kind: InStart, Flow: flow})
	if err != nil {
		t.Fatal(err)
	}
	walk(st, nil, map[string]bool{})
	return out
}

func mapsClone(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// transcript replays a route and writes what a person would see, from input
// number from on: earlier inputs are shared with the route before it, and
// the engine is deterministic, so they are replayed without being written.
func transcript(t testing.TB, e *Engine, loc *i18n.Localizer, lang, variant, flow string, p route, from int) string {
	var all, discard strings.Builder
	st := NewState(lang, variant, "")
	i := 0
	run := func(in Input) {
		b := &all
		if i < from {
			b = &discard
		}
		i++
		switch in.Kind {
		case InStart:
			fmt.Fprintf(b, "> start %s\n", in.Flow)
		case InText:
			fmt.Fprintf(b, "> text %q\n", in.Value)
		case InSubmitted:
			fmt.Fprintf(b, "> (transport) submitted %s\n", in.Value)
		default:
			fmt.Fprintf(b, "> %s %s\n", in.Kind, in.Value)
		}
		var outs []Output
		var err error
		st, outs, err = e.Step(st, in)
		if err != nil {
			t.Fatal(err)
		}
		writeOutputs(t, b, outs, loc)
		fmt.Fprintf(b, "  [state %s/%s]\n", st.Flow, st.Node)
	}
	run(Input{Kind: InStart, Flow: flow, Now: testNow})
	for _, in := range p {
		run(in)
	}
	return all.String()
}

func writeOutputs(t testing.TB, b *strings.Builder, outs []Output, loc *i18n.Localizer) {
	t.Helper()
	for _, o := range outs {
		if o.Kind == OutEffect {
			j, _ := json.Marshal(o.Effect)
			fmt.Fprintf(b, "  effect %s\n", j)
		}
	}
	r, err := Render(outs, loc, provider)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range r {
		switch o.Kind {
		case OutChoices:
			for _, c := range o.Choices {
				fmt.Fprintf(b, "  [%s] %s\n", c.Value, c.Text)
			}
		case OutInput:
			j, _ := json.Marshal(o.Input)
			fmt.Fprintf(b, "  input %s\n", j)
		case OutSummary:
			for _, row := range o.Rows {
				fmt.Fprintf(b, "  | %s: %s  [%s] %s\n", row.Label, row.Value, row.Change, row.Text)
			}
		default:
			if o.Picture != "" {
				fmt.Fprintf(b, "  [picture %s]\n", o.Picture)
			}
			fmt.Fprintf(b, "  %s: %s\n", o.Kind, o.Text)
		}
	}
}

// easyGolden lists the flows also written in easy read, with pictures.
var easyGolden = []string{"menu", "eligibility", "person"}

// TestGoldenTranscripts writes every path of every flow, in every shipped
// language, to testdata/<flow>.<lang>.golden (and <flow>.<lang>.easy.golden
// for easyGolden); run with -update after a deliberate change and review
// the diff like any content change.
func TestGoldenTranscripts(t *testing.T) {
	e := loadEngine(t)
	bundle := newBundle(t)
	for _, flow := range e.Flows() {
		ps := paths(t, e, flow)
		variants := []string{VariantStandard}
		if slices.Contains(easyGolden, flow) {
			variants = append(variants, VariantEasy)
		}
		for _, lang := range shippedLocales {
			for _, variant := range variants {
				name := flow + "." + lang
				if variant != VariantStandard {
					name += "." + variant
				}
				t.Run(name, func(t *testing.T) {
					loc := i18n.NewLocalizer(bundle, lang, "en")
					var b bytes.Buffer
					fmt.Fprintf(&b, "# %s (%s, %s): %d paths; ⁨…⁩ marks filled-in values (Unicode isolates)\n", flow, lang, cmp.Or(variant, "standard"), len(ps))
					for i, p := range ps {
						fmt.Fprintf(&b, "\n=== path %d\n", i+1)
						from := 0
						if i > 0 {
							for from < len(p) && from < len(ps[i-1]) && p[from] == ps[i-1][from] {
								from++
							}
							from++ // the start input is shared too
							fmt.Fprintf(&b, "(first %d inputs as path %d)\n", from, i)
						}
						b.WriteString(transcript(t, e, loc, lang, variant, flow, p, from))
					}
					file := filepath.Join("testdata", name+".golden")
					if *update {
						if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(file)
					if err != nil {
						t.Fatalf("%v (run go test -update)", err)
					}
					if !bytes.Equal(want, b.Bytes()) {
						t.Errorf("%s differs from the engine's output; run go test ./server/chat -update and review the diff", file)
					}
				})
			}
		}
	}
}
