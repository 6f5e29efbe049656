package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/store"
)

// SessionTTL is how long an idle chat session lives. A kiosk ends its
// session sooner, when it resets for the next person.
const SessionTTL = 30 * time.Minute

// conversations runs guided chats for both transports (websocket and the
// no-JavaScript form): load a session, step the engine, carry out any
// submission, save. The server holds the state; the browser holds only a
// random token, in memory or in the page.
type conversations struct {
	engine   *chat.Engine
	locales  *locale.Catalog
	store    store.Store
	provider library.Provider // filled into chat messages, per language
	now      func() time.Time
	// wardTTL is how long a kiosk's session lives: the ward's idle time and
	// the countdown, so a kiosk that loses power or network mid-chat does
	// not leave one person's answers for 30 minutes.
	wardTTL map[string]time.Duration
}

// session is one conversation. The token is never stored: the store keys
// sessions by its SHA-256, so a database reader cannot take one over.
type session struct {
	token   string
	key     string // hex SHA-256 of token
	state   chat.State
	version int64 // 0 until first saved
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (cv *conversations) fresh(lang, variant, ward string) *session {
	t := newToken()
	return &session{token: t, key: tokenKey(t), state: chat.NewState(lang, variant, ward)}
}

// errSessionGone means the token is unknown or the session expired.
var errSessionGone = errors.New("chat session expired")

// open loads a session by its token.
func (cv *conversations) open(ctx context.Context, token string) (*session, error) {
	b, version, err := cv.store.LoadChatSession(ctx, tokenKey(token), cv.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errSessionGone
	} else if err != nil {
		return nil, err
	}
	var st chat.State
	if err := json.Unmarshal(b, &st); err != nil || !cv.engine.Valid(st) {
		// Content changed under the session, or the row is damaged: start
		// again rather than guess (Step resets an invalid state itself).
		st = chat.NewState(st.Lang, st.Variant, st.Ward)
	}
	return &session{token: token, key: tokenKey(token), state: st, version: version}, nil
}

// step applies one input, carries out a submission the engine asks for,
// saves the new state and renders what to show. Nothing is saved if the
// step fails, so a retry starts from the same state.
func (cv *conversations) step(ctx context.Context, s *session, in chat.Input) ([]chat.Rendered, error) {
	now := cv.now()
	in.Now = now
	st := s.state
	if st.Pending && in.Kind == chat.InResume {
		// A server stopped between storing a submission and saving the
		// state. Report failure: sending again has the same content, so the
		// store returns the first record (and reference) rather than a copy.
		in = chat.Input{Kind: chat.InSubmitFailed, Now: now}
	}
	st, outs, err := cv.engine.Step(st, in)
	if err != nil && !errors.Is(err, chat.ErrStateReset) {
		return nil, err
	}
	for i := 0; i < len(outs); i++ {
		if outs[i].Kind != chat.OutEffect {
			continue
		}
		result := chat.Input{Kind: chat.InSubmitFailed, Now: now}
		ref, err := cv.submit(ctx, s, *outs[i].Effect)
		if err == nil {
			result = chat.Input{Kind: chat.InSubmitted, Value: ref, Now: now}
		} else if !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		var more []chat.Output
		st, more, _ = cv.engine.Step(st, result)
		outs = append(outs, more...)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	ttl := SessionTTL
	if d, ok := cv.wardTTL[st.Ward]; ok && st.Ward != "" {
		ttl = d
	}
	v, err := cv.store.SaveChatSession(ctx, s.key, b, s.version, now.Add(ttl))
	if err != nil {
		return nil, err
	}
	s.state, s.version = st, v
	return chat.Render(outs, cv.localizer(st.Lang), chatProvider(cv.provider, st.Lang))
}

// end deletes a session: the kiosk reset, or "leave this page".
func (cv *conversations) end(ctx context.Context, token string) error {
	return cv.store.DeleteChatSession(ctx, tokenKey(token))
}

func (cv *conversations) localizer(lang string) *i18n.Localizer {
	if _, ok := cv.locales.Lookup(lang); !ok {
		lang = locale.Source
	}
	return cv.locales.Translator(lang).Localizer()
}

// submissionKey is the idempotency key of a chat submission: the session and
// the submission's content. Sending the same answers again (after a lost
// reply or a failure report) finds the first record; changed answers are a
// new submission.
func submissionKey(s *session, e chat.Effect) string {
	e.Seq = 0
	b, _ := json.Marshal(e)
	sum := sha256.Sum256(append([]byte(s.key+":"), b...))
	return base64.RawURLEncoding.EncodeToString(sum[:24])
}

// submit stores what the person sent and returns the reference to show.
func (cv *conversations) submit(ctx context.Context, s *session, e chat.Effect) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	key := submissionKey(s, e)
	switch {
	case e.Referral != nil:
		r, _, err := cv.store.AddReferral(ctx, referralFromChat(key, s.state, *e.Referral))
		return r.Reference, err
	case e.OptOut != nil:
		o, err := cv.store.AddOptOut(ctx, optOutFromChat(*e.OptOut))
		return fmt.Sprintf("OPT-%d", o.ID), err
	case e.OptIn != nil:
		return cv.optIn(ctx, key, s.state, *e.OptIn)
	case e.Feedback != nil:
		f, _, err := cv.store.AddFeedback(ctx, feedbackFromChat(key, s.state, *e.Feedback))
		return fmt.Sprintf("FB-%d", f.ID), err
	}
	return "", fmt.Errorf("chat: effect %q has no payload", e.Kind)
}
