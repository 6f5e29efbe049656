package chat

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind is what a node does. One question per node, as in GOV.UK Smart Answers.
type Kind string

// Node kinds.
const (
	KindInfo    Kind = "info"    // says something, then a single "continue"
	KindChoice  Kind = "choice"  // quick replies, each with its own next
	KindYesNo   Kind = "yesno"   // a yes/no question
	KindText    Kind = "text"    // free text answer
	KindField   Kind = "field"   // free text checked by a rule (date, phone…)
	KindSummary Kind = "summary" // check your answers, then submit an effect
	KindOutcome Kind = "outcome" // the end of a path, offering other flows
)

// Flow is one guided conversation, loaded from content/flows/<id>.yaml.
type Flow struct {
	ID    string  `yaml:"id"`
	Title string  `yaml:"title"` // message id naming the flow in menus
	Start string  `yaml:"start"`
	Nodes []*Node `yaml:"nodes"` // a list, so summaries keep the file's order

	file  string
	index map[string]*Node
}

// Node is one step. Every text is a message id; structure lives here once for
// every language.
type Node struct {
	ID       string   `yaml:"id"`
	Kind     Kind     `yaml:"kind"`
	Say      []string `yaml:"say"`      // messages shown on arrival
	Ask      string   `yaml:"ask"`      // the question
	Picture  string   `yaml:"picture"`  // easy-read picture under static/pictures/
	Key      string   `yaml:"key"`      // answer key; empty means nothing is stored
	Label    string   `yaml:"label"`    // message id naming the answer in a summary
	Choices  []Choice `yaml:"choices"`  // choice nodes and outcomes
	Next     string   `yaml:"next"`     // info, text, field, summary-cancel
	Yes      string   `yaml:"yes"`      // yesno
	No       string   `yaml:"no"`       // yesno
	Optional bool     `yaml:"optional"` // text/field: offer "skip"
	Skip     string   `yaml:"skip"`     // message id for the skip button, if not chat.common.skip
	Max      int      `yaml:"max"`      // text/field: max runes (default MaxText)
	Rule     string   `yaml:"rule"`     // field: date, phone, name, any
	Rows     []string `yaml:"rows"`     // summary: answer keys to list, in order
	Effect   string   `yaml:"effect"`   // summary: referral|optout|optin|feedback
	Done     string   `yaml:"done"`     // summary: node after the transport says submitted
}

// Choice is a quick reply. It either moves within the flow (Next) or starts
// another flow (Flow), so outcomes can hand over without duplicating nodes.
type Choice struct {
	Value string `yaml:"value"`
	Label string `yaml:"label"`
	Next  string `yaml:"next"`
	Flow  string `yaml:"flow"`
}

// MaxText is the longest free text the engine accepts unless a node says less.
const MaxText = 500

var (
	idRe    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	valueRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,31}$`)
	rules   = []string{"any", "date", "phone", "name"}
	effects = []string{"referral", "optout", "optin", "feedback"}
)

// Node returns the node with this id, or nil.
func (f *Flow) Node(id string) *Node { return f.index[id] }

// loadFlows reads every content/flows/*.yaml under fsys and validates each
// against the known message ids. All problems are reported together, each
// naming its file and node, so a content editor can fix them in one pass.
func loadFlows(fsys fs.FS, dir string, known map[string]bool) (map[string]*Flow, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("chat: no flows in %s", dir)
	}
	flows := map[string]*Flow{}
	var errs []error
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f := &Flow{file: name}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true) // a typo in a key must not silently drop a branch
		if err := dec.Decode(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); f.ID != want {
			errs = append(errs, fmt.Errorf("%s: id %q must match file name %q", name, f.ID, want))
		}
		if _, dup := flows[f.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: duplicate flow id %q", name, f.ID))
		}
		flows[f.ID] = f
	}
	for _, f := range flows {
		errs = append(errs, f.validate(flows, known)...)
	}
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	return flows, nil
}

func (f *Flow) validate(flows map[string]*Flow, known map[string]bool) []error {
	var errs []error
	bad := func(n *Node, format string, a ...any) {
		where := f.file
		if n != nil {
			where += ": node " + n.ID
		}
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, a...)))
	}
	msg := func(n *Node, id, what string) {
		if id == "" {
			bad(n, "%s is missing", what)
		} else if !known[id] {
			bad(n, "%s: unknown message id %q", what, id)
		}
	}
	msg(nil, f.Title, "title")
	f.index = map[string]*Node{}
	keys := map[string]string{}
	for _, n := range f.Nodes {
		if !idRe.MatchString(n.ID) {
			bad(n, "bad node id %q (lower case, digits, _; 32 at most)", n.ID)
		}
		if f.index[n.ID] != nil {
			bad(n, "duplicate node id")
		}
		f.index[n.ID] = n
		if n.Key != "" {
			if other, dup := keys[n.Key]; dup {
				bad(n, "answer key %q already used by node %s", n.Key, other)
			}
			keys[n.Key] = n.ID
		}
	}
	if f.index[f.Start] == nil {
		bad(nil, "start %q is not a node", f.Start)
	}
	target := func(n *Node, next, what string) {
		if next == "" {
			bad(n, "%s is missing", what)
		} else if f.index[next] == nil {
			bad(n, "%s %q is not a node", what, next)
		}
	}
	for _, n := range f.Nodes {
		for _, id := range n.Say {
			msg(n, id, "say")
		}
		if len(n.Say) == 0 && n.Ask == "" {
			bad(n, "says nothing: needs say or ask")
		}
		if n.Ask != "" {
			msg(n, n.Ask, "ask")
		}
		if n.Max < 0 || n.Max > MaxText {
			bad(n, "max %d out of range 1..%d", n.Max, MaxText)
		}
		if n.Key != "" {
			msg(n, n.Label, "label")
		}
		if n.Skip != "" {
			msg(n, n.Skip, "skip")
			if !n.Optional {
				bad(n, "skip label on a node that is not optional")
			}
		}
		switch n.Kind {
		case KindInfo:
			target(n, n.Next, "next")
		case KindChoice, KindOutcome:
			if n.Kind == KindChoice && len(n.Choices) == 0 {
				bad(n, "choice node has no choices")
			}
			seen := map[string]bool{}
			for _, c := range n.Choices {
				if !valueRe.MatchString(c.Value) {
					bad(n, "choice value %q: lower case, digits, _ and not starting with _", c.Value)
				}
				if seen[c.Value] {
					bad(n, "duplicate choice value %q", c.Value)
				}
				seen[c.Value] = true
				msg(n, c.Label, "choice "+c.Value+" label")
				switch {
				case c.Next != "" && c.Flow != "":
					bad(n, "choice %q has both next and flow", c.Value)
				case c.Flow != "":
					if flows[c.Flow] == nil {
						bad(n, "choice %q: flow %q does not exist", c.Value, c.Flow)
					}
				default:
					target(n, c.Next, "choice "+c.Value+" next")
				}
			}
		case KindYesNo:
			target(n, n.Yes, "yes")
			target(n, n.No, "no")
		case KindText, KindField:
			target(n, n.Next, "next")
			if n.Key == "" {
				bad(n, "%s node needs a key", n.Kind)
			}
			if n.Kind == KindField && !slices.Contains(rules, n.Rule) {
				bad(n, "rule %q: want one of %v", n.Rule, rules)
			}
		case KindSummary:
			if !slices.Contains(effects, n.Effect) {
				bad(n, "effect %q: want one of %v", n.Effect, effects)
			}
			target(n, n.Done, "done")
			for _, k := range n.Rows {
				if keys[k] == "" {
					bad(n, "row %q is no node's key", k)
				}
			}
		default:
			bad(n, "unknown kind %q", n.Kind)
		}
	}
	// Unreachable nodes are almost always a mistyped next somewhere else.
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		n := f.index[id]
		if n == nil || seen[id] {
			return
		}
		seen[id] = true
		for _, next := range n.targets() {
			walk(next)
		}
	}
	walk(f.Start)
	for _, n := range f.Nodes {
		if !seen[n.ID] {
			bad(n, "unreachable from start %q", f.Start)
		}
	}
	return errs
}

// targets lists the nodes this node can move to within its flow.
func (n *Node) targets() []string {
	var t []string
	for _, c := range n.Choices {
		if c.Next != "" {
			t = append(t, c.Next)
		}
	}
	for _, s := range []string{n.Next, n.Yes, n.No, n.Done} {
		if s != "" {
			t = append(t, s)
		}
	}
	return t
}

// live returns the answer keys on the path the answers themselves lead
// along, replaying from the start as Smart Answers does. An answer left on a
// branch the person has since changed away from (a phone number, after
// choosing "visit me") is not live, so it is neither shown nor sent.
func (f *Flow) live(answers map[string]string) map[string]bool {
	keys := map[string]bool{}
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		n := f.index[id]
		if n == nil || seen[id] {
			return
		}
		seen[id] = true
		v, answered := answers[n.Key]
		if n.Key != "" && answered {
			keys[n.Key] = true
		}
		switch {
		case n.Kind == KindSummary:
			return
		case n.Key == "" && (n.Kind == KindChoice || n.Kind == KindOutcome || n.Kind == KindYesNo):
			// Not recorded, so any branch may have been taken.
			for _, t := range n.targets() {
				walk(t)
			}
		case n.Kind == KindChoice:
			for _, c := range n.Choices {
				if answered && c.Value == v {
					walk(c.Next)
				}
			}
		case n.Kind == KindYesNo:
			if answered {
				walk(map[string]string{ValueYes: n.Yes, ValueNo: n.No}[v])
			}
		case n.Kind == KindText || n.Kind == KindField:
			if answered || n.Optional {
				walk(n.Next)
			}
		default: // info, and outcomes' own in-flow choices
			for _, t := range n.targets() {
				walk(t)
			}
		}
	}
	walk(f.Start)
	return keys
}

// maxLen is the longest answer this node accepts.
func (n *Node) maxLen() int {
	if n.Max > 0 {
		return n.Max
	}
	return MaxText
}
