package chat

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Rendered is an output turned into text for one language. The websocket
// transport sends it as a frame; the no-JS form renders it in a template.
type Rendered struct {
	Kind    OutputKind       `json:"type"`
	Text    string           `json:"text,omitempty"`
	Picture string           `json:"picture,omitempty"`
	Choices []RenderedChoice `json:"choices,omitempty"`
	Input   *InputRequest    `json:"input,omitempty"`
	Rows    []RenderedRow    `json:"rows,omitempty"`
}

// RenderedChoice is a quick reply with its text.
type RenderedChoice struct {
	Value string `json:"value"`
	Text  string `json:"text"`
}

// RenderedRow is one check-your-answers row.
type RenderedRow struct {
	Label  string `json:"label"`
	Value  string `json:"value"`
	Change string `json:"change"` // the choose value that changes this answer
	Text   string `json:"change_text"`
}

// Render turns outputs into text. common holds template data every message
// may use, such as ProviderName, ProviderPhone, ProviderHours and
// ProviderPromise from content/provider.yaml. Effects are for the transport
// and are not rendered. A missing translation falls back to the localizer's
// next language (build it with the session language, then "en"); a missing
// easy-read variant falls back to the standard text.
func Render(outs []Output, loc *i18n.Localizer, common map[string]string) ([]Rendered, error) {
	var errs []error
	t := func(id string, data map[string]string) string {
		merged := make(map[string]string, len(common)+len(data))
		for k, v := range common {
			merged[k] = isolate(v)
		}
		for k, v := range data {
			merged[k] = isolate(v)
		}
		s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: merged})
		if err != nil && strings.HasSuffix(id, ".easy") {
			s, err = loc.Localize(&i18n.LocalizeConfig{MessageID: strings.TrimSuffix(id, ".easy"), TemplateData: merged})
		}
		if err != nil {
			// A missing translation still yields the English text when
			// the bundle has it; the error lets tests stop it shipping.
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			if s == "" {
				return id
			}
		}
		return s
	}
	var r []Rendered
	for _, o := range outs {
		switch o.Kind {
		case OutEffect:
			continue
		case OutMessage, OutError, OutSafety:
			r = append(r, Rendered{Kind: o.Kind, Text: t(o.ID, o.Data), Picture: o.Picture})
		case OutChoices:
			rc := Rendered{Kind: o.Kind}
			for _, c := range o.Choices {
				rc.Choices = append(rc.Choices, RenderedChoice{Value: c.Value, Text: t(c.Label, nil)})
			}
			r = append(r, rc)
		case OutInput:
			r = append(r, Rendered{Kind: o.Kind, Input: o.Input})
		case OutSummary:
			rs := Rendered{Kind: o.Kind}
			change := t(msgChange, nil)
			for _, row := range o.Rows {
				v := row.Value
				if row.ValueID != "" {
					v = t(row.ValueID, nil)
				}
				rs.Rows = append(rs.Rows, RenderedRow{Label: t(row.Label, nil), Value: v, Change: ValueChange + row.Change, Text: change})
			}
			r = append(r, rs)
		}
	}
	return r, errors.Join(errs...)
}

// isolate wraps a value filled into a sentence in Unicode first-strong
// isolates, so a phone number or an English name keeps its own direction
// inside Arabic or Urdu text: without it, "03069 990000" in a right-to-left
// sentence shows as "990000 03069".
func isolate(v string) string {
	if v == "" {
		return v
	}
	return "\u2068" + v + "\u2069"
}

// MessageIDs lists the message ids in a go-i18n TOML file: the set Load checks
// flows against.
func MessageIDs(fsys fs.FS, name string) (map[string]bool, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	mf, err := bundle.ParseMessageFileBytes(b, name)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(mf.Messages))
	for _, m := range mf.Messages {
		ids[m.ID] = true
	}
	return ids, nil
}
