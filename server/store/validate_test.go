package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/store"
)

// The full field-by-field table runs against real backends in storetest; this covers
// what only the package itself promises to callers that have no store at hand.
func TestValidateRawInput(t *testing.T) {
	base := store.Feedback{Key: "abcdefghijklmnop", PageID: "p", Lang: "ur", Variant: store.VariantEasyRead}
	tests := []struct {
		name    string
		comment string
		code    string // "" = valid
	}{
		{"500 runes with surrounding spaces", " \n" + strings.Repeat("ی", 500) + "\t ", ""},
		{"only whitespace", " \n\t", ""},
		{"501 runes", strings.Repeat("ی", 501), store.CodeTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base
			f.Comment = tt.comment
			err := f.Validate()
			var ve *store.ValidationError
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.code != "" && (!errors.As(err, &ve) || ve.Field != store.FieldComment || ve.Code != tt.code):
				t.Errorf("Validate = %v, want comment/%s", err, tt.code)
			}
		})
	}
}

func TestEffectiveLimit(t *testing.T) {
	tests := []struct{ in, want int }{
		{-1, store.DefaultLimit}, {0, store.DefaultLimit}, {1, 1},
		{store.MaxLimit, store.MaxLimit}, {store.MaxLimit + 1, store.MaxLimit},
	}
	for _, tt := range tests {
		if got := (store.FeedbackQuery{Limit: tt.in}).EffectiveLimit(); got != tt.want {
			t.Errorf("EffectiveLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
