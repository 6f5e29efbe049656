package web_test

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/kiosk"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/library"
	"github.com/imha-advocacy/imha/server/locale"
	"github.com/imha-advocacy/imha/server/web"
	"github.com/imha-advocacy/imha/static"
)

func shippedWards(t *testing.T) []kiosk.Ward {
	t.Helper()
	w, err := kiosk.Load("kiosk/wards.yaml", kiosk.Default)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Every ward in the shipped file has an attract screen inviting a touch in
// every language, its preset languages first, and kiosk pages that carry
// the ward and its idle timeout.
func TestKioskRoutesPerWard(t *testing.T) {
	app := newApp(t, openSQLite(t))
	if r := get(t, app, "/kiosk"); r.code != 200 {
		t.Fatalf("/kiosk: %d", r.code)
	}
	for _, w := range shippedWards(t) {
		t.Run(w.ID, func(t *testing.T) {
			base := "/kiosk/" + w.ID
			r := get(t, app, base)
			if r.code != 200 || r.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%s: %d %q", base, r.code, r.header.Get("Cache-Control"))
			}
			for _, want := range []string{`href="` + base + `/ar/" lang="ar" dir="rtl"`, "المس الشاشة للبدء", "Touch the screen to start", "Dotknij ekranu"} {
				if !strings.Contains(r.body, want) {
					t.Errorf("attract screen lacks %q", want)
				}
			}
			if len(w.Languages) > 0 {
				first := regexp.MustCompile(`class="attract-link[^"]*" href="` + base + `/([a-z]+)/"`).FindStringSubmatch(r.body)
				if first == nil || first[1] != w.Languages[0] {
					t.Errorf("first language offered: %v, want %s", first, w.Languages[0])
				}
			}
			for _, c := range []struct {
				path string
				code int
			}{
				{base + "/en/", 200}, {base + "/ar/easy-read/", 200}, {base + "/so/what-is-an-imha", 200},
				{base + "/en/chat", 200}, {base + "/en/offline", 200}, {base + "/en/not-sent", 200},
				{base + "/xx/", 404}, {base + "/en/no-such-page", 404}, {base + "/en/print", 404},
			} {
				r := get(t, app, c.path)
				if r.code != c.code {
					t.Errorf("%s: %d, want %d", c.path, r.code, c.code)
					continue
				}
				if c.code == 200 && !strings.Contains(r.body, `data-ward="`+w.ID+`" data-idle="`+strconv.Itoa(int(w.Idle.Seconds()))+`"`) {
					t.Errorf("%s does not carry the ward and idle timeout", c.path)
				}
			}
		})
	}
	for _, p := range []string{"/kiosk/no-such-ward", "/kiosk/no-such-ward/en/", "/kiosk/no-such-ward/reset", "/kiosk/no-such-ward/en/chat"} {
		if r := get(t, app, p); r.code != 404 {
			t.Errorf("%s: %d, want 404", p, r.code)
		}
	}
}

// A kiosk is closed functionality: nothing may leave the kiosk, download,
// open a window or dial. Every page reachable from the attract screen is
// checked, following links.
func TestKioskPagesHaveNoWayOut(t *testing.T) {
	app := newApp(t, openSQLite(t))
	const base = "/kiosk/willow"
	attr := regexp.MustCompile(`(?:href|action|src)="([^"]*)"`)
	forbidden := regexp.MustCompile(`(?i)target=|\bdownload\b[ =>]|href="(?:https?:|tel:|sms:|mailto:|//)`)
	seen := map[string]bool{base: true}
	queue := []string{base}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		r := get(t, app, p)
		if r.code != 200 {
			t.Errorf("%s: %d", p, r.code)
			continue
		}
		if m := forbidden.FindString(r.body); m != "" {
			t.Errorf("%s has %q", p, m)
		}
		for _, m := range attr.FindAllStringSubmatch(r.body, -1) {
			u := m[1]
			switch {
			case strings.HasPrefix(u, "#"), strings.HasPrefix(u, "/static/"), strings.HasPrefix(u, "/speech/"), strings.HasPrefix(u, "/media/"):
			case strings.HasPrefix(u, base+"/") || u == base:
				if !seen[u] && !strings.Contains(u, "?") {
					seen[u] = true
					queue = append(queue, u)
				}
			case !strings.HasPrefix(u, "/") && !strings.Contains(u, ":"):
				// A relative link between content pages stays under the prefix.
				dir := p[:strings.LastIndex(p, "/")+1]
				if !seen[dir+u] {
					seen[dir+u] = true
					queue = append(queue, dir+u)
				}
			default:
				t.Errorf("%s links out of the kiosk: %q", p, u)
			}
		}
	}
	if len(seen) < 100 {
		t.Errorf("crawled only %d kiosk pages", len(seen))
	}
}

// The reset clears everything the browser holds for the site, expires the
// language cookie and shows the attract screen again.
func TestKioskResetClearsSiteData(t *testing.T) {
	app := newApp(t, openSQLite(t))
	r := get(t, app, "/kiosk/cedar/reset")
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/kiosk/cedar" {
		t.Fatalf("reset: %d to %q", r.code, r.header.Get("Location"))
	}
	if got := r.header.Get("Clear-Site-Data"); got != `"cookies", "storage", "cache"` {
		t.Errorf("Clear-Site-Data: %q", got)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control: %q", r.header.Get("Cache-Control"))
	}
	c := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(c, "lang=;") || !strings.Contains(strings.ToLower(c), "expires=thu, 01 jan 1970") {
		t.Errorf("lang cookie not expired: %q", c)
	}
}

var speechSrc = regexp.MustCompile(`class="speech[^"]*"[^>]*?data-audio="(/speech/[0-9a-f]{32})[ "]`)

// Pages carry a server-issued audio id (never text); the audio is real
// espeak-ng speech; an id the server never issued is 404. Somali has no
// voice: the page says so, also in English, and offers that note's audio.
func TestSpeechOnPages(t *testing.T) {
	app := newApp(t, openSQLite(t))
	for _, p := range []string{"/kiosk/willow/en/", "/kiosk/willow/ar/what-is-an-imha", "/en/easy-read/what-is-an-imha"} {
		r := get(t, app, p)
		m := speechSrc.FindStringSubmatch(r.body)
		if m == nil {
			t.Errorf("%s has no audio id", p)
			continue
		}
		a := get(t, app, m[1])
		if a.code != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "audio/") || len(a.body) < 1000 {
			t.Errorf("%s audio: %d %q %d bytes", p, a.code, a.header.Get("Content-Type"), len(a.body))
		}
	}
	for _, p := range []string{"/speech/00112233445566778899aabbccddeeff", "/speech/p00112233445566778899aabbccddeeff", "/speech/hello"} {
		if r := get(t, app, p); r.code != 404 {
			t.Errorf("%s: %d, want 404", p, r.code)
		}
	}
	so := get(t, app, "/kiosk/cedar/so/")
	if !strings.Contains(so.body, "Shaashaddan ma awoodo") || !strings.Contains(so.body, `<span lang="en" dir="ltr">This kiosk cannot read this language aloud.`) {
		t.Error("Somali page lacks the no-voice note in Somali and English")
	}
	if speechSrc.MatchString(so.body) || !regexp.MustCompile(`data-note="/speech/[0-9a-f]{32}"`).MatchString(so.body) {
		t.Error("Somali page: want no page audio, and the English note's audio")
	}
}

// On a kiosk the websocket chat starts with the ward and sends a speech
// frame for each message; on the site it sends none.
func TestKioskChatSpeaks(t *testing.T) {
	app := newApp(t, openSQLite(t))
	for _, c := range []struct {
		path   string
		speech bool
	}{{"kiosk/willow/en", true}, {"en", false}} {
		ws := dial(t, app, c.path, nil)
		frames := ws.step(map[string]any{"type": "start", "flow": "eligibility"})
		var n int
		for _, f := range frames {
			if f.Type == "speech" {
				n++
			}
		}
		if c.speech != (n > 0) {
			t.Errorf("/%s/chat/ws: %d speech frames", c.path, n)
		}
	}
	page := get(t, app, "/kiosk/willow/en/chat")
	for _, want := range []string{`action="/kiosk/willow/en/chat"`, `data-ws="/kiosk/willow/en/chat/ws"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("kiosk chat page lacks %q", want)
		}
	}
	// The chat without JavaScript stays in kiosk mode from answer to answer.
	choice := regexp.MustCompile(`name="choose" value="([^"]+)"`).FindStringSubmatch(page.body)
	if choice == nil {
		t.Fatal("kiosk chat page has no choices")
	}
	r := do(t, app, http.MethodPost, "/kiosk/willow/en/chat", strings.NewReader("flow=menu&choose="+choice[1]),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": app.base})
	if r.code != 200 || !strings.Contains(r.body, `action="/kiosk/willow/en/chat"`) || !strings.Contains(r.body, `data-ward="willow"`) {
		t.Errorf("kiosk chat answer: %d, not in kiosk mode", r.code)
	}
}

// Phones get tap-to-call, text, text relay and quick exit; kiosks do not.
func TestPhoneContactLinks(t *testing.T) {
	app := newApp(t, openSQLite(t))
	r := get(t, app, "/en/")
	for _, want := range []string{`href="tel:03069990000"`, `href="sms:07700900000"`, `href="tel:1800103069990000"`, `id="quick-exit"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/en/ lacks %s", want)
		}
	}
	k := get(t, app, "/kiosk/willow/en/")
	if strings.Contains(k.body, "tel:") || strings.Contains(k.body, "quick-exit") || !strings.Contains(k.body, "03069 990000") {
		t.Error("kiosk page: want the phone number as text, no tel: link or quick exit")
	}
}

// bsl_relay, when the provider sets it, becomes a link on phones.
func TestBSLRelayLinkWhenConfigured(t *testing.T) {
	prov, err := fs.ReadFile(content.FS, "provider.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prov = []byte(strings.Replace(string(prov), `bsl_relay: ""`, `bsl_relay: "relay.example/advocacy"`, 1))
	app := newAppConfig(t, overlayFS{content.FS, map[string][]byte{"provider.yaml": prov}}, nil)
	if r := get(t, app, "/en/"); !strings.Contains(r.body, `href="https://relay.example/advocacy"`) {
		t.Error("/en/ lacks the BSL video relay link")
	}
	if r := get(t, app, "/kiosk/willow/en/"); strings.Contains(r.body, `href="https://relay.example`) {
		t.Error("kiosk page links to the BSL relay")
	}
	sw := get(t, app, "/kiosk/sw.js")
	if sw.code != 200 || !strings.HasPrefix(sw.header.Get("Content-Type"), "text/javascript") || sw.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/kiosk/sw.js: %d %q %q", sw.code, sw.header.Get("Content-Type"), sw.header.Get("Cache-Control"))
	}
}

// overlayFS replaces some files of an fs.FS.
type overlayFS struct {
	fs.FS
	files map[string][]byte
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if b, ok := o.files[name]; ok {
		return fstest.MapFS{name: {Data: b}}.Open(name)
	}
	return o.FS.Open(name)
}

// A ward naming a language the server does not offer stops start-up with
// the ward file's name and line.
func TestWardWithUnknownLanguageFailsAtStartUp(t *testing.T) {
	pages, err := library.Load(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	langs, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	wards, err := kiosk.Load("/etc/imha/wards.yaml", []byte("wards:\n  - id: a\n    name: A\n    hospital: H\n    idle: 60\n    languages: [en, fr]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = web.New(web.Config{Content: pages, Locales: langs, Store: openSQLite(t), Static: static.FS,
		Wards: wards, WardsFile: "/etc/imha/wards.yaml", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.HasPrefix(err.Error(), `/etc/imha/wards.yaml:2: ward a: language "fr"`) {
		t.Fatalf("got %v", err)
	}
}
