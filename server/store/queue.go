package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/imha-advocacy/imha/server/referral"
)

// ErrConflict means the record changed since the caller read it (a stale Version), or a
// new chat session's token is taken. Re-read and decide again.
var ErrConflict = errors.New("store: changed by someone else")

// ReferralStore keeps the referral queue.
type ReferralStore interface {
	// AddReferral stores r exactly once per IdempotencyKey, like AddFeedback: a retry
	// with the same content returns the first record with created=false, other content
	// returns ErrKeyConflict. r is normalized and validated (*ValidationError) first;
	// store-set fields in r are ignored. The store chooses a unique Reference, computes
	// Flags and Priority (referral.Assess at the time of writing), sets Status new and
	// Version 1, and appends a referral.created audit entry in the same transaction.
	// Listeners (ReferralNotifier) hear of the new id after commit.
	AddReferral(ctx context.Context, r referral.Referral) (saved referral.Referral, created bool, err error)
	// GetReferral returns the referral with this id, or ErrNotFound.
	GetReferral(ctx context.Context, id int64) (referral.Referral, error)
	// GetReferralByReference accepts a reference as a person typed it (see
	// referral.ParseReference); ErrNotFound if it is malformed or unknown.
	GetReferralByReference(ctx context.Context, ref string) (referral.Referral, error)
	// ListQueue returns one page of referrals ordered by Priority (highest first), then
	// CreatedAt and ID (oldest first), and the cursor of the next page ("" at the end).
	ListQueue(ctx context.Context, q QueueQuery) (page []referral.Referral, next string, err error)
	// UpdateStatus moves a referral through its lifecycle if c.Version is still
	// current (else ErrConflict) and the step is allowed (else an error wrapping
	// referral.ErrTransition). It stamps the status's timestamp, bumps Version,
	// re-assesses the priority and appends an audit entry carrying c.Note, in one
	// transaction.
	UpdateStatus(ctx context.Context, c StatusChange) (referral.Referral, error)
	// Allocate gives the referral to an advocate: from acknowledged it moves to
	// allocated; an allocated referral is re-allocated. Same concurrency and audit
	// rules as UpdateStatus.
	Allocate(ctx context.Context, a Allocation) (referral.Referral, error)
	// RefreshPriorities re-assesses every open referral at time now and rewrites Flags
	// and Priority where they changed: the stored score is computed at each write, so
	// without this a tribunal three weeks off would never rise as it draws near.
	// Version is not bumped (nobody changed the referral, so no one's edit should be
	// refused) and no audit entry is written; listeners hear of each changed id. Run
	// it periodically (hourly is plenty). It returns how many referrals changed.
	RefreshPriorities(ctx context.Context, now time.Time) (int, error)
}

// RefreshBatch is how many open referrals RefreshPriorities reads at a time.
const RefreshBatch = 500

// StatusChange asks UpdateStatus to move referral ID from Version to To.
type StatusChange struct {
	ID      int64
	Version int64 // the Version the caller read
	To      referral.Status
	Actor   string // see referral.AuditEntry.Actor
	Note    string // kept in the audit entry: no patient data, at most NoteMaxLen
}

// NoteMaxLen leaves room in the audit detail for the "from → to: " prefix.
const NoteMaxLen = 400

// Allocation asks Allocate to give referral ID to AdvocateID.
type Allocation struct {
	ID         int64
	Version    int64
	AdvocateID string // staff user id of the advocate, referral.ActorMaxLen chars of [A-Za-z0-9_.:@-]
	Actor      string
}

// QueueQuery selects a page of the queue. Zero values mean "no filter".
type QueueQuery struct {
	Statuses []referral.Status // default referral.OpenStatuses
	Kinds    []referral.Kind
	Flags    referral.Flags // only referrals with every one of these flags
	Ward     string         // exact ward name
	Since    time.Time      // CreatedAt >= Since
	Until    time.Time      // CreatedAt < Until
	Limit    int            // as FeedbackQuery.Limit
	After    string         // cursor from the previous page
}

// EffectiveLimit returns the row limit both backends apply for q.Limit.
func (q QueueQuery) EffectiveLimit() int {
	return FeedbackQuery{Limit: q.Limit}.EffectiveLimit()
}

// EffectiveStatuses returns the statuses both backends filter on.
func (q QueueQuery) EffectiveStatuses() []referral.Status {
	if len(q.Statuses) == 0 {
		return referral.OpenStatuses
	}
	return q.Statuses
}

// QueueKey is a referral's position in the queue. Stores keep Rank (minus the
// priority) in a column so that one ascending row comparison (rank, created_at, id) >
// (...) pages through an index in both databases.
type QueueKey struct {
	Rank      int
	CreatedAt time.Time
	ID        int64
}

// KeyOf returns r's position in the queue.
func KeyOf(r referral.Referral) QueueKey {
	return QueueKey{Rank: -r.Priority, CreatedAt: r.CreatedAt, ID: r.ID}
}

// Cursor encodes k as an opaque string for QueueQuery.After.
func (k QueueKey) Cursor() string {
	s := fmt.Sprintf("%d.%d.%d", k.Rank, k.CreatedAt.UnixMicro(), k.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// ParseCursor decodes a cursor; a malformed one is a *ValidationError on "after".
func ParseCursor(c string) (QueueKey, error) {
	invalid := &ValidationError{Field: "after", Code: CodeInvalid}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return QueueKey{}, invalid
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 {
		return QueueKey{}, invalid
	}
	rank, err1 := strconv.Atoi(parts[0])
	us, err2 := strconv.ParseInt(parts[1], 10, 64)
	id, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return QueueKey{}, invalid
	}
	return QueueKey{Rank: rank, CreatedAt: time.UnixMicro(us).UTC(), ID: id}, nil
}

// Validate checks the filters that could not be expressed in SQL safely.
func (q QueueQuery) Validate() error {
	for _, s := range q.Statuses {
		if !s.Valid() {
			return &ValidationError{Field: "statuses", Code: CodeInvalid}
		}
	}
	for _, k := range q.Kinds {
		if !referralKindValid(k) {
			return &ValidationError{Field: "kinds", Code: CodeInvalid}
		}
	}
	if q.After != "" {
		if _, err := ParseCursor(q.After); err != nil {
			return err
		}
	}
	return nil
}

func referralKindValid(k referral.Kind) bool {
	for _, v := range referral.Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Validate checks a status change before any database work.
func (c StatusChange) Validate() error {
	if !c.To.Valid() {
		return &ValidationError{Field: "status", Code: CodeInvalid}
	}
	if len([]rune(strings.TrimSpace(c.Note))) > NoteMaxLen {
		return &ValidationError{Field: "note", Code: CodeTooLong}
	}
	return validateChange(c.Actor, c.Note)
}

// Validate checks an allocation before any database work.
func (a Allocation) Validate() error {
	if err := referral.ValidateActor("advocate_id", a.AdvocateID); err != nil {
		return err
	}
	return validateChange(a.Actor, "")
}

func validateChange(actor, note string) error {
	if err := referral.ValidateActor("actor", actor); err != nil {
		return err
	}
	return referral.AuditEntry{Actor: actor, Action: "x", Detail: note}.Validate()
}

// ApplyStatus returns r moved to status to at time at: the lifecycle rule, the status
// timestamps and the version bump, shared by both backends.
func ApplyStatus(r referral.Referral, to referral.Status, at time.Time) (referral.Referral, error) {
	if err := referral.CheckTransition(r.Status, to); err != nil {
		return r, err
	}
	r.Status = to
	switch to {
	case referral.StatusAcknowledged:
		r.AcknowledgedAt = at
	case referral.StatusAllocated:
		r.AllocatedAt = at
	case referral.StatusContacted:
		if r.FirstContactAt.IsZero() {
			r.FirstContactAt = at
		}
	case referral.StatusClosed, referral.StatusWithdrawn:
		r.ClosedAt = at
	}
	return touch(r, at), nil
}

// ApplyAllocation returns r allocated to advocate at time at.
func ApplyAllocation(r referral.Referral, advocate string, at time.Time) (referral.Referral, error) {
	if r.Status != referral.StatusAllocated {
		var err error
		if r, err = ApplyStatus(r, referral.StatusAllocated, at); err != nil {
			return r, err
		}
	} else {
		r = touch(r, at)
	}
	r.AdvocateID = advocate
	return r, nil
}

// touch bumps the version and re-assesses the priority: a meeting that was weeks away
// at referral may be days away now.
func touch(r referral.Referral, at time.Time) referral.Referral {
	r.Version++
	r.UpdatedAt = at
	r.Flags = referral.Assess(r, at)
	r.Priority = r.Flags.Score()
	return r
}

// Intake prepares a new referral for insertion: normalized, validated, and with the
// store-set fields filled in for time at.
func Intake(r referral.Referral, at time.Time) (referral.Referral, error) {
	r = r.Content()
	if err := r.Validate(); err != nil {
		return referral.Referral{}, err
	}
	r.Status = referral.StatusNew
	r.Version = 1
	r.CreatedAt, r.UpdatedAt = at, at
	r.Flags = referral.Assess(r, at)
	r.Priority = r.Flags.Score()
	return r, nil
}

// ReferenceAttempts bounds the retries when a random reference is already taken;
// with 2^40 references, even one retry is rare.
const ReferenceAttempts = 5

// InsertFunc writes one prepared referral (body is its content as JSON). taken
// reports that in.Reference was already in use and nothing was written.
type InsertFunc func(ctx context.Context, in referral.Referral, body []byte) (saved referral.Referral, created, taken bool, err error)

// AddReferral is the intake both backends share: normalize and validate r,
// then insert it under fresh random references until one is free. refs is
// where references come from (nil: crypto/rand). Errors from insert come back
// as they are.
func AddReferral(ctx context.Context, r referral.Referral, now time.Time, refs io.Reader, insert InsertFunc) (referral.Referral, bool, error) {
	in, err := Intake(r, now)
	if err != nil {
		return referral.Referral{}, false, err
	}
	body, err := json.Marshal(in.Content())
	if err != nil {
		return referral.Referral{}, false, fmt.Errorf("store: add referral: %w", err)
	}
	for range ReferenceAttempts {
		if in.Reference, err = referral.NewReference(refs); err != nil {
			return referral.Referral{}, false, fmt.Errorf("store: add referral: %w", err)
		}
		saved, created, taken, err := insert(ctx, in, body)
		if taken {
			continue
		}
		return saved, created, err
	}
	return referral.Referral{}, false, fmt.Errorf("store: add referral: no free reference after %d attempts", ReferenceAttempts)
}

// Now is a store's clock reading: clock() if set, else the time, in UTC to the
// microsecond (what both databases keep).
func Now(clock func() time.Time) time.Time {
	t := time.Now()
	if clock != nil {
		t = clock()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// IntakeActor is the audit actor for a new referral: the channel, never a person.
func IntakeActor(r referral.Referral) string { return "intake:" + string(r.Source) }

// OptOutStore keeps opt-outs and their history.
type OptOutStore interface {
	// AddOptOut records o (normalized, validated) and audits it; RevokedAt and
	// RevokedBy in o are ignored.
	AddOptOut(ctx context.Context, o referral.OptOut) (referral.OptOut, error)
	// RevokeOptOut marks an opt-out no longer in force, keeping the row. ErrNotFound if
	// there is no such opt-out, ErrConflict if it is already revoked.
	RevokeOptOut(ctx context.Context, id int64, actor string) (referral.OptOut, error)
	// ListOptOuts returns opt-outs oldest first, revoked ones too when q.IncludeRevoked.
	ListOptOuts(ctx context.Context, q OptOutQuery) ([]referral.OptOut, error)
}

// OptOutQuery selects opt-outs.
type OptOutQuery struct {
	IncludeRevoked bool
	PersonName     string // exact, after trimming: lets an automatic-referral import check for an opt-out
	Ward           string // exact
	Reference      string // canonical "ABCD-1234"
	Limit          int    // as FeedbackQuery.Limit
}

// AuditStore keeps the append-only audit log. There is deliberately no way to change
// or delete an entry.
type AuditStore interface {
	// AppendAudit stores e (validated); At is set by the store.
	AppendAudit(ctx context.Context, e referral.AuditEntry) (referral.AuditEntry, error)
	// ListAudit returns entries oldest first.
	ListAudit(ctx context.Context, q AuditQuery) ([]referral.AuditEntry, error)
}

// AuditQuery selects audit entries. Zero values mean "no filter".
type AuditQuery struct {
	Subject string
	Actor   string
	AfterID int64 // entries with ID > AfterID, for paging
	Limit   int   // as FeedbackQuery.Limit
}

// ChatSessionStore keeps guided-chat progress so any server behind a load balancer can
// continue a conversation. The state is opaque to the store.
type ChatSessionStore interface {
	// SaveChatSession writes state under token. version 0 creates the session
	// (ErrConflict if the token exists); otherwise version must be the one last loaded
	// or saved (else ErrConflict; ErrNotFound if the session is gone or expired). It
	// returns the new version.
	SaveChatSession(ctx context.Context, token string, state []byte, version int64, expiresAt time.Time) (int64, error)
	// LoadChatSession returns the state and version, or ErrNotFound when the session
	// is missing or expires at or before now.
	LoadChatSession(ctx context.Context, token string, now time.Time) (state []byte, version int64, err error)
	// DeleteChatSession removes the session (no error if it is already gone), e.g.
	// when a person presses "leave this site".
	DeleteChatSession(ctx context.Context, token string) error
	// PurgeExpiredChatSessions deletes sessions that expire at or before now and
	// returns how many.
	PurgeExpiredChatSessions(ctx context.Context, now time.Time) (int64, error)
}

// Chat session limits.
const (
	ChatTokenMinLen  = 16
	ChatTokenMaxLen  = 128
	ChatStateMaxSize = 16 << 10
)

// ValidateChatSession checks a token and state before any database work.
func ValidateChatSession(token string, state []byte, version int64) error {
	switch {
	case token == "":
		return &ValidationError{Field: "token", Code: CodeRequired}
	case len(token) > ChatTokenMaxLen:
		return &ValidationError{Field: "token", Code: CodeTooLong}
	case !keyRE.MatchString(token):
		return &ValidationError{Field: "token", Code: CodeInvalid}
	case len(token) < ChatTokenMinLen:
		return &ValidationError{Field: "token", Code: CodeTooShort}
	case len(state) > ChatStateMaxSize:
		return &ValidationError{Field: "state", Code: CodeTooLong}
	case version < 0:
		return &ValidationError{Field: "version", Code: CodeInvalid}
	}
	return nil
}

// ReferralNotifier tells a live staff queue that referrals changed.
type ReferralNotifier interface {
	// ListenReferrals calls fn with the id of each referral added or changed, until ctx
	// ends (returning ctx's error). fn(Requery) means notifications may have been
	// missed (after a reconnect, or a slow listener): re-read the whole queue. fn runs
	// on one goroutine, in order; it should be quick.
	ListenReferrals(ctx context.Context, fn func(id int64)) error
}

// Requery is the id ListenReferrals passes when the listener must re-read everything.
const Requery int64 = 0
