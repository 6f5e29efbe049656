// Package contentcheck checks the shipped content the way a careful editor
// would, before a patient sees it: every page in every language and
// variant, links and pictures that resolve, easy-read rules, initialisms
// explained, UI strings translated, BSL videos that exist. Each problem
// names a file and line. It also reports coverage as a Markdown table.
package contentcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"gopkg.in/yaml.v3"

	"github.com/imha-advocacy/imha/server/bsl"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

// Files the checker reads besides the pages, within the content folder.
const (
	GapsFile        = "accepted-gaps.yaml"
	InitialismsFile = "initialisms.yaml"
)

// Input is the content to check. Names are the folders as a person editing
// them sees them, used in messages.
type Input struct {
	Content fs.FS // pages/, provider.yaml, accepted-gaps.yaml, initialisms.yaml
	Locales fs.FS // active.<lang>.toml
	Static  fs.FS // pictures/<name>
	Media   fs.FS // bsl.yaml and the files it names; nil means none
	// MediaDir is how messages name the media folder (default content/media).
	MediaDir string
}

// Problem is one thing to fix.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Status of one page in one language and variant.
type Status int

// Statuses, as the coverage table shows them.
const (
	Missing  Status = iota // not written, and not an accepted gap
	Gap                    // not written, listed in accepted-gaps.yaml
	Draft                  // written, not yet checked by a qualified translator
	Done                   // original or reviewed
	Unusable               // the page could not be loaded
)

// Report is the outcome of a check.
type Report struct {
	Problems []Problem
	Langs    []string // language tags, English first
	IDs      []string // page ids, in reading order
	status   map[cell]Status
	bsl      map[string]bool // page id -> some variant carries a BSL video
}

type cell struct{ id, lang, variant string }

// OK reports whether there is nothing to fix.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(file string, line int, format string, a ...any) {
	r.Problems = append(r.Problems, Problem{file, line, fmt.Sprintf(format, a...)})
}

// addErr records an error from the library or the BSL manifest, keeping
// its file and line.
func (r *Report) addErr(fallbackFile string, err error) {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			r.addErr(fallbackFile, e)
		}
		return
	}
	var ce *library.ContentError
	if errors.As(err, &ce) {
		r.add(ce.File, ce.Line, "%s", ce.Msg)
		return
	}
	r.add(fallbackFile, 1, "%v", err)
}

// Check runs every check.
func Check(in Input) *Report {
	r := &Report{status: map[cell]Status{}, bsl: map[string]bool{}}
	langs, err := locale.Load(in.Locales)
	if err != nil {
		r.add("locales", 1, "%v", err)
		return r
	}
	for _, l := range langs.Languages() {
		r.Langs = append(r.Langs, l.Tag)
		for _, id := range langs.Missing(l.Tag) {
			r.add("locales/active."+l.Tag+".toml", 1, "lacks the message %q that English has", id)
		}
	}
	// The library is the one place that knows what a valid page is. It
	// stops at the first malformed file, so each page is loaded alone too,
	// to report every malformed file in one run.
	cat, err := library.Load(in.Content)
	if err != nil {
		r.addErr("content", err)
		r.eachMalformed(in.Content, err)
		return r
	}
	videos := bsl.Empty()
	if in.MediaDir == "" {
		in.MediaDir = "content/media"
	}
	manifest := strings.TrimSuffix(in.MediaDir, "/") + "/" + bsl.ManifestFile
	if in.Media != nil {
		if videos, err = bsl.Load(in.Media, manifest); err != nil {
			r.addErr(manifest, err)
			videos = bsl.Empty()
		}
	}
	allowed := r.loadInitialisms(in.Content)
	r.coverage(in.Content, cat, langs)
	for _, p := range cat.Pages() {
		src, err := fs.ReadFile(in.Content, strings.TrimPrefix(p.File, "content/"))
		if err != nil {
			r.add(p.File, 1, "%v", err)
			continue
		}
		r.checkPage(in, cat, videos, manifest, allowed, p, src)
	}
	sort.SliceStable(r.Problems, func(i, j int) bool {
		a, b := r.Problems[i], r.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return r
}

// eachMalformed loads every page file on its own (with provider.yaml) and
// reports the ones the library rejects, besides first, already reported.
func (r *Report) eachMalformed(content fs.FS, first error) {
	provider, err := fs.ReadFile(content, "provider.yaml")
	if err != nil {
		return // the library reported it
	}
	files, _ := fs.Glob(content, "pages/*/*/*.md")
	for _, f := range files {
		src, err := fs.ReadFile(content, f)
		if err != nil {
			continue
		}
		one := fstest.MapFS{"provider.yaml": {Data: provider}, f: {Data: src}}
		if _, err := library.Load(one); err != nil && err.Error() != first.Error() {
			r.addErr("content/"+f, err)
		}
	}
}

// gap is one entry of accepted-gaps.yaml: a page knowingly not (yet)
// written in a language or variant, and why.
type gap struct {
	Page     string `yaml:"page"`     // a page id, or * for every page
	Language string `yaml:"language"` // a language tag
	Variant  string `yaml:"variant"`  // standard, easy-read, or * (default)
	Reason   string `yaml:"reason"`
	line     int
	used     bool
}

func (g *gap) covers(id, lang, variant string) bool {
	return (g.Page == "*" || g.Page == id) && g.Language == lang && (g.Variant == "*" || g.Variant == variant)
}

func (r *Report) loadGaps(content fs.FS) []*gap {
	name := "content/" + GapsFile
	src, err := fs.ReadFile(content, GapsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		r.add(name, 1, "%v", err)
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		r.add(name, 1, "not valid YAML: %v", err)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		r.add(name, root.Line, "write the gaps as a list of entries starting with -")
		return nil
	}
	var gaps []*gap
	for _, n := range root.Content {
		g := &gap{line: n.Line}
		if err := n.Decode(g); err != nil {
			r.add(name, n.Line, "%v", err)
			continue
		}
		if g.Variant == "" {
			g.Variant = "*"
		}
		switch {
		case g.Page == "" || g.Language == "":
			r.add(name, n.Line, "an accepted gap needs page (an id or *) and language")
		case g.Variant != "*" && g.Variant != library.Standard && g.Variant != library.EasyRead:
			r.add(name, n.Line, "variant must be standard, easy-read or *")
		case strings.TrimSpace(g.Reason) == "":
			r.add(name, n.Line, "an accepted gap needs a reason")
		default:
			gaps = append(gaps, g)
		}
	}
	return gaps
}

// coverage records every (page, language, variant) and reports the missing
// ones, and gaps that are no longer gaps.
func (r *Report) coverage(content fs.FS, cat *library.Catalogue, langs *locale.Catalog) {
	gaps := r.loadGaps(content)
	seen := map[string]bool{}
	for _, id := range cat.IDs() {
		seen[id] = true
		r.IDs = append(r.IDs, id)
	}
	for _, p := range cat.Pages() {
		if _, ok := langs.Lookup(p.Lang); !ok {
			r.add(p.File, 1, "there are pages in %q but no locales/active.%s.toml, so nobody can reach them", p.Lang, p.Lang)
		}
		if p.Lang == locale.Source && !seen[p.ID] {
			seen[p.ID] = true
			r.IDs = append(r.IDs, p.ID) // a page only in easy read
		}
		if p.BSL != "" {
			r.bsl[p.ID] = true
		}
	}
	for _, id := range r.IDs {
		for _, lang := range r.Langs {
			for _, variant := range library.Variants {
				c := cell{id, lang, variant}
				if p, ok := cat.Exact(id, lang, variant); ok {
					r.status[c] = Done
					if p.Draft() {
						r.status[c] = Draft
					}
					continue
				}
				want := fmt.Sprintf("content/pages/%s/%s/%s.md", lang, variant, id)
				accepted := false
				for _, g := range gaps {
					if g.covers(id, lang, variant) {
						g.used, accepted = true, true
					}
				}
				if accepted {
					r.status[c] = Gap
					continue
				}
				r.status[c] = Missing
				src := sourceFile(cat, id, variant)
				r.add(src, 1, "no %s %s version: write %s, or list it in content/%s with a reason", lang, variant, want, GapsFile)
			}
		}
	}
	for _, g := range gaps {
		if !g.used {
			r.add("content/"+GapsFile, g.line, "accepted gap (page %s, language %s, variant %s) no longer matches a missing page: delete it", g.Page, g.Language, g.Variant)
		}
	}
}

// sourceFile is the English page a missing translation would come from.
func sourceFile(cat *library.Catalogue, id, variant string) string {
	for _, v := range []string{variant, library.Standard, library.EasyRead} {
		if p, ok := cat.Exact(id, locale.Source, v); ok {
			return p.File
		}
	}
	return "content/pages/" + locale.Source + "/" + variant + "/" + id + ".md"
}

// loadInitialisms reads the allow-list: initialism -> why it needs no
// explanation on each page (in the glossary, or known to everyone).
func (r *Report) loadInitialisms(content fs.FS) map[string]bool {
	name := "content/" + InitialismsFile
	out := map[string]bool{}
	src, err := fs.ReadFile(content, InitialismsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return out
	} else if err != nil {
		r.add(name, 1, "%v", err)
		return out
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		r.add(name, 1, "not valid YAML: %v", err)
		return out
	}
	if len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.add(name, root.Line, "write each initialism as INITIALISM: why it needs no explanation")
		return out
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if !initialism.MatchString(k.Value) || strings.TrimSpace(v.Value) == "" {
			r.add(name, k.Line, "%q: give an all-capital initialism and why it needs no explanation", k.Value)
			continue
		}
		out[k.Value] = true
	}
	return out
}

var (
	headingID = regexp.MustCompile(`<h[1-6] id="([^"]+)"`)
	scheme    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	pageID    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	bslKey    = regexp.MustCompile(`(?m)^bsl:`)
	// The checker's own parser: the library's settings, without rendering.
	md = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithHeadingAttribute()))
)

func anchors(p *library.Page) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingID.FindAllStringSubmatch(string(p.HTML), -1) {
		out[m[1]] = true
	}
	return out
}

func (r *Report) checkPage(in Input, cat *library.Catalogue, videos *bsl.Library, manifest string, allowed map[string]bool, p *library.Page, src []byte) {
	lineOf := func(needle string) int { // first line of the file containing needle
		if i := bytes.Index(src, []byte(needle)); i >= 0 {
			return 1 + bytes.Count(src[:i], []byte("\n"))
		}
		return 1
	}
	for _, dest := range p.Links {
		if scheme.MatchString(dest) {
			continue // web, email, phone and text links leave the site
		}
		line := lineOf("](" + dest)
		id, anchor, _ := strings.Cut(dest, "#")
		target := p
		if id != "" {
			if !pageID.MatchString(id) {
				r.add(p.File, line, "link %q: link to another page by its id, like saying-no or saying-no#say-no", dest)
				continue
			}
			t, _, ok := cat.Page(id, p.Lang, p.Variant)
			if !ok {
				r.add(p.File, line, "link %q: there is no page %q in %s %s", dest, id, p.Lang, p.Variant)
				continue
			}
			target = t
		}
		if anchor != "" && !anchors(target)[anchor] {
			r.add(p.File, line, "link %q: %s has no heading with id %q", dest, target.File, anchor)
		}
	}
	for _, pic := range p.Pictures {
		if _, err := fs.Stat(in.Static, "pictures/"+pic); err != nil {
			r.add(p.File, lineOf("]("+pic), "picture %q is not in static/pictures/", pic)
		}
	}
	if p.BSL != "" {
		if _, ok := videos.Video(p.BSL); !ok {
			line := 1
			if loc := bslKey.FindIndex(src); loc != nil {
				line = 1 + bytes.Count(src[:loc[0]], []byte("\n"))
			}
			r.add(p.File, line, "bsl: no video %q in %s", p.BSL, manifest)
		}
	}
	body, bodyLine, err := library.Body(p.File, src)
	if err != nil {
		r.addErr(p.File, err)
		return
	}
	// Check the text the reader sees: provider details filled in. Filling
	// never adds lines, so line numbers still match the file.
	if body, err = cat.Provider().Fill(p.File, bodyLine, p.Lang, body); err != nil {
		r.addErr(p.File, err)
		return
	}
	r.checkText(p, body, bodyLine, allowed)
}

// block is a run of text a reader reads as one: a heading, a paragraph, a
// list item or a table cell.
type block struct {
	text    string
	line    int  // file line of its start
	picture bool // starts with a picture
	para    bool // a top-level paragraph (an easy-read idea)
}

func (r *Report) checkText(p *library.Page, body []byte, bodyLine int, allowed map[string]bool) {
	doc := md.Parser().Parse(text.NewReader(body))
	var blocks []block
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Type() != ast.TypeBlock || n.Lines().Len() == 0 {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindParagraph, ast.KindTextBlock, ast.KindHeading, extast.KindTableCell:
		default:
			return ast.WalkContinue, nil
		}
		_, isImg := n.FirstChild().(*ast.Image)
		blocks = append(blocks, block{
			text:    inlineText(n, body),
			line:    bodyLine + bytes.Count(body[:n.Lines().At(0).Start], []byte("\n")),
			picture: isImg,
			para:    n.Kind() == ast.KindParagraph && n.Parent() == doc,
		})
		return ast.WalkSkipChildren, nil
	})
	explained := map[string]bool{}
	for _, b := range blocks {
		names, spans := Initialisms(b.text)
		for i, name := range names {
			if explained[name] || allowed[name] {
				continue
			}
			explained[name] = true // report the first use once
			if !Explained(b.text, spans[i]) {
				r.add(p.File, lineIn(body, bodyLine, b.line, name), "%s is not explained where it is first used: write it out, like \"Community Treatment Order (CTO)\", or add it to content/%s if the glossary explains it", name, InitialismsFile)
			}
		}
		if p.Variant != library.EasyRead {
			continue
		}
		if b.para && !b.picture {
			r.add(p.File, b.line, "easy read: this paragraph has no picture; start it with one, like ![alt text](advocate.svg)")
		}
		for _, s := range Sentences(b.text) {
			if n := Words(s); n > MaxEasyReadWords {
				r.add(p.File, lineIn(body, bodyLine, b.line, firstWords(s)), "easy read: a sentence of %d words (at most %d): %q", n, MaxEasyReadWords, s)
			}
		}
	}
}

// lineIn finds the file line, at or after from, where needle appears
// (a paragraph may wrap over several lines).
func lineIn(body []byte, bodyLine, from int, needle string) int {
	lines := strings.Split(string(body), "\n")
	for i := from - bodyLine; i >= 0 && i < len(lines); i++ {
		if strings.Contains(lines[i], needle) {
			return bodyLine + i
		}
	}
	return from
}

func firstWords(s string) string {
	f := strings.Fields(s)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

// inlineText is the text a reader sees in a block: pictures are left out,
// line breaks become spaces.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Image:
				continue
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.AutoLink:
				b.Write(c.Label(src))
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
