package charts_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/charts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		chart charts.BarChart
	}{
		{"kinds", charts.BarChart{ID: "kinds", Title: "Referrals by kind", Desc: "Referrals made in the period",
			Bars: []charts.Bar{{Label: "Self", Value: 12}, {Label: "On behalf", Value: 5}, {Label: "Non-instructed", Value: 0}, {Label: "Automatic", Value: 30}}}},
		{"shares", charts.BarChart{ID: "promise", Title: "Contacted within 5 working days", Desc: "Share of referrals", Max: 1,
			Bars: []charts.Bar{{Label: "Community treatment order", Value: 0.5, Text: "50% (2 of 4)"}, {Label: "Under 18", Value: 0.001, Text: "0.1%"}}}},
		{"escaping", charts.BarChart{ID: "esc", Title: `Languages <&> "quoted"`,
			Bars: []charts.Bar{{Label: `<script>alert(1)</script>`, Value: 1}, {Label: "اردو", Value: 2}}}},
		{"empty", charts.BarChart{ID: "none", Title: "Nothing yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.chart.Render()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./server/charts -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the golden file:\n%s", path, got)
			}
			checkAccessible(t, string(got), tt.chart)
		})
	}
}

// checkAccessible states the rules the golden files must keep.
func checkAccessible(t *testing.T, svg string, c charts.BarChart) {
	t.Helper()
	for _, want := range []string{`role="img"`, `aria-labelledby="` + c.ID + `-title ` + c.ID + `-desc"`,
		`<title id="` + c.ID + `-title">`, `<desc id="` + c.ID + `-desc">`} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %s", want)
		}
	}
	if regexp.MustCompile(`(?i)\sstyle=|<style|<script|\son[a-z]+=`).MatchString(svg) {
		t.Error("inline style or script: the CSP would block it")
	}
	// Every bar's value is written as text, so colour carries no meaning alone.
	if n, m := strings.Count(svg, "<rect"), strings.Count(svg, `font-weight="bold"`); n != len(c.Bars) || m != n {
		t.Errorf("%d bars, %d value labels; want %d each", n, m, len(c.Bars))
	}
}

func TestRejects(t *testing.T) {
	for _, c := range []charts.BarChart{
		{ID: "", Title: "x"},
		{ID: `a" onload="x`, Title: "x"},
		{ID: "neg", Bars: []charts.Bar{{Label: "x", Value: -1}}},
	} {
		if _, err := c.Render(); err == nil {
			t.Errorf("Render(%+v) succeeded", c)
		}
	}
}
