// Package charts draws accessible bar charts as inline SVG on the server, so reports
// work without JavaScript, print cleanly and pass a Content-Security-Policy with no
// 'unsafe-inline': only SVG presentation attributes are used, never a style
// attribute or element.
//
// Accessibility: the <svg> has role="img" and aria-labelledby naming its <title> and
// <desc>; the desc lists every value, so a screen reader gets the whole chart. Each
// bar carries its label and value as text beside it, so nothing depends on colour,
// and bars are one dark colour with an outline that survives black-and-white
// printing. There is no fixed width or height, only a viewBox, so a chart shrinks
// with its column on a phone and when zoomed. The same data is expected in a table
// next to the chart.
package charts

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Bar is one bar.
type Bar struct {
	Label string
	Value float64
	// Text is the value as shown (e.g. "42%" or "3 of 7"); default the number.
	Text string
}

// BarChart is a horizontal bar chart: long labels (languages, group names) read
// left to right without rotation.
type BarChart struct {
	ID    string // unique in the page; prefixes the title and desc ids
	Title string
	Desc  string // one sentence on what is measured; the values are appended
	Bars  []Bar
	Max   float64 // scale maximum; default the largest value (1 if all are 0)
}

// Geometry, in SVG user units (px at 100%).
const (
	width      = 640
	labelWidth = 220
	valueWidth = 90
	barHeight  = 24
	gap        = 12
	top        = 8
	fontSize   = 14
	barFill    = "#1d2a5b" // the site's brand colour: 12.6:1 on white
	barStroke  = "#000000"
	textFill   = "#111827"
)

var svg = template.Must(template.New("svg").Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{{.ID}}-title {{.ID}}-desc" ` +
		`viewBox="0 0 {{.Width}} {{.Height}}" class="chart" ` +
		`font-family="system-ui, sans-serif" font-size="{{.FontSize}}">
<title id="{{.ID}}-title">{{.Title}}</title>
<desc id="{{.ID}}-desc">{{.Desc}}</desc>
{{range .Bars}}<g>
<text x="{{.LabelX}}" y="{{.TextY}}" text-anchor="end" fill="{{$.TextFill}}">{{.Label}}</text>
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{$.BarHeight}}" fill="{{$.BarFill}}" stroke="{{$.BarStroke}}" stroke-width="1"/>
<text x="{{.ValueX}}" y="{{.TextY}}" fill="{{$.TextFill}}" font-weight="bold">{{.Text}}</text>
</g>
{{end}}<line x1="{{.AxisX}}" y1="{{.Top}}" x2="{{.AxisX}}" y2="{{.AxisY}}" stroke="{{.BarStroke}}" stroke-width="1"/>
</svg>`))

type bar struct {
	Label, Text                    string
	X, Y, W, LabelX, ValueX, TextY string
}

// Render returns the chart as SVG markup for an HTML page.
func (c BarChart) Render() (template.HTML, error) {
	if c.ID == "" || strings.ContainsAny(c.ID, " \"'<>&") {
		return "", fmt.Errorf("charts: chart id %q must be a plain, non-empty token", c.ID)
	}
	max := c.Max
	for _, b := range c.Bars {
		if math.IsNaN(b.Value) || b.Value < 0 {
			return "", fmt.Errorf("charts: bar %q has value %v; bars must be 0 or more", b.Label, b.Value)
		}
		if c.Max == 0 && b.Value > max {
			max = b.Value
		}
	}
	if max == 0 {
		max = 1
	}
	plot := float64(width - labelWidth - valueWidth - 2*gap)
	var values []string
	var bars []bar
	for i, b := range c.Bars {
		text := b.Text
		if text == "" {
			text = num(b.Value)
		}
		values = append(values, b.Label+": "+text)
		w := plot * math.Min(b.Value, max) / max
		if b.Value > 0 && w < 2 {
			w = 2 // a non-zero value stays visible
		}
		y := top + i*(barHeight+gap)
		bars = append(bars, bar{
			Label: b.Label, Text: text,
			X: strconv.Itoa(labelWidth + gap), Y: strconv.Itoa(y), W: num(math.Round(w*10) / 10),
			LabelX: strconv.Itoa(labelWidth), ValueX: num(math.Round((float64(labelWidth+2*gap)+w)*10) / 10),
			TextY: strconv.Itoa(y + barHeight/2 + fontSize/2 - 2),
		})
	}
	desc := strings.TrimSpace(c.Desc)
	if len(values) > 0 {
		if desc != "" && !strings.HasSuffix(desc, ".") {
			desc += "."
		}
		desc = strings.TrimSpace(desc + " " + strings.Join(values, "; ") + ".")
	}
	height := top*2 + len(c.Bars)*(barHeight+gap)
	var buf bytes.Buffer
	err := svg.Execute(&buf, map[string]any{
		"ID": c.ID, "Title": c.Title, "Desc": desc, "Bars": bars,
		"Width": width, "Height": height, "FontSize": fontSize, "BarHeight": barHeight,
		"BarFill": barFill, "BarStroke": barStroke, "TextFill": textFill,
		"AxisX": labelWidth + gap, "Top": top, "AxisY": height - top,
	})
	if err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
