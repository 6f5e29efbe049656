// Package kiosk holds the ward kiosks' configuration (wards.yaml), embedded
// so the binary runs anywhere; KIOSK_CONFIG can name a file instead. Load
// checks every ward at start-up and names the file and line of a mistake,
// because a ward's IT staff edit this file, not Go code.
package kiosk

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Default is the shipped wards.yaml.
//
//go:embed wards.yaml
var Default []byte

// Ward is one ward's kiosk.
type Ward struct {
	ID        string        // the kiosk's address: /kiosk/<ID>
	Name      string        // as patients know it
	Hospital  string        //
	Idle      time.Duration // no touch for this long: "Are you still there?"
	Languages []string      // offered first, in order; may be empty
	Line      int           // where the ward starts in its file, for later checks
}

// Limits of the idle timeout: shorter interrupts reading, longer leaves one
// person's answers on screen for the next.
const (
	MinIdle = 30 * time.Second
	MaxIdle = 15 * time.Minute
)

// Error is a mistake in the file, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	idRe   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	langRe = regexp.MustCompile(`^[a-z]{2,3}$`)
)

type rawWard struct {
	ID        string   `yaml:"id"`
	Name      string   `yaml:"name"`
	Hospital  string   `yaml:"hospital"`
	Idle      int      `yaml:"idle"`
	Languages []string `yaml:"languages"`
}

// Load parses and checks a wards file; file names it in errors.
func Load(file string, src []byte) ([]Ward, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, &Error{file, yamlLine(err), err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{file, 1, "no wards: want a list under \"wards:\""}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, &Error{file, top.Line, "want a mapping with \"wards:\""}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Value == "wards" {
			list = top.Content[i+1]
		} else {
			return nil, &Error{file, k.Line, fmt.Sprintf("unknown key %q (want wards)", k.Value)}
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, &Error{file, top.Line, "no wards: want a list under \"wards:\""}
	}
	seen := map[string]int{}
	var out []Ward
	for _, n := range list.Content {
		var r rawWard
		if n.Kind != yaml.MappingNode {
			return nil, &Error{file, n.Line, "a ward is a mapping (id, name, hospital, idle)"}
		}
		if err := n.Decode(&r); err != nil {
			return nil, &Error{file, n.Line, err.Error()}
		}
		line := func(key string) int { // the line of key in this ward, or the ward's
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					return n.Content[i].Line
				}
			}
			return n.Line
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "id", "name", "hospital", "idle", "languages":
			default:
				return nil, &Error{file, k.Line, fmt.Sprintf("unknown key %q (want id, name, hospital, idle, languages)", k.Value)}
			}
		}
		switch {
		case !idRe.MatchString(r.ID) || len(r.ID) > 40:
			return nil, &Error{file, line("id"), fmt.Sprintf("id %q: want lowercase letters, digits and hyphens, at most 40", r.ID)}
		case seen[r.ID] != 0:
			return nil, &Error{file, line("id"), fmt.Sprintf("id %q is already used at line %d", r.ID, seen[r.ID])}
		case strings.TrimSpace(r.Name) == "" || len(r.Name) > 80:
			return nil, &Error{file, line("name"), "name is required (at most 80 characters)"}
		case strings.TrimSpace(r.Hospital) == "" || len(r.Hospital) > 80:
			return nil, &Error{file, line("hospital"), "hospital is required (at most 80 characters)"}
		}
		idle := time.Duration(r.Idle) * time.Second
		if idle < MinIdle || idle > MaxIdle {
			return nil, &Error{file, line("idle"), fmt.Sprintf("idle %d: want seconds from %d to %d", r.Idle, int(MinIdle.Seconds()), int(MaxIdle.Seconds()))}
		}
		langs := map[string]bool{}
		for _, l := range r.Languages {
			if !langRe.MatchString(l) || langs[l] {
				return nil, &Error{file, line("languages"), fmt.Sprintf("languages: %q is not a language tag like en, or is repeated", l)}
			}
			langs[l] = true
		}
		seen[r.ID] = n.Line
		out = append(out, Ward{ID: r.ID, Name: strings.TrimSpace(r.Name), Hospital: strings.TrimSpace(r.Hospital), Idle: idle, Languages: r.Languages, Line: n.Line})
	}
	return out, nil
}

var lineRe = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	n := 1
	if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
		fmt.Sscan(m[1], &n)
	}
	return n
}
