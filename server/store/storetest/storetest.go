// Package storetest is the conformance suite every store.Store backend must pass, so the
// web layer sees the same behaviour from SQLite and PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imha-advocacy/imha/server/store"
)

// Run runs the suite. open must return a new, empty, migrated store for each call; Run
// closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"AddAndList", testAddAndList},
		{"IdempotentRetry", testIdempotentRetry},
		{"KeyConflict", testKeyConflict},
		{"Validation", testValidation},
		{"RightToLeftRoundTrip", testRoundTrip},
		{"ConcurrentRetries", testConcurrentRetries},
		{"ListFilters", testListFilters},
	}
	tests = append(tests, referralTests...)
	tests = append(tests, staffTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

var keySeq struct {
	sync.Mutex
	n int
}

// newKey returns a unique, valid idempotency key, like the form's per-page-view key.
func newKey() string {
	keySeq.Lock()
	defer keySeq.Unlock()
	keySeq.n++
	return fmt.Sprintf("test-key-%016d", keySeq.n)
}

func valid() store.Feedback {
	return store.Feedback{
		Key:     newKey(),
		PageID:  "what-is-an-imha",
		Lang:    "en",
		Variant: store.VariantStandard,
		Helpful: true,
		Comment: "Clear, thank you.",
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustAdd(t *testing.T, s store.Store, f store.Feedback) store.Feedback {
	t.Helper()
	saved, created, err := s.AddFeedback(ctx(t), f)
	if err != nil {
		t.Fatalf("AddFeedback(%+v): %v", f, err)
	}
	if !created {
		t.Fatalf("AddFeedback(%+v): created = false for a new key", f)
	}
	return saved
}

func list(t *testing.T, s store.Store, q store.FeedbackQuery) []store.Feedback {
	t.Helper()
	got, err := s.ListFeedback(ctx(t), q)
	if err != nil {
		t.Fatalf("ListFeedback(%+v): %v", q, err)
	}
	return got
}

// equal compares every field, including ID and CreatedAt (to the microsecond, which is
// what both databases keep).
func equal(a, b store.Feedback) bool {
	return a.ID == b.ID && store.SameContent(a, b) && a.Comment == b.Comment && a.CreatedAt.Equal(b.CreatedAt)
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testAddAndList(t *testing.T, s store.Store) {
	before := time.Now().UTC().Add(-time.Second)
	in := valid()
	in.Comment = "  padded comment \n"
	in.ID, in.CreatedAt = 999, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // must be ignored
	saved := mustAdd(t, s, in)

	if saved.ID == 0 || saved.ID == 999 {
		t.Errorf("ID = %d, want one chosen by the store", saved.ID)
	}
	if saved.Comment != "padded comment" {
		t.Errorf("Comment = %q, want it trimmed", saved.Comment)
	}
	if saved.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location = %v, want UTC", saved.CreatedAt.Location())
	}
	if saved.CreatedAt.Before(before) || saved.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", saved.CreatedAt)
	}
	if !store.SameContent(saved, in) {
		t.Errorf("saved %+v, want content of %+v", saved, in)
	}

	got := list(t, s, store.FeedbackQuery{})
	if len(got) != 1 || !equal(got[0], saved) {
		t.Fatalf("ListFeedback = %+v, want [%+v]", got, saved)
	}
}

func testIdempotentRetry(t *testing.T, s store.Store) {
	first := mustAdd(t, s, valid())
	tests := []struct {
		name   string
		modify func(f *store.Feedback)
	}{
		{"identical", func(*store.Feedback) {}},
		{"comment whitespace differs", func(f *store.Feedback) { f.Comment = "\t" + f.Comment + "  " }},
		{"ID and CreatedAt differ", func(f *store.Feedback) { f.ID, f.CreatedAt = 0, time.Now().Add(time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry := first
			tt.modify(&retry)
			saved, created, err := s.AddFeedback(ctx(t), retry)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if created {
				t.Error("retry: created = true, want false")
			}
			if !equal(saved, first) {
				t.Errorf("retry returned %+v, want the first record %+v", saved, first)
			}
		})
	}
	if got := list(t, s, store.FeedbackQuery{}); len(got) != 1 {
		t.Errorf("after retries, %d rows stored, want 1", len(got))
	}
}

func testKeyConflict(t *testing.T, s store.Store) {
	first := mustAdd(t, s, valid())
	tests := []struct {
		name   string
		modify func(f *store.Feedback)
	}{
		{"page", func(f *store.Feedback) { f.PageID = "your-rights" }},
		{"lang", func(f *store.Feedback) { f.Lang = "pl" }},
		{"variant", func(f *store.Feedback) { f.Variant = store.VariantEasyRead }},
		{"helpful", func(f *store.Feedback) { f.Helpful = !f.Helpful }},
		{"comment", func(f *store.Feedback) { f.Comment = "Something else" }},
		{"comment removed", func(f *store.Feedback) { f.Comment = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := first
			tt.modify(&f)
			_, created, err := s.AddFeedback(ctx(t), f)
			if !errors.Is(err, store.ErrKeyConflict) {
				t.Errorf("err = %v, want ErrKeyConflict", err)
			}
			if created {
				t.Error("created = true on conflict")
			}
		})
	}
	got := list(t, s, store.FeedbackQuery{})
	if len(got) != 1 || !equal(got[0], first) {
		t.Errorf("after conflicts, stored %+v, want only %+v", got, first)
	}
}

func testValidation(t *testing.T, s store.Store) {
	tests := []struct {
		name   string
		modify func(f *store.Feedback)
		field  string
		code   string
	}{
		{"key empty", func(f *store.Feedback) { f.Key = "" }, store.FieldKey, store.CodeRequired},
		{"key too short", func(f *store.Feedback) { f.Key = strings.Repeat("a", 15) }, store.FieldKey, store.CodeTooShort},
		{"key too long", func(f *store.Feedback) { f.Key = strings.Repeat("a", 65) }, store.FieldKey, store.CodeTooLong},
		{"key space", func(f *store.Feedback) { f.Key = "abcdefgh ijklmnop" }, store.FieldKey, store.CodeInvalid},
		{"key punctuation", func(f *store.Feedback) { f.Key = "abcdefgh.ijklmnop" }, store.FieldKey, store.CodeInvalid},
		{"key non-ASCII", func(f *store.Feedback) { f.Key = "ключключключключ" }, store.FieldKey, store.CodeInvalid},
		{"page empty", func(f *store.Feedback) { f.PageID = "" }, store.FieldPageID, store.CodeRequired},
		{"page too long", func(f *store.Feedback) { f.PageID = strings.Repeat("p", 81) }, store.FieldPageID, store.CodeTooLong},
		{"page NUL", func(f *store.Feedback) { f.PageID = "a\x00b" }, store.FieldPageID, store.CodeInvalid},
		{"lang empty", func(f *store.Feedback) { f.Lang = "" }, store.FieldLang, store.CodeRequired},
		{"lang too long", func(f *store.Feedback) { f.Lang = "en-GB-oxendict-x1" }, store.FieldLang, store.CodeTooLong},
		{"lang not a tag", func(f *store.Feedback) { f.Lang = "en_GB" }, store.FieldLang, store.CodeInvalid},
		{"variant empty", func(f *store.Feedback) { f.Variant = "" }, store.FieldVariant, store.CodeRequired},
		{"variant unknown", func(f *store.Feedback) { f.Variant = "easy_read" }, store.FieldVariant, store.CodeInvalid},
		{"comment 501 ASCII", func(f *store.Feedback) { f.Comment = strings.Repeat("x", 501) }, store.FieldComment, store.CodeTooLong},
		{"comment 501 Arabic", func(f *store.Feedback) { f.Comment = strings.Repeat("ب", 501) }, store.FieldComment, store.CodeTooLong},
		{"comment 501 Gurmukhi", func(f *store.Feedback) { f.Comment = strings.Repeat("ਸ", 501) }, store.FieldComment, store.CodeTooLong},
		{"comment 501 emoji", func(f *store.Feedback) { f.Comment = strings.Repeat("👍", 501) }, store.FieldComment, store.CodeTooLong},
		{"comment invalid UTF-8", func(f *store.Feedback) { f.Comment = "ok \xff" }, store.FieldComment, store.CodeInvalid},
		{"comment NUL", func(f *store.Feedback) { f.Comment = "a\x00b" }, store.FieldComment, store.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			tt.modify(&f)
			_, created, err := s.AddFeedback(ctx(t), f)
			var ve *store.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *store.ValidationError", err)
			}
			if ve.Field != tt.field || ve.Code != tt.code {
				t.Errorf("got %s/%s, want %s/%s", ve.Field, ve.Code, tt.field, tt.code)
			}
			if created {
				t.Error("created = true for invalid feedback")
			}
		})
	}

	// The limits themselves are allowed; multi-byte text is counted in runes, not bytes.
	edges := []struct {
		name   string
		modify func(f *store.Feedback)
	}{
		{"key 16", func(f *store.Feedback) { k := newKey(); f.Key = "Ab0_-" + k[len(k)-11:] }},
		{"key 64", func(f *store.Feedback) { k := newKey(); f.Key = strings.Repeat("k", 64-len(k)) + k }},
		{"page 80", func(f *store.Feedback) { f.PageID = strings.Repeat("p", 80) }},
		{"lang 16", func(f *store.Feedback) { f.Lang = "en-GB-oxendict-x" }},
		{"easy read", func(f *store.Feedback) { f.Variant = store.VariantEasyRead }},
		{"no comment", func(f *store.Feedback) { f.Comment = "" }},
		{"comment 500 Arabic", func(f *store.Feedback) { f.Comment = strings.Repeat("ب", 500) }},
		{"comment 500 emoji after trim", func(f *store.Feedback) { f.Comment = "  " + strings.Repeat("👍", 500) + "\n" }},
	}
	for _, tt := range edges {
		t.Run("ok "+tt.name, func(t *testing.T) {
			f := valid()
			tt.modify(&f)
			if err := f.Normalize().Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			mustAdd(t, s, f)
		})
	}
	if got := list(t, s, store.FeedbackQuery{}); len(got) != len(edges) {
		t.Errorf("%d rows stored, want %d (only the valid ones)", len(got), len(edges))
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		lang, comment string
	}{
		// Arabic with harakat and an Arabic-Indic digit.
		{"ar", "الصفحة واضحة جدًا، شكرًا لكم ٣"},
		// Urdu with a zero-width non-joiner, which must survive exactly.
		{"ur", "یہ صفحہ بہت مددگار تھا۔ شکریہ\u200c!"},
		// Mixed direction: Latin and a phone number inside right-to-left text.
		{"ur", "IMHA کے بارے میں 0800 123 4567 پر فون کریں"},
		{"pa", "ਇਹ ਪੰਨਾ ਬਹੁਤ ਮਦਦਗਾਰ ਸੀ"},
		{"bn", "পৃষ্ঠাটি সহায়ক ছিল"},
	}
	for _, tt := range tests {
		f := valid()
		f.Lang, f.Comment = tt.lang, tt.comment
		saved := mustAdd(t, s, f)
		if saved.Comment != tt.comment {
			t.Errorf("saved comment %q, want %q", saved.Comment, tt.comment)
		}
		got := list(t, s, store.FeedbackQuery{Limit: 1})
		if len(got) != 1 || got[0].Comment != tt.comment || got[0].Lang != tt.lang {
			t.Errorf("listed %+v, want comment %q in %s", got, tt.comment, tt.lang)
		}
	}
}

func testConcurrentRetries(t *testing.T, s store.Store) {
	const n = 20
	f := valid()
	type result struct {
		saved   store.Feedback
		created bool
		err     error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r := &results[i]
			r.saved, r.created, r.err = s.AddFeedback(ctx(t), f)
		})
	}
	close(start)
	wg.Wait()

	created := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("goroutine %d: %v", i, r.err)
		}
		if r.created {
			created++
		}
		if !equal(r.saved, results[0].saved) {
			t.Errorf("goroutine %d got %+v, goroutine 0 got %+v", i, r.saved, results[0].saved)
		}
	}
	if created != 1 {
		t.Errorf("%d calls reported created=true, want exactly 1", created)
	}
	if got := list(t, s, store.FeedbackQuery{}); len(got) != 1 {
		t.Errorf("%d rows stored, want 1", len(got))
	}
}

func testListFilters(t *testing.T, s store.Store) {
	pages := []string{"a", "b", "a", "b", "a"}
	var saved []store.Feedback // oldest first
	for _, p := range pages {
		f := valid()
		f.PageID = p
		saved = append(saved, mustAdd(t, s, f))
		// Distinct timestamps make Since/Until boundaries unambiguous.
		time.Sleep(2 * time.Millisecond)
	}
	for i := 1; i < len(saved); i++ {
		if !saved[i].CreatedAt.After(saved[i-1].CreatedAt) {
			t.Fatalf("CreatedAt not increasing: %v then %v", saved[i-1].CreatedAt, saved[i].CreatedAt)
		}
	}
	// newest returns saved[idx...] newest first.
	newest := func(idx ...int) []store.Feedback {
		var out []store.Feedback
		for i := len(idx) - 1; i >= 0; i-- {
			out = append(out, saved[idx[i]])
		}
		return out
	}
	tests := []struct {
		name string
		q    store.FeedbackQuery
		want []store.Feedback
	}{
		{"all", store.FeedbackQuery{}, newest(0, 1, 2, 3, 4)},
		{"page", store.FeedbackQuery{PageID: "a"}, newest(0, 2, 4)},
		{"unknown page", store.FeedbackQuery{PageID: "zzz"}, nil},
		{"since is inclusive", store.FeedbackQuery{Since: saved[2].CreatedAt}, newest(2, 3, 4)},
		{"until is exclusive", store.FeedbackQuery{Until: saved[2].CreatedAt}, newest(0, 1)},
		{"since and until", store.FeedbackQuery{Since: saved[1].CreatedAt, Until: saved[4].CreatedAt}, newest(1, 2, 3)},
		{"since in another zone", store.FeedbackQuery{Since: saved[3].CreatedAt.In(time.FixedZone("PKT", 5*3600))}, newest(3, 4)},
		{"limit", store.FeedbackQuery{Limit: 2}, newest(3, 4)},
		{"page and limit", store.FeedbackQuery{PageID: "b", Limit: 1}, newest(3)},
		{"all filters", store.FeedbackQuery{Since: saved[0].CreatedAt, Until: saved[4].CreatedAt, PageID: "a", Limit: 1}, newest(2)},
		{"future", store.FeedbackQuery{Since: time.Now().Add(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := list(t, s, tt.q)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if !equal(got[i], tt.want[i]) {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

var contextCanceled = context.Canceled

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
