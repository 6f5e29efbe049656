package web_test

import (
	"context"
	"encoding/xml"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/server/library"
)

func TestQRCodeOnlyForPublicPages(t *testing.T) {
	app := newApp(t, openSQLite(t))
	tests := []struct {
		path string
		code int
	}{
		{"/en/easy-read/saying-no", 200},
		{"/ar/", 200},
		{"/en/bsl", 200},
		{"https://elsewhere.example/", 404},
		{"/en/no-such-page", 404},
		{"", 404},
	}
	for _, tt := range tests {
		r := get(t, app, "/qr?path="+url.QueryEscape(tt.path))
		if r.code != tt.code {
			t.Errorf("/qr?path=%s: %d, want %d", tt.path, r.code, tt.code)
			continue
		}
		if tt.code != 200 {
			continue
		}
		if ct, cc := r.header.Get("Content-Type"), r.header.Get("Cache-Control"); ct != "image/svg+xml" || !strings.HasPrefix(cc, "public") {
			t.Errorf("%s: Content-Type %q Cache-Control %q", tt.path, ct, cc)
		}
		if err := xml.Unmarshal([]byte(r.body), new(struct{})); err != nil || !strings.HasPrefix(r.body, "<svg") {
			t.Errorf("%s: not an SVG: %v", tt.path, err)
		}
	}
}

func TestPrintFooterOnEveryPage(t *testing.T) {
	app := newAppConfig(t, nil, nil)
	short := strings.TrimPrefix(app.base, "http://")
	tests := []struct{ path, want string }{
		{"/en/easy-read/saying-no", "Original English text"},
		{"/en/saying-no", "Original English text"},
		{"/ar/easy-read/saying-no", "ترجمة مسودة"}, // a draft translation says so on paper too
	}
	for _, tt := range tests {
		r := get(t, app, tt.path)
		for _, want := range []string{`<footer class="print-footer print-only">`, "2026-11-24", tt.want,
			`<img class="qr" src="/qr?path=` + url.QueryEscape(tt.path) + `"`, short + tt.path} {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %q", tt.path, want)
			}
		}
	}
}

func TestPrintPack(t *testing.T) {
	app := newAppConfig(t, nil, nil)
	form := get(t, app, "/en/print")
	for _, want := range []string{`<form method="get" action="/en/print/pack"`, `name="page" value="saying-no"`, `name="language" value="ar" checked`[:len(`name="language" value="ar"`)], `name="variant" value="easy-read" checked`, `href="/en/poster?size=a3"`} {
		if form.code != 200 || !strings.Contains(form.body, want) {
			t.Errorf("/en/print: %d, lacks %q", form.code, want)
		}
	}
	if inlineScript.MatchString(strings.ReplaceAll(form.body, `<script src=`, ``)) || strings.Contains(form.body, " style=") {
		t.Error("/en/print uses inline script or style, which the CSP forbids")
	}
	r := get(t, app, "/en/print/pack?page=saying-no&page=what-is-an-imha&language=en&language=ar&variant=easy-read&variant=standard")
	if r.code != 200 {
		t.Fatalf("pack: %d", r.code)
	}
	if n := strings.Count(r.body, `<article class="print-sheet`); n != 8 {
		t.Errorf("pack has %d sheets, want 2 pages × 2 languages × 2 variants = 8", n)
	}
	if !strings.Contains(r.body, `<article class="print-sheet variant-easy-read" lang="ar" dir="rtl">`) {
		t.Error("Arabic sheets are not right to left")
	}
	if n := len(h1.FindAllString(r.body, -1)); n != 1 {
		t.Errorf("pack has %d h1 elements, want 1", n)
	}
	// what-is-an-imha links to how-to-get-an-imha: from /en/print/pack a
	// relative link would miss.
	if !strings.Contains(r.body, `href="/en/how-to-get-an-imha"`) && !strings.Contains(r.body, `href="/en/easy-read/how-to-get-an-imha"`) {
		t.Error("pack links are not absolute")
	}
	all := get(t, app, "/en/print/pack?page=all&language=en&variant=easy-read")
	pages, _ := library.Load(content.FS)
	if n := strings.Count(all.body, `<article class="print-sheet`); all.code != 200 || n != len(pages.IDs()) {
		t.Errorf("all pages: %d with %d sheets, want every page", all.code, n)
	}
	bad := get(t, app, "/en/print/pack?language=en&variant=standard")
	if bad.code != 422 || !strings.Contains(bad.body, "Choose at least one page.") {
		t.Errorf("pack without pages: %d", bad.code)
	}
	for _, path := range []string{"/xx/print", "/en/poster?size=a5"} {
		if r := get(t, app, path); r.code != 404 {
			t.Errorf("%s: %d, want 404", path, r.code)
		}
	}
}

// pdf prints url with Debian's Chromium and returns the PDF's text (all
// whitespace removed, so line wrapping does not matter), its page size in
// points and its number of pages.
func pdf(t *testing.T, url string) (text string, width, height float64, pages int, file string) {
	t.Helper()
	chromium := tool(t, "chromium", "chromium")
	pdftotext := tool(t, "pdftotext", "poppler-utils")
	pdfinfo := tool(t, "pdfinfo", "poppler-utils")
	dir := t.TempDir()
	out := filepath.Join(dir, "page.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--no-pdf-header-footer", "--print-to-pdf="+out, url)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	b, err := exec.CommandContext(ctx, pdftotext, "-enc", "UTF-8", out, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text = strings.Join(strings.Fields(string(b)), "")
	info, err := exec.CommandContext(ctx, pdfinfo, out).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	n := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil || n == nil {
		t.Fatalf("pdfinfo:\n%s", info)
	}
	width, _ = strconv.ParseFloat(string(m[1]), 64)
	height, _ = strconv.ParseFloat(string(m[2]), 64)
	pages, _ = strconv.Atoi(string(n[1]))
	return text, width, height, pages, out
}

// firstLines returns the left and right edges of the heading (its first
// line) and of the first line of smaller text on the first page of a PDF
// (pdftotext -bbox), to see which side lines start from.
func firstLines(t *testing.T, file string) (edges [2][2]float64) {
	t.Helper()
	b, err := exec.Command(tool(t, "pdftotext", "poppler-utils"), "-bbox", "-f", "1", "-l", "1", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v", err)
	}
	word := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">`)
	line, lineY, headingHeight := -1, -1.0, 0.0
	for _, m := range word.FindAllStringSubmatch(string(b), -1) {
		var f [4]float64
		for i := range f {
			f[i], _ = strconv.ParseFloat(m[i+1], 64)
		}
		x0, y0, x1, height := f[0], f[1], f[2], f[3]-f[1]
		switch {
		case line < 0:
			line, lineY, headingHeight = 0, y0, height
			edges[0] = [2]float64{x0, x1}
		case line == 0 && abs(y0-lineY) < 10:
		case line == 0 && height > headingHeight*0.8:
			continue // the heading's next line
		case line == 0:
			line, lineY = 1, y0
			edges[1] = [2]float64{x0, x1}
		case abs(y0-lineY) > 10:
			return edges
		}
		edges[line][0], edges[line][1] = min(edges[line][0], x0), max(edges[line][1], x1)
	}
	return edges
}

// Real pages printed to PDF by a real browser: the paper a patient or a
// ward gets has the words, the date, the address and the right size.
func TestPrintToPDF(t *testing.T) {
	app := newAppConfig(t, nil, nil)
	short := strings.TrimPrefix(app.base, "http://")
	const a4w, a4h, a3w, a3h = 595.28, 841.89, 841.89, 1190.55
	tests := []struct {
		name, path    string
		want          []string
		width, height float64
		maxPages      int
		dir           string // for posters: which side the heading and the words start from
	}{
		{"easy-read page", "/en/easy-read/saying-no", []string{
			"Saying no", "You do not need to give a reason.", "Last checked: 2026-11-24", "Original English text",
			short + "/en/easy-read/saying-no"}, a4w, a4h, 4, ""},
		{"standard page", "/en/what-is-an-imha", []string{
			"What is an IMHA?", "Last checked: 2026-11-24", short + "/en/what-is-an-imha"}, a4w, a4h, 6, ""},
		{"A4 poster", "/en/poster?size=a4", []string{
			"You can have an advocate", "An advocate helps you speak up.", "03069 990000", "07700 900000", short + "/en/easy-read/"}, a4w, a4h, 1, "ltr"},
		{"A3 poster", "/en/poster?size=a3", []string{"You can have an advocate", "03069 990000", short + "/en/easy-read/"}, a3w, a3h, 1, "ltr"},
		{"Arabic A3 poster, right to left", "/ar/poster?size=a3", []string{"يمكنك الحصول على مناصر", "03069 990000", short + "/ar/easy-read/"}, a3w, a3h, 1, "rtl"},
		{"print pack", "/en/print/pack?page=saying-no&page=young-people&language=en&variant=easy-read", []string{
			"Information about advocates", "Saying no", "Young people", "03069 990000", short + "/en/easy-read/young-people"}, a4w, a4h, 12, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text, w, h, pages, file := pdf(t, app.base+tt.path)
			for _, want := range tt.want {
				if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
					t.Errorf("PDF of %s lacks %q; text ends: %s", tt.path, want, text[max(0, len(text)-700):])
				}
			}
			if abs(w-tt.width) > 1.5 || abs(h-tt.height) > 1.5 {
				t.Errorf("PDF of %s is %.2f x %.2f pts, want %.2f x %.2f", tt.path, w, h, tt.width, tt.height)
			}
			if pages < 1 || pages > tt.maxPages {
				t.Errorf("PDF of %s has %d pages, want 1 to %d", tt.path, pages, tt.maxPages)
			}
			// The heading starts at the margin on the reading side (15 mm =
			// 42.5 pt); the first easy-read line starts further in, past
			// its picture, on the same side.
			const margin, picture = 42.52, 30
			edges := firstLines(t, file)
			switch tt.dir {
			case "ltr":
				if abs(edges[0][0]-margin) > 3 || edges[1][0] < margin+picture {
					t.Errorf("PDF of %s: lines start at x=%.1f and %.1f; want the heading at the left margin, words right of a picture", tt.path, edges[0][0], edges[1][0])
				}
			case "rtl":
				if abs(edges[0][1]-(w-margin)) > 3 || edges[1][1] > w-margin-picture {
					t.Errorf("PDF of %s: lines end at x=%.1f and %.1f of %.1f; want the heading at the right margin, words left of a picture", tt.path, edges[0][1], edges[1][1], w)
				}
			}
		})
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// inlineScript finds a script element without src (what the CSP forbids);
// external scripts from /static are allowed.
var inlineScript = regexp.MustCompile(`<script[\s>]`)
