// Package store defines how the server keeps page feedback, referrals, opt-outs, the
// audit log and chat sessions, independent of the database.
//
// Two backends implement Store: server/store/sqlite (embedded, the default for a single
// kiosk server) and server/store/postgres (shared by several servers). Both must pass
// server/store/storetest, so the web layer can rely on the behaviour described here
// whichever one is configured.
package store

import (
	"context"
	"errors"
	"time"
)

// Feedback is one answer to "Was this page helpful?".
//
// It deliberately records nothing that identifies the person: no name, IP address or session.
type Feedback struct {
	ID        int64
	Key       string // idempotency key from the form (random per page view), required, 16-64 chars [A-Za-z0-9_-]
	PageID    string // content page id, required, <= 80 chars
	Lang      string // BCP 47 tag, required, <= 16 chars
	Variant   string // "standard" | "easy-read"
	Helpful   bool
	Comment   string    // optional, <= 500 runes, trimmed
	CreatedAt time.Time // set by the store (UTC)
}

// FeedbackQuery selects feedback for staff reports. Zero values mean "no filter".
type FeedbackQuery struct {
	Since  time.Time // inclusive: CreatedAt >= Since
	Until  time.Time // exclusive: CreatedAt < Until, so consecutive periods do not overlap
	PageID string
	Limit  int // <= 0 means DefaultLimit; capped at MaxLimit so one request cannot load everything
}

// Limits for FeedbackQuery.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// EffectiveLimit returns the row limit both backends apply for q.Limit.
func (q FeedbackQuery) EffectiveLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

var ErrKeyConflict = errors.New("store: idempotency key reused with different content")
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable wraps transient failures (connection refused, serialization failure, database restarting) so callers can tell a person to try again.
var ErrUnavailable = errors.New("store: temporarily unavailable")

// FeedbackStore keeps page feedback.
type FeedbackStore interface {
	// AddFeedback stores f exactly once per Key. A retry with the same Key and the same content returns the first record with created=false; same Key with different content returns ErrKeyConflict.
	//
	// f is normalized (Comment trimmed) and validated first; invalid input returns a
	// *ValidationError and writes nothing. ID and CreatedAt in f are ignored.
	AddFeedback(ctx context.Context, f Feedback) (saved Feedback, created bool, err error)
	// ListFeedback returns matching feedback, newest first (ties broken by ID, newest first).
	ListFeedback(ctx context.Context, q FeedbackQuery) ([]Feedback, error)
}

// Store is everything the server keeps, as a composition of small interfaces so that
// each user (feedback form, chat, staff workspace) can ask for only what it needs.
// Implementations are safe for concurrent use.
type Store interface {
	// Ping reports whether the database can serve requests (used by /readyz).
	Ping(ctx context.Context) error
	FeedbackStore
	ReferralStore
	OptOutStore
	AuditStore
	ChatSessionStore
	ReferralNotifier
	RecordStore
	StaffStore
	Close() error
}
