package store

import (
	"context"
	"fmt"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
)

// RecordStore serves standard records (exports), monitoring for commissioners and
// retention (issue 6, recommendations 2 and 4).
type RecordStore interface {
	// ListReferrals returns referrals created in [q.Since, q.Until), oldest first
	// (CreatedAt, then ID), one page of at most q.EffectiveLimit() after q.After.
	// Page on with After = RangeKeyOf(last row); see EachReferral.
	ListReferrals(ctx context.Context, q RangeQuery) ([]referral.Referral, error)
	// MonitoringFacts returns the few columns monitoring needs of every referral
	// and opt-out created in [since, until), without decoding whole referrals.
	MonitoringFacts(ctx context.Context, since, until time.Time) (Facts, error)
	// FeedbackCounts counts page feedback created in [since, until) by page,
	// language and variant, ordered by those.
	FeedbackCounts(ctx context.Context, since, until time.Time) ([]FeedbackCount, error)
	// PurgeBefore deletes what the retention policy no longer lets us keep: referrals
	// whose last contact (the latest of created, updated, first contact and closed)
	// is before cutoff, opt-outs created and revoked before cutoff, chat sessions that
	// expired before cutoff, and the comments (not the yes/no answers, which are
	// anonymous) of feedback created before cutoff. It appends one audit entry with
	// the counts only, in the same transaction. With dryRun it counts and changes
	// nothing (and writes no audit entry).
	PurgeBefore(ctx context.Context, cutoff time.Time, actor string, dryRun bool) (PurgeCounts, error)
	// EraseReferral deletes, on the person's request, the referral with this
	// reference and the opt-outs that name it, and appends an audit entry that holds
	// the reference and counts only. ErrNotFound if there is no such referral.
	// The audit log keeps its earlier entries: they hold no personal data.
	EraseReferral(ctx context.Context, ref, actor string) (PurgeCounts, error)
}

// RangeQuery selects referrals by creation time for exports.
type RangeQuery struct {
	Since time.Time // inclusive; zero means from the beginning
	Until time.Time // exclusive; zero means up to now
	After RangeKey  // zero means the first page
	Limit int       // as FeedbackQuery.Limit
}

// EffectiveLimit returns the row limit both backends apply for q.Limit.
func (q RangeQuery) EffectiveLimit() int { return FeedbackQuery{Limit: q.Limit}.EffectiveLimit() }

// RangeKey is a referral's position in creation order.
type RangeKey struct {
	CreatedAt time.Time
	ID        int64
}

// RangeKeyOf returns r's position, for RangeQuery.After.
func RangeKeyOf(r referral.Referral) RangeKey { return RangeKey{CreatedAt: r.CreatedAt, ID: r.ID} }

// EachReferral calls fn for every referral created in [since, until), oldest first,
// reading MaxLimit at a time so an export of years of records never holds them all.
func EachReferral(ctx context.Context, s RecordStore, since, until time.Time, fn func(referral.Referral) error) error {
	q := RangeQuery{Since: since, Until: until, Limit: MaxLimit}
	for {
		page, err := s.ListReferrals(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < q.EffectiveLimit() {
			return nil
		}
		q.After = RangeKeyOf(page[len(page)-1])
	}
}

// ReferralFact is what monitoring needs of one referral.
type ReferralFact struct {
	ID             int64
	Kind           referral.Kind
	Source         referral.Source
	Status         referral.Status
	Flags          referral.Flags
	Language       string
	Interpreter    bool
	BSL            bool
	CreatedAt      time.Time
	FirstContactAt time.Time // zero if never contacted
	ClosedAt       time.Time // zero while open
}

// OptOutFact is what monitoring needs of one opt-out.
type OptOutFact struct {
	ID        int64
	Reference string // of the automatic referral it answers, if any
	CreatedAt time.Time
	RevokedAt time.Time // zero while in force
}

// Facts are the rows monitoring aggregates, oldest first.
type Facts struct {
	Referrals []ReferralFact
	OptOuts   []OptOutFact
}

// FeedbackCount is the feedback for one page in one language and variant.
type FeedbackCount struct {
	PageID       string
	Lang         string
	Variant      string
	Helpful      int
	NotHelpful   int
	WithComments int
}

// PurgeCounts says what retention or erasure removed (or would remove).
type PurgeCounts struct {
	Referrals        int64
	OptOuts          int64
	ChatSessions     int64
	FeedbackComments int64
}

// Audit actions for retention and erasure.
const (
	ActionRetentionPurged = "retention.purged"
	ActionReferralErased  = "referral.erased"
)

// Detail renders the counts for an audit entry: numbers only, never what was removed.
func (c PurgeCounts) Detail() string {
	return fmt.Sprintf("referrals=%d optouts=%d chat_sessions=%d feedback_comments=%d",
		c.Referrals, c.OptOuts, c.ChatSessions, c.FeedbackComments)
}

// ValidatePurge checks PurgeBefore's arguments before any database work. A zero
// cutoff would be a mistake, not a policy.
func ValidatePurge(cutoff time.Time, actor string) error {
	if cutoff.IsZero() {
		return &ValidationError{Field: "cutoff", Code: CodeRequired}
	}
	return referral.ValidateActor("actor", actor)
}
