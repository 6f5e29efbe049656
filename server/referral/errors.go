package referral

import (
	"errors"
	"fmt"
)

// Validation codes. They are short and stable because the web layer maps them to
// translated messages; never show Error() text to a person.
const (
	CodeRequired = "required"
	CodeTooShort = "too_short"
	CodeTooLong  = "too_long"
	CodeInvalid  = "invalid"
	// CodeTooMany: a list (meetings, disabilities) has more entries than allowed.
	CodeTooMany = "too_many"
	// CodeNotAllowed: the value is well-formed but not allowed with the other answers
	// (for example a referrer role on a self-referral).
	CodeNotAllowed = "not_allowed"
)

// ValidationError says which field is wrong and how, in machine terms.
//
// It lives here, not in the store, because referral rules are checked by the chat and
// the web forms before anything reaches a store; the store re-exports it as
// store.ValidationError so its callers need only one import.
type ValidationError struct {
	Field string // dotted field name, e.g. "person.name", "contact.value", "meetings.2.kind"
	Code  string // one of the Code* constants
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Code)
}

func bad(field, code string) error { return &ValidationError{Field: field, Code: code} }

// ErrTransition is returned (wrapped) for a status change the lifecycle does not allow.
var ErrTransition = errors.New("referral: status change not allowed")
