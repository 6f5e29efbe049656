package store

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imha-advocacy/imha/server/referral"
)

// Validation codes. They are short and stable because the web layer maps them to
// translated messages; never show Error() text to a person.
// They are the referral package's codes, so feedback and referral forms share one set
// of translations.
const (
	CodeRequired = referral.CodeRequired
	CodeTooShort = referral.CodeTooShort
	CodeTooLong  = referral.CodeTooLong
	CodeInvalid  = referral.CodeInvalid
)

// Field names used in ValidationError.Field; they match the feedback form's field names.
const (
	FieldKey     = "key"
	FieldPageID  = "page_id"
	FieldLang    = "lang"
	FieldVariant = "variant"
	FieldComment = "comment"
)

// Variants of a content page.
const (
	VariantStandard = "standard"
	VariantEasyRead = "easy-read"
)

// Field limits, shared by both backends and mirrored by CHECK constraints in their schemas.
const (
	KeyMinLen     = 16
	KeyMaxLen     = 64
	PageIDMaxLen  = 80
	LangMaxLen    = 16
	CommentMaxLen = 500 // runes, not bytes: a Panjabi or Arabic comment gets the same room as an English one
)

// ValidationError says which field is wrong and how, in machine terms. It is defined in
// server/referral (which must not import the store) and aliased here, so errors.As
// with *store.ValidationError matches feedback and referral errors alike.
type ValidationError = referral.ValidationError

var (
	keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// A syntactic BCP 47 check (language, then subtags); whether we offer the language is
	// the web layer's business, not the store's.
	langRE = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)
)

// Normalize returns f as the store will save it: Comment trimmed, and ID and CreatedAt
// cleared because only the store sets them. Validate and content comparison both work on
// the normalized form, so " ok " and "ok" are the same answer.
func (f Feedback) Normalize() Feedback {
	f.ID = 0
	f.CreatedAt = time.Time{}
	f.Comment = strings.TrimSpace(f.Comment)
	return f
}

// Validate returns the first problem with f as a *ValidationError, or nil. It judges the
// comment as the store will save it (trimmed), so the web layer can call it on raw form
// input and get the same answer the store would give.
func (f Feedback) Validate() error {
	f.Comment = strings.TrimSpace(f.Comment)
	bad := func(field, code string) error { return &ValidationError{Field: field, Code: code} }
	switch {
	case f.Key == "":
		return bad(FieldKey, CodeRequired)
	case len(f.Key) > KeyMaxLen:
		return bad(FieldKey, CodeTooLong)
	case !keyRE.MatchString(f.Key):
		return bad(FieldKey, CodeInvalid)
	case len(f.Key) < KeyMinLen:
		return bad(FieldKey, CodeTooShort)
	}
	switch {
	case f.PageID == "":
		return bad(FieldPageID, CodeRequired)
	case !validText(f.PageID):
		return bad(FieldPageID, CodeInvalid)
	case utf8.RuneCountInString(f.PageID) > PageIDMaxLen:
		return bad(FieldPageID, CodeTooLong)
	}
	switch {
	case f.Lang == "":
		return bad(FieldLang, CodeRequired)
	case len(f.Lang) > LangMaxLen:
		return bad(FieldLang, CodeTooLong)
	case !langRE.MatchString(f.Lang):
		return bad(FieldLang, CodeInvalid)
	}
	switch f.Variant {
	case VariantStandard, VariantEasyRead:
	case "":
		return bad(FieldVariant, CodeRequired)
	default:
		return bad(FieldVariant, CodeInvalid)
	}
	switch {
	case !validText(f.Comment):
		return bad(FieldComment, CodeInvalid)
	case utf8.RuneCountInString(f.Comment) > CommentMaxLen:
		return bad(FieldComment, CodeTooLong)
	}
	return nil
}

// validText rejects invalid UTF-8 and NUL: PostgreSQL refuses both, so SQLite must too,
// or the two backends would disagree about what is storable.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// SameContent reports whether a and b are the same submission (ignoring ID and
// CreatedAt). Backends use it to tell a harmless retry from a reused key.
func SameContent(a, b Feedback) bool {
	a, b = a.Normalize(), b.Normalize()
	return a.Key == b.Key && a.PageID == b.PageID && a.Lang == b.Lang &&
		a.Variant == b.Variant && a.Helpful == b.Helpful && a.Comment == b.Comment
}
