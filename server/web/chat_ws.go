package web

import (
	"context"
	"errors"
	"sync"
	"time"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
)

// Limits of one websocket chat (docs/chat-protocol.md).
const (
	framesPerMinute  = 60
	framesPerSession = 2000
	stepTimeout      = 10 * time.Second
	hardFrameLimit   = 4 * chat.MaxClientFrame
)

// chatSocketRoute upgrades /{lang}/chat/ws. Origins: checkOrigin (middleware)
// already refuses other sites' upgrades by host; with PUBLIC_URL set the
// websocket library checks the exact origin list too.
func (a *App) chatSocketRoute() []fiber.Handler {
	origins := []string{"*"}
	if a.cfg.PublicURL != "" {
		origins = append([]string{a.cfg.PublicURL}, a.cfg.Origins...)
	}
	return []fiber.Handler{
		func(c *fiber.Ctx) error {
			l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
			if !ok {
				return fiber.ErrNotFound
			}
			if !websocket.IsWebSocketUpgrade(c) {
				return fiber.ErrUpgradeRequired
			}
			variant := chat.VariantStandard
			if c.Query("variant") == library.EasyRead {
				variant = chat.VariantEasy
			}
			ward, err := a.chatWard(c)
			if err != nil {
				return err
			}
			c.Locals("ward", ward)
			c.Locals("lang", l.Tag)
			c.Locals("variant", variant)
			return c.Next()
		},
		websocket.New(a.chatSocket, websocket.Config{
			Origins: origins,
			// Small buffers and a shared write pool keep an idle session cheap.
			ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: writePool,
			HandshakeTimeout: 10 * time.Second,
		}),
	}
}

// writePool shares write buffers between connections: most are idle.
var writePool = &sync.Pool{}

// serverFrame is what the transport adds to chat.Rendered frames.
type serverFrame struct {
	Type   string `json:"type"`
	Token  string `json:"token,omitempty"`
	Flow   string `json:"flow,omitempty"`
	Node   string `json:"node,omitempty"`
	Ack    int64  `json:"ack,omitempty"`
	Code   string `json:"code,omitempty"`
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (a *App) chatSocket(conn *websocket.Conn) {
	lang, _ := conn.Locals("lang").(string)
	variant, _ := conn.Locals("variant").(string)
	ward, _ := conn.Locals("ward").(string)
	t := a.cfg.Locales.Translator(lang)
	// Frames over chat.MaxClientFrame get a too_large error frame from the
	// decoder and the session carries on; only far larger ones close it.
	conn.SetReadLimit(hardFrameLimit)
	send := func(v any) bool {
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteJSON(v) == nil
	}
	protocolError := func(code string) bool {
		return send(serverFrame{Type: "error", Code: code, Text: t.T("ui.chat.error.protocol")})
	}
	var (
		s           *session
		lastSeq     int64
		total       int
		windowStart = time.Now()
		inWindow    int
	)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(SessionTTL))
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			if errors.Is(err, fastws.ErrReadLimit) {
				protocolError("too_large")
			}
			return
		}
		if time.Since(windowStart) > time.Minute {
			windowStart, inWindow = time.Now(), 0
		}
		total++
		inWindow++
		if total > framesPerSession {
			send(serverFrame{Type: "bye", Reason: "limit"})
			return
		}
		if inWindow > framesPerMinute {
			protocolError("rate_limited")
			continue
		}
		if mt != websocket.TextMessage {
			protocolError("bad_json")
			continue
		}
		f, err := chat.DecodeClientFrame(msg)
		if code, ok := chat.ErrFrame(err); ok {
			protocolError(code)
			continue
		}
		if f.Seq <= lastSeq {
			protocolError("stale_seq")
			continue
		}
		lastSeq = f.Seq
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		newToken := ""
		if f.Type == "resume" {
			if s != nil {
				cancel()
				send(serverFrame{Type: "bye", Reason: "limit"})
				return
			}
			s, err = a.chats.open(ctx, f.Value)
			if errors.Is(err, errSessionGone) {
				protocolError("session_expired")
			} else if err != nil {
				cancel()
				a.log.Warn("chat resume failed", "err", err)
				send(serverFrame{Type: "error", Code: "unavailable", Text: t.T("ui.error.unavailable")})
				continue
			}
		}
		if s == nil {
			s = a.chats.fresh(lang, variant, ward)
			newToken = s.token
		}
		out, err := a.chats.step(ctx, s, f.Input())
		cancel()
		if err != nil {
			// Nothing was saved: the person can try the same answer again.
			a.log.Warn("chat step failed", "err", err)
			if !send(serverFrame{Type: "error", Code: "unavailable", Text: t.T("ui.error.unavailable")}) {
				return
			}
			continue
		}
		for _, r := range out {
			if !send(r) {
				return
			}
		}
		if ward != "" && !a.sendSpeech(send, lang, out) {
			return
		}
		if !send(serverFrame{Type: "state", Token: newToken, Flow: s.state.Flow, Node: s.state.Node, Ack: f.Seq}) {
			return
		}
	}
}

// endChat deletes a chat session: the kiosk reset or "leave this page".
// It takes the token in the body, never the URL.
func (a *App) endChat(c *fiber.Ctx) error {
	var body struct {
		Token string `json:"token" form:"token"`
	}
	if err := c.BodyParser(&body); err != nil || body.Token == "" {
		return fiber.ErrBadRequest
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), storeTimeout)
	defer cancel()
	if err := a.chats.end(ctx, body.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// speechFrame is the read-aloud audio of frame For of this step, on kiosks
// (docs/chat-protocol.md). The text may echo what the person typed, so the
// id is private: random, expiring, never cached.
type speechFrame struct {
	Type string `json:"type"`
	URL  string `json:"url"`
	For  int    `json:"for"`
}

func (a *App) sendSpeech(send func(any) bool, lang string, out []chat.Rendered) bool {
	for i, r := range out {
		if r.Kind != chat.OutMessage && r.Kind != chat.OutSafety && r.Kind != chat.OutError {
			continue
		}
		if id, ok := a.cfg.Speech.Private(lang, r.Text, time.Now()); ok {
			if !send(speechFrame{Type: "speech", URL: "/speech/" + id, For: i}) {
				return false
			}
		}
	}
	return true
}
