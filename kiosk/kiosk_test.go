package kiosk

import (
	"strings"
	"testing"
	"time"
)

func TestShippedWardsLoad(t *testing.T) {
	wards, err := Load("kiosk/wards.yaml", Default)
	if err != nil {
		t.Fatal(err)
	}
	if len(wards) == 0 || wards[0].Idle < MinIdle {
		t.Fatalf("wards: %+v", wards)
	}
}

func TestLoadReportsFileAndLine(t *testing.T) {
	ok := "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 60\n"
	if w, err := Load("w.yaml", []byte(ok)); err != nil || w[0].Idle != time.Minute || w[0].Line != 2 {
		t.Fatalf("valid: %+v %v", w, err)
	}
	cases := []struct{ name, src, want string }{
		{"empty", "", "w.yaml:1: no wards"},
		{"not yaml", "wards: [\n", "w.yaml:"},
		{"unknown top key", "ward:\n  - id: a\n", "w.yaml:1: unknown key \"ward\""},
		{"bad id", "wards:\n  - id: A B\n    name: A\n    hospital: H\n    idle: 60\n", "w.yaml:2: id \"A B\""},
		{"duplicate id", ok + "  - id: a\n    name: B\n    hospital: H\n    idle: 60\n", "w.yaml:6: id \"a\" is already used at line 2"},
		{"no name", "wards:\n  - id: a\n    hospital: H\n    idle: 60\n", "w.yaml:2: name is required"},
		{"no hospital", "wards:\n  - id: a\n    name: A\n    idle: 60\n", "w.yaml:2: hospital is required"},
		{"idle too short", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 5\n", "w.yaml:5: idle 5"},
		{"idle too long", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 3600\n", "w.yaml:5: idle 3600"},
		{"idle not a number", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: soon\n", "w.yaml:2:"},
		{"unknown ward key", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 60\n    colour: red\n", "w.yaml:6: unknown key \"colour\""},
		{"bad language", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 60\n    languages: [en, English]\n", "w.yaml:6: languages: \"English\""},
		{"repeated language", "wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 60\n    languages: [en, en]\n", "w.yaml:6: languages: \"en\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("w.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got %v, want prefix %q", err, c.want)
			}
		})
	}
}
