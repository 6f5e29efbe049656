package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"

	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

//go:embed templates/*.html
var templateFS embed.FS

// formKeyMarker stands where a fresh idempotency key goes in a pre-rendered
// page; it must not occur in content.
const formKeyMarker = "FORMKEY-3f9c1d2e7a6b"

// view is what every template gets. T is bound to the request's language.
type view struct {
	T           *locale.Translator
	Lang        locale.Language
	Langs       []locale.Language
	Variant     string
	Title       string
	Description string
	HomeHref    string
	VariantHref string
	Alternates  []alternate
	Fallback    bool
	Draft       bool
	// Fonts lists the scripts whose css/fonts-<script>.css the page links.
	Fonts []string

	Page       *library.Page
	Pages      []pageLink
	Paragraphs []string
	BackHref   string
	BackText   string

	Chat *chatView

	FormKey    string
	Form       feedbackForm
	Errors     []fieldError
	CommentMax int

	// Print and BSL (print.go, bsl.go).
	Footer *printFooter // the print-only footer of a content page
	BSL    *bslView     // the page's sign language video
	Videos []videoLink  // the list of BSL videos
	Print  *printView   // the print pack form and document
	Poster *posterView

	// Kiosk mode, speech and phone contact (kiosk.go). Base prefixes the
	// site's own links: "" on phones, /kiosk/{ward} on a kiosk.
	Base        string
	Kiosk       *kioskView
	Speech      *speechView
	Contact     *contactView
	WardLinks   []wardLink
	Invitations []invitation
}

type alternate struct{ Lang, Href string }

type pageLink struct {
	Page     *library.Page
	Href     string
	Fallback bool
}

type fieldError struct{ Field, Text string }

// Attract reports whether the view is a kiosk's attract screen.
func (v *view) Attract() bool { return v.Kiosk != nil && v.Kiosk.Attract }

// EasyRead reports whether the view is the easy-read variant.
func (v *view) EasyRead() bool { return v.Variant == library.EasyRead }

// ErrorFor returns the error text for one field, if any.
func (v *view) ErrorFor(field string) string {
	for _, e := range v.Errors {
		if e.Field == field {
			return e.Text
		}
	}
	return ""
}

// templates holds one parsed set per page kind, each the layout plus its main.
type templates map[string]*template.Template

// assetVersions maps a static path to a content hash, so static files can be
// cached for a year and still change on deploy.
func assetVersions(static fs.FS) (map[string]string, error) {
	v := map[string]string{}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v[p] = hex.EncodeToString(sum[:5])
		return nil
	})
	return v, err
}

func parseTemplates(versions map[string]string) (templates, error) {
	funcs := template.FuncMap{
		// asset is language-independent, so one global function is right.
		"asset": func(p string) (string, error) {
			h, ok := versions[p]
			if !ok {
				return "", fmt.Errorf("no static file %q", p)
			}
			return "/static/" + p + "?v=" + h, nil
		},
		"media": mediaURL,
		"qr":    qrURL,
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/access.html")
	if err != nil {
		return nil, err
	}
	t := templates{}
	for _, name := range []string{"home", "page", "languages", "message", "chat", "bsl", "print", "pack", "poster", "attract", "kiosk-index"} {
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if t[name], err = clone.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t templates) render(name string, v *view) ([]byte, error) {
	var buf bytes.Buffer
	if err := t[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// prerendered is a whole page rendered at start-up, split where a fresh
// form key goes (tail is nil when the page has no form).
type prerendered struct{ head, tail []byte }

func split(b []byte) (prerendered, error) {
	switch n := bytes.Count(b, []byte(formKeyMarker)); n {
	case 0:
		return prerendered{head: b}, nil
	case 1:
		i := bytes.Index(b, []byte(formKeyMarker))
		return prerendered{head: b[:i], tail: b[i+len(formKeyMarker):]}, nil
	default:
		return prerendered{}, fmt.Errorf("form key marker appears %d times", n)
	}
}

// newFormKey is the idempotency key of one page view's form: a retry of the
// same submission carries it again, so it is stored once.
func newFormKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux (Go 1.24+ panics instead).
	return base64.RawURLEncoding.EncodeToString(b[:])
}
