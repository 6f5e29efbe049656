package web

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/imha-advocacy/imha/server/chat"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
)

var chatTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// chatView is what the chat template shows for one step.
type chatView struct {
	Token   string
	Node    string
	Flow    string
	Frames  []chat.Rendered
	Input   *chat.InputRequest
	Choices []chat.RenderedChoice
	Rows    []chat.RenderedRow
}

func chatVariant(v string) (page, engine string) {
	if v == library.EasyRead {
		return library.EasyRead, chat.VariantEasy
	}
	return library.Standard, chat.VariantStandard
}

// chatPage shows the first step without creating a session: nothing is
// stored until the person answers.
func (a *App) chatPage(c *fiber.Ctx) error {
	l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
	if !ok {
		return fiber.ErrNotFound
	}
	ward, err := a.chatWard(c)
	if err != nil {
		return err
	}
	variant, engineVariant := chatVariant(c.Query("variant"))
	flow := c.Query("flow", chat.FlowMenu)
	st, outs, _ := a.chats.engine.Step(chat.NewState(l.Tag, engineVariant, ward), chat.Input{Kind: chat.InStart, Flow: flow})
	r, err := chat.Render(outs, a.chats.localizer(l.Tag), chatProvider(a.chats.provider, l.Tag))
	if err != nil {
		return err
	}
	return a.sendChat(c, fiber.StatusOK, a.cfg.Locales.Translator(l.Tag), variant, &session{state: st}, r, st.Flow)
}

// chatForm is one answer from the no-JavaScript chat.
func (a *App) chatForm(c *fiber.Ctx) error {
	l, ok := a.cfg.Locales.Lookup(c.Params("lang"))
	if !ok {
		return fiber.ErrNotFound
	}
	t := a.cfg.Locales.Translator(l.Tag)
	ward, err := a.chatWard(c)
	if err != nil {
		return err
	}
	variant, engineVariant := chatVariant(c.FormValue("variant"))
	token := utils.CopyString(c.FormValue("token"))
	in := chat.Input{Node: utils.CopyString(c.FormValue("node"))}
	switch action := c.FormValue("action"); {
	case action == "back":
		in.Kind = chat.InBack
	case action == "restart":
		in.Kind = chat.InRestart
	case c.FormValue("choose") != "":
		in.Kind, in.Value = chat.InChoose, utils.CopyString(c.FormValue("choose"))
	default:
		in.Kind, in.Value = chat.InText, utils.CopyString(c.FormValue("text"))
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), stepTimeout)
	defer cancel()
	var s *session
	var prefix []chat.Rendered
	switch {
	case token == "":
		// First answer: replay the page's first step, then apply the answer.
		s = a.chats.fresh(l.Tag, engineVariant, ward)
		s.state, _, _ = a.chats.engine.Step(s.state, chat.Input{Kind: chat.InStart, Flow: utils.CopyString(c.FormValue("flow", chat.FlowMenu))})
	case !chatTokenPattern.MatchString(token):
		return fiber.NewError(fiber.StatusBadRequest, "chat: malformed token")
	default:
		s, err = a.chats.open(ctx, token)
		if errors.Is(err, errSessionGone) {
			// Expired: say so and start again, never a dead end.
			s = a.chats.fresh(l.Tag, engineVariant, ward)
			prefix = []chat.Rendered{{Kind: chat.OutError, Text: t.T("ui.chat.expired")}}
			in = chat.Input{Kind: chat.InStart, Flow: chat.FlowMenu}
		} else if err != nil {
			return fiber.NewError(fiber.StatusServiceUnavailable, err.Error())
		}
	}
	out, err := a.chats.step(ctx, s, in)
	if err != nil {
		a.log.Warn("chat step failed", "err", err)
		return fiber.NewError(fiber.StatusServiceUnavailable, "chat step failed")
	}
	return a.sendChat(c, fiber.StatusOK, t, variant, s, append(prefix, out...), s.state.Flow)
}

func (a *App) sendChat(c *fiber.Ctx, code int, t *locale.Translator, variant string, s *session, frames []chat.Rendered, flow string) error {
	cv := &chatView{Token: s.token, Node: s.state.Node, Flow: flow}
	for _, f := range frames {
		switch f.Kind {
		case chat.OutInput:
			cv.Input = f.Input
		case chat.OutChoices:
			cv.Choices = f.Choices
		case chat.OutSummary:
			cv.Rows = f.Rows
		default:
			cv.Frames = append(cv.Frames, f)
		}
	}
	v := a.baseView(t, variant, "chat")
	v.VariantHref = variantPrefixQuery(t.Language().Tag, variant)
	v.Title = t.T("ui.chat.title")
	v.Chat = cv
	if w, ok := a.wards[c.Params("ward")]; ok {
		a.kioskify(v, w.ID, strconv.Itoa(int(w.Idle/time.Second)))
	}
	return a.send(c, code, "chat", v)
}

// variantPrefixQuery links the chat in the other variant.
func variantPrefixQuery(lang, variant string) string {
	if variant == library.EasyRead {
		return "/" + lang + "/chat"
	}
	return "/" + lang + "/chat?variant=" + library.EasyRead
}
