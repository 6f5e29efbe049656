package chat

import (
	"strings"
	"testing"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

func TestRender(t *testing.T) {
	e := loadEngine(t)
	bundle := newBundle(t)
	tests := []struct {
		name, lang, variant string
		st                  State
		want                string // in the first message
		wantPicture         string
	}{
		{"english", "en", VariantStandard, at("menu", "start", nil), "Hello. This chat tells you", ""},
		{"arabic", "ar", VariantStandard, at("menu", "start", nil), "مرحبًا", ""},
		{"easy read with picture", "en", VariantEasy, at("menu", "start", nil), "Hello. An advocate is a person who helps you", "chat.svg"},
		{"easy read falls back to standard", "ar", VariantEasy, at("feedback", "thanks", nil), "شكرًا لك على رأيك.", "check.svg"},
		{"reference filled in", "en", VariantStandard, State{V: 1, Flow: "optin", Node: "done", Ref: "AB12CD"}, "Thank you. We have told", "check.svg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.st
			st.Lang, st.Variant = tt.lang, tt.variant
			_, outs := stepOK(t, e, st, Input{Kind: InResume})
			r, err := Render(outs, i18n.NewLocalizer(bundle, tt.lang, "en"), provider)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(r[0].Text, tt.want) || (tt.variant == VariantEasy && r[0].Picture != tt.wantPicture) {
				t.Errorf("got %+v", r[0])
			}
			all := ""
			for _, x := range r {
				all += x.Text + "\n"
			}
			if strings.Contains(all, "{{") || strings.Contains(all, "<no value>") {
				t.Errorf("unfilled template: %s", all)
			}
		})
	}
}

func TestRenderMissingIDReportsError(t *testing.T) {
	bundle := newBundle(t)
	r, err := Render([]Output{{Kind: OutMessage, ID: "chat.nope"}}, i18n.NewLocalizer(bundle, "ar", "en"), nil)
	if err == nil || r[0].Text != "chat.nope" {
		t.Errorf("got %+v, %v", r, err)
	}
}

// TestRTLNumbersIsolated: in right-to-left text, a number with a space
// (116 123) shows reversed unless isolated.
func TestRTLNumbersIsolated(t *testing.T) {
	bundle := newBundle(t)
	loc := i18n.NewLocalizer(bundle, "ar")
	for _, id := range []string{msgSafety, msgSafety + ".easy", "chat.person.routes.urgent", "chat.error.field.phone"} {
		s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.NewReplacer("\u2068116 123\u2069", "", "\u206807700 900000\u2069", "").Replace(s), "116 123") {
			t.Errorf("%s: number not isolated: %q", id, s)
		}
	}
}
