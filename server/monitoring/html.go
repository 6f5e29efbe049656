package monitoring

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/imha-advocacy/imha/server/charts"
	"github.com/imha-advocacy/imha/server/referral"
)

//go:embed report.html
var templateFS embed.FS

// labels name codes for people. English only for now: the staff workspace is
// English; the codes stay stable if it is translated later.
var labels = map[string]string{
	"self": "Self-referral", "on_behalf": "On someone's behalf", "non_instructed": "Non-instructed",
	"automatic": "Automatic (opt-out model)",
	"kiosk":     "Ward kiosk", "chat": "Guided chat", "web_form": "Web form", "staff": "Staff",
	"mha_office_api": "Mental Health Act office", "csv": "File import",
	"cto": "Community treatment order", "under_18": "Under 18", "over_65": "65 or over",
	"learning_disability": "Learning disability", "deaf_or_sensory": "Deaf or sensory impairment",
	"minority_ethnicity": "Black, Asian or minority ethnic", "out_of_area": "Placed out of area",
	"meeting_soon": "Meeting within 7 days", "none": "None of these groups",
	"interpreter": "Interpreter needed", "bsl": "British Sign Language", "neither": "Neither",
	"all": "All referrals",
}

// Label returns the display name of a code; a language tag is shown as itself.
func Label(code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

var page = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"label": Label,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"prepend": func(g Group, gs []Group) []Group { return append([]Group{g}, gs...) },
	"kinds":   func() []referral.Kind { return referral.Kinds },
	"sources": func() []referral.Source { return SourceOrder },
	"pct":     pctText,
	"days": func(d float64) string {
		if d < 0 {
			return "–"
		}
		return strings.TrimSuffix(fmt.Sprintf("%.1f", d), ".0")
	},
	// until shows an exclusive end as the last day it includes.
	"until": func(t time.Time) string {
		if t.IsZero() {
			return "now"
		}
		return t.UTC().Add(-time.Nanosecond).Format("2 January 2006")
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "the start"
		}
		return t.UTC().Format("2 January 2006")
	},
}).ParseFS(templateFS, "report.html"))

// view is the report with its charts drawn.
type view struct {
	Report
	Charts map[string]template.HTML
}

// RenderHTML renders the whole report as an HTML fragment (headings from h2, tables
// with captions and scoped headers, a chart beside each table) for the staff
// workspace to put inside its own page, e.g. at /staff/monitoring.
func RenderHTML(r Report) (template.HTML, error) {
	v := view{Report: r, Charts: map[string]template.HTML{}}
	counts := func(cs []Count) []charts.Bar {
		var out []charts.Bar
		for _, c := range cs {
			out = append(out, charts.Bar{Label: Label(c.Key), Value: float64(c.N)})
		}
		return out
	}
	shares := func(gs []Group, promise bool) []charts.Bar {
		var out []charts.Bar
		for _, g := range gs {
			n, d, s := g.Contacted, g.Referrals, g.ContactedShare()
			if promise {
				n, d, s = g.WithinPromise, g.Measured, g.PromiseShare()
			}
			text := "no referrals"
			if d > 0 {
				text = fmt.Sprintf("%s (%d of %d)", pctText(s), n, d)
			}
			out = append(out, charts.Bar{Label: Label(g.Key), Value: s, Text: text})
		}
		return out
	}
	promise := fmt.Sprintf("within %d working days", r.PromiseWorkingDays)
	for _, c := range []charts.BarChart{
		{ID: "chart-kind", Title: "Referrals by kind", Desc: "Number of referrals made in the period, by how they came about", Bars: counts(r.ByKind)},
		{ID: "chart-source", Title: "Referrals by channel", Desc: "Number of referrals made in the period, by channel", Bars: counts(r.BySource)},
		{ID: "chart-uptake", Title: "Automatic referrals and opt-outs", Desc: "Automatic referrals, and opt-outs recorded, in the period",
			Bars: []charts.Bar{{Label: "Automatic referrals", Value: float64(r.Uptake.Automatic)}, {Label: "Opt-outs", Value: float64(r.Uptake.OptOuts)},
				{Label: "Opt-outs still in force", Value: float64(r.Uptake.OptOutsInForce)}}},
		{ID: "chart-group-contacted", Title: "Reached an advocate, by group", Desc: "Share of referrals that reached first contact, by under-served group", Max: 1, Bars: shares(r.ByGroup, false)},
		{ID: "chart-group-promise", Title: "First contact " + promise + ", by group", Desc: "Share of referrals whose promise could be judged that were contacted in time", Max: 1, Bars: shares(r.ByGroup, true)},
		{ID: "chart-language", Title: "Reached an advocate, by language", Desc: "Share of referrals that reached first contact, by preferred language", Max: 1, Bars: shares(r.ByLanguage, false)},
		{ID: "chart-need", Title: "Reached an advocate, by communication need", Desc: "Share of referrals that reached first contact, by interpreter or BSL need", Max: 1, Bars: shares(r.ByNeed, false)},
	} {
		svg, err := c.Render()
		if err != nil {
			return "", err
		}
		v.Charts[c.ID] = svg
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// pctText shows a share as a percentage with at most one decimal: "12.5%", "50%".
func pctText(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", 100*f), "0"), ".") + "%"
}
