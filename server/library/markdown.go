package library

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// PicturePrefix is where picture file names in Markdown are served from.
const PicturePrefix = "/static/pictures/"

// newMarkdown builds the one goldmark converter: raw HTML off (safe mode),
// explicit heading ids ({#id}), tables, and easy-read rows.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(
			parser.WithHeadingAttribute(),
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(pictureRows{}, 100)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(rowRenderer{}, 100)),
		),
	)
}

// sectionIDs gives headings without an explicit id a script-neutral one:
// goldmark's default drops non-Latin letters, leaving Arabic headings empty.
type sectionIDs struct{ n int }

func (s *sectionIDs) Generate(_ []byte, _ ast.NodeKind) []byte {
	s.n++
	return []byte(fmt.Sprintf("section-%d", s.n))
}

func (s *sectionIDs) Put([]byte) {}

// render converts one page body; it also returns the link targets and
// picture names so the content checker can verify them.
// A level-1 heading is an error (at its line within src): the layout shows
// the front matter title as the page's only h1.
func render(md goldmark.Markdown, src []byte) (html string, links, pictures []string, err error) {
	ctx := parser.NewContext(parser.WithIDs(&sectionIDs{}))
	doc := md.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	err = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 {
				line := 1
				if n.Lines().Len() > 0 {
					line += bytes.Count(src[:n.Lines().At(0).Start], []byte("\n"))
				}
				return ast.WalkStop, &lineError{line, "a page body must not have a level-1 heading (# …): the title comes from the front matter; start sections at ##"}
			}
		case *ast.Link:
			links = append(links, string(n.Destination))
		case *ast.Image:
			name := string(n.Destination)
			if !strings.Contains(name, "/") {
				pictures = append(pictures, name)
				n.Destination = []byte(PicturePrefix + name)
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return "", nil, nil, err
	}
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return "", nil, nil, err
	}
	return buf.String(), links, pictures, nil
}

// kindRow is a paragraph that starts with a picture: the easy-read layout,
// picture beside the words.
var kindRow = ast.NewNodeKind("PictureRow")

type row struct{ ast.BaseBlock }

func (r *row) Kind() ast.NodeKind           { return kindRow }
func (r *row) Dump(src []byte, level int)   { ast.DumpHelper(r, src, level, nil, nil) }
func (r *row) IsRaw() bool                  { return false }
func (r *row) HasBlankPreviousLines() bool  { return true }
func (r *row) SetBlankPreviousLines(_ bool) {}

// pictureRows moves a leading image out of its paragraph into a row.
type pictureRows struct{}

func (pictureRows) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var paras []*ast.Paragraph
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if p, ok := n.(*ast.Paragraph); ok && entering {
			if _, ok := p.FirstChild().(*ast.Image); ok {
				paras = append(paras, p)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, p := range paras {
		img := p.FirstChild()
		p.RemoveChild(p, img)
		// Drop the space between the picture and the words.
		if t, ok := p.FirstChild().(*ast.Text); ok {
			t.Segment = t.Segment.TrimLeftSpace(reader.Source())
		}
		r := &row{}
		parent := p.Parent()
		parent.ReplaceChild(parent, p, r)
		r.AppendChild(r, img)
		r.AppendChild(r, p)
	}
}

type rowRenderer struct{}

func (rowRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindRow, func(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<div class="picture-row">`)
		} else {
			_, _ = w.WriteString("</div>\n")
		}
		return ast.WalkContinue, nil
	})
	// Pictures carry their size so the page does not jump while loading.
	reg.Register(ast.KindImage, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		img := n.(*ast.Image)
		_, _ = w.WriteString(`<img src="`)
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(img.Destination, true)))
		_, _ = w.WriteString(`" alt="`)
		_, _ = w.Write(util.EscapeHTML(nodeText(img, src)))
		_, _ = w.WriteString(`" width="96" height="96" class="picture" loading="lazy">`)
		return ast.WalkSkipChildren, nil
	})
}

func nodeText(n ast.Node, src []byte) []byte {
	var b bytes.Buffer
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b.Write(t.Segment.Value(src))
		} else {
			b.Write(nodeText(c, src))
		}
	}
	return b.Bytes()
}

// lineError is a problem at a line of a page body (1 = the body's first line).
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return e.msg }
