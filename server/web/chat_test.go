package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/imha-advocacy/imha/server/referral"
	"github.com/imha-advocacy/imha/server/store"
)

// frame is any server frame.
type frame struct {
	Type    string `json:"type"`
	Text    string `json:"text"`
	Code    string `json:"code"`
	Token   string `json:"token"`
	Flow    string `json:"flow"`
	Node    string `json:"node"`
	Ack     int64  `json:"ack"`
	Reason  string `json:"reason"`
	Choices []struct {
		Value string `json:"value"`
		Text  string `json:"text"`
	} `json:"choices"`
}

type wsClient struct {
	t     *testing.T
	conn  *websocket.Conn
	seq   int64
	token string
	node  string
}

func dial(t *testing.T, srv *server, lang string, header http.Header) *wsClient {
	t.Helper()
	if header == nil {
		header = http.Header{"Origin": {srv.base}}
	}
	conn, res, err := websocket.DefaultDialer.Dial(strings.Replace(srv.base, "http", "ws", 1)+"/"+lang+"/chat/ws", header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn}
}

// step sends one client frame and reads frames up to the state frame.
func (c *wsClient) step(f map[string]any) []frame {
	c.t.Helper()
	c.seq++
	f["seq"] = c.seq
	if err := c.conn.WriteJSON(f); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

func (c *wsClient) read() []frame {
	c.t.Helper()
	var got []frame
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var fr frame
		if err := c.conn.ReadJSON(&fr); err != nil {
			c.t.Fatalf("read after %v: %v", got, err)
		}
		got = append(got, fr)
		if fr.Type == "state" {
			if fr.Token != "" {
				c.token = fr.Token
			}
			c.node = fr.Node
			return got
		}
		if fr.Type == "error" && fr.Code != "" || fr.Type == "bye" {
			return got
		}
	}
}

// referralAnswers is one person's way through the referral flow, by node.
var referralAnswers = map[string]map[string]any{
	"intro":         {"type": "choose", "value": "_next"},
	"name":          {"type": "text", "value": "Sam <script>alert(1)</script>"},
	"ward":          {"type": "text", "value": "جناح البلوط"},
	"status":        {"type": "choose", "value": "cto"},
	"language":      {"type": "choose", "value": "ar"},
	"interpreter":   {"type": "choose", "value": "yes"},
	"comms":         {"type": "choose", "value": "none"},
	"contact":       {"type": "choose", "value": "phone"},
	"phone":         {"type": "text", "value": "07700 900123"},
	"leave_message": {"type": "choose", "value": "no"},
	"contact_time":  {"type": "choose", "value": "morning"},
	"help":          {"type": "text", "value": "Help at my tribunal"},
	"meeting":       {"type": "choose", "value": "tribunal"},
	"meeting_date":  {"type": "choose", "value": "_skip"},
	"private":       {"type": "choose", "value": "yes"},
	"consent":       {"type": "choose", "value": "yes"},
	"equality":      {"type": "choose", "value": "yes"},
	"age":           {"type": "choose", "value": "under_18"},
	"ethnicity":     {"type": "text", "value": "Black British"},
	"disability":    {"type": "choose", "value": "learning"},
	"sensory":       {"type": "choose", "value": "deaf"},
	"check":         {"type": "choose", "value": "_submit"},
}

var referenceText = regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}`)

// walk answers steps until the flow reaches stop, returning the last frames.
func (c *wsClient) walk(frames []frame, stop string) []frame {
	c.t.Helper()
	for i := 0; c.node != stop; i++ {
		if i > 40 {
			c.t.Fatalf("no way to %s; stuck at %s: %+v", stop, c.node, frames)
		}
		a, ok := referralAnswers[c.node]
		if !ok {
			c.t.Fatalf("no answer for node %q: %+v", c.node, frames)
		}
		f := map[string]any{"node": c.node}
		for k, v := range a {
			f[k] = v
		}
		frames = c.step(f)
	}
	return frames
}

func findReferral(t *testing.T, st store.Store, ref string) referral.Referral {
	t.Helper()
	r, err := st.GetReferralByReference(context.Background(), ref)
	if err != nil {
		t.Fatalf("referral %s: %v", ref, err)
	}
	return r
}

// A self-referral made over the websocket is stored once, with what the
// person said, and the reference they are shown is the stored one.
func TestChatSelfReferralOverWebsocket(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			st := s.open(t)
			srv := newApp(t, st)
			c := dial(t, srv, "ar", nil)
			frames := c.step(map[string]any{"type": "start", "flow": "referral"})
			if c.token == "" || len(c.token) != 43 {
				t.Fatalf("no session token in %+v", frames)
			}
			frames = c.walk(frames, "sent")
			var shown string
			for _, f := range frames {
				if m := referenceText.FindString(f.Text); m != "" {
					shown = m
				}
			}
			if shown == "" {
				t.Fatalf("no reference shown: %+v", frames)
			}
			r := findReferral(t, st, shown)
			if r.Kind != referral.KindSelf || r.Person.Name != "Sam <script>alert(1)</script>" || r.Person.Ward != "جناح البلوط" ||
				r.LegalStatus != referral.LegalCTO || r.Language != "ar" || !r.Interpreter || r.Contact.Method != referral.ContactPhone ||
				r.Contact.Value != "07700 900123" || !r.WantsPrivateMeeting || !r.Consent.Given || r.Source != referral.SourceChat ||
				len(r.Meetings) != 1 || r.Meetings[0].Kind != referral.MeetingTribunal || r.Equality.AgeGroup != referral.AgeUnder18 {
				t.Errorf("stored %+v", r)
			}
			if want := referral.FlagCTO | referral.FlagUnder18 | referral.FlagLearningDisability | referral.FlagDeafOrSensory; !r.Flags.Has(want) {
				t.Errorf("priority flags %+v", r.Flags)
			}
			page, _, err := st.ListQueue(context.Background(), store.QueueQuery{})
			if err != nil || len(page) != 1 {
				t.Fatalf("queue has %d referrals (%v), want exactly 1", len(page), err)
			}
		})
	}
}

// A dropped connection resumes exactly where it was, with the same answers.
func TestChatResumesAfterReconnect(t *testing.T) {
	st := openSQLite(t)
	srv := newApp(t, st)
	c := dial(t, srv, "en", nil)
	frames := c.step(map[string]any{"type": "start", "flow": "referral"})
	frames = c.walk(frames, "status")
	token := c.token
	c.conn.Close()

	c2 := dial(t, srv, "en", nil)
	frames = c2.step(map[string]any{"type": "resume", "value": token})
	if c2.node != "status" || c2.token != "" {
		t.Fatalf("resumed at %q (token %q), want status and no new token: %+v", c2.node, c2.token, frames)
	}
	c2.token = token
	frames = c2.walk(frames, "sent")
	if len(frames) == 0 {
		t.Fatal("no frames")
	}
	page, _, _ := st.ListQueue(context.Background(), store.QueueQuery{})
	if len(page) != 1 || page[0].Person.Name != "Sam <script>alert(1)</script>" {
		t.Fatalf("queue %+v: want the one referral with the name given before the reconnect", page)
	}
}

// Two servers on one PostgreSQL: the second resumes the first's session.
func TestChatResumesOnAnotherServer(t *testing.T) {
	st := openPostgres(t)
	one, two := newApp(t, st), newApp(t, st)
	c := dial(t, one, "en", nil)
	frames := c.step(map[string]any{"type": "start", "flow": "referral"})
	frames = c.walk(frames, "status")
	token := c.token
	c.conn.Close()
	one.Shutdown()

	c2 := dial(t, two, "en", nil)
	c2.step(map[string]any{"type": "resume", "value": token})
	if c2.node != "status" {
		t.Fatalf("second server resumed at %q, want status", c2.node)
	}
	c2.token = token
	c2.walk(frames, "sent")
	page, _, _ := st.ListQueue(context.Background(), store.QueueQuery{})
	if len(page) != 1 {
		t.Fatalf("%d referrals, want 1", len(page))
	}
}

// Bad input gets a clear error frame and leaves the session usable.
func TestChatRejectsBadFrames(t *testing.T) {
	srv := newApp(t, openSQLite(t))
	c := dial(t, srv, "en", nil)
	c.step(map[string]any{"type": "start", "flow": "eligibility"})
	tests := []struct {
		name, raw, code string
	}{
		{"not JSON", `{"type":`, "bad_json"},
		{"unknown type", `{"type":"sudo","seq":100}`, "bad_type"},
		{"unknown field", `{"type":"back","seq":101,"admin":true}`, "unknown_field"},
		{"stale sequence number", `{"type":"back","seq":1}`, "stale_seq"},
		{"resume with a made-up token", `{"type":"resume","value":"` + strings.Repeat("A", 43) + `","seq":102}`, "limit"},
	}
	for _, tt := range tests {
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(tt.raw)); err != nil {
			t.Fatal(err)
		}
		got := c.read()
		last := got[len(got)-1]
		if last.Code != tt.code && last.Reason != tt.code {
			t.Errorf("%s: got %+v, want code %s", tt.name, got, tt.code)
		}
		if last.Type == "error" && last.Text == "" {
			t.Errorf("%s: error frame without text for the person", tt.name)
		}
	}
	// An oversized frame gets too_large and the session carries on.
	c2 := dial(t, srv, "en", nil)
	c2.step(map[string]any{"type": "start", "flow": "eligibility"})
	if err := c2.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"text","value":"`+strings.Repeat("x", 5000)+`","seq":2}`)); err != nil {
		t.Fatal(err)
	}
	var fr frame
	_ = c2.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c2.conn.ReadJSON(&fr); err != nil || fr.Code != "too_large" {
		t.Errorf("oversized frame: %+v %v, want an error frame too_large", fr, err)
	}
	c2.seq = 2
	if got := c2.step(map[string]any{"type": "back"}); got[len(got)-1].Type != "state" {
		t.Errorf("after an oversized frame the session stopped: %+v", got)
	}
	// A stale resume token on a new connection: a clear error, then a fresh start.
	c3 := dial(t, srv, "en", nil)
	got := c3.step(map[string]any{"type": "resume", "value": strings.Repeat("B", 43)})
	if got[0].Code != "session_expired" {
		t.Errorf("stale token: %+v", got)
	}
}

func TestChatRefusesForeignOrigin(t *testing.T) {
	srv := newApp(t, openSQLite(t))
	_, res, err := websocket.DefaultDialer.Dial(strings.Replace(srv.base, "http", "ws", 1)+"/en/chat/ws", http.Header{"Origin": {"https://evil.example"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, response %v; want 403", err, res)
	}
}

var hidden = regexp.MustCompile(`name="(token|node|flow)" value="([^"]*)"`)

// The no-JavaScript twin drives the same engine with plain forms and ends
// with the same stored referral.
func TestChatWithoutJavaScript(t *testing.T) {
	st := openSQLite(t)
	srv := newApp(t, st)
	page := get(t, srv, "/en/chat?flow=referral")
	if page.code != 200 || !strings.Contains(page.body, "not watched by a person in real time") {
		t.Fatalf("chat page: %d", page.code)
	}
	fields := func(body string) map[string]string {
		m := map[string]string{}
		for _, h := range hidden.FindAllStringSubmatch(body, -1) {
			m[h[1]] = h[2]
		}
		return m
	}
	f := fields(page.body)
	for i := 0; f["node"] != "sent"; i++ {
		if i > 40 {
			t.Fatalf("stuck at %q", f["node"])
		}
		a := referralAnswers[f["node"]]
		form := url.Values{"token": {f["token"]}, "node": {f["node"]}, "flow": {f["flow"]}}
		if a["type"] == "choose" {
			form.Set("choose", a["value"].(string))
		} else {
			form.Set("action", "send")
			form.Set("text", a["value"].(string))
		}
		res := post(t, srv, "/en/chat", form, nil)
		if res.code != 200 {
			t.Fatalf("at %s: %d %.400s", f["node"], res.code, res.body)
		}
		if strings.Contains(res.body, "<script>alert(1)</script>") {
			t.Fatal("the name was not escaped")
		}
		f = fields(res.body)
		page = res
	}
	ref := referenceText.FindString(page.body)
	if ref == "" {
		t.Fatalf("no reference on the last page:\n%s", page.body)
	}
	findReferral(t, st, ref)
	if strings.Contains(page.body, "localStorage") {
		t.Error("the chat page mentions browser storage")
	}
}
