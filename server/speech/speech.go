// Package speech turns text into audio with espeak-ng, so a kiosk (closed
// functionality, EN 301 549 5.1) can read every page and chat message aloud
// in the language of its text without the person bringing a screen reader.
//
// The audio URL carries only an id the server issued: never the text, so no
// patient data reaches a URL, a log or a proxy. Public texts (pages) get a
// stable id, an HMAC of (language, text), and their audio is kept in a
// memory cache bounded in bytes. Private texts (chat messages, which may
// echo what a person typed) get a random id that expires, and their audio is
// made on request and never cached, in memory or on disk.
package speech

import (
	"bytes"
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ErrNotFound means the id was never issued, or has expired.
var ErrNotFound = errors.New("speech: no such audio")

// voices maps a product language to its espeak-ng voice. espeak-ng has no
// Somali voice, so "so" is absent: callers show and speak a note instead.
var voices = map[string]string{
	"en": "en-gb", "ar": "ar", "pl": "pl", "ro": "ro", "pa": "pa", "ur": "ur",
	"bn": "bn", "gu": "gu", "pt": "pt", "es": "es",
}

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Espeak   string        // path of espeak-ng; default: looked up in PATH
	FFmpeg   string        // path of ffmpeg, for Opus; default: PATH; "-" means WAV only
	MaxBytes int           // audio cache bound; default 64 MiB
	MaxText  int           // longest text spoken, in bytes; default 64 KiB
	Private  time.Duration // how long a private id lives; default 30 minutes
}

// Engine issues audio ids and makes their audio.
type Engine struct {
	opt    Options
	key    []byte
	voices map[string]string // languages this machine can speak
	sem    chan struct{}     // bounds concurrent synthesis: espeak-ng is CPU-bound

	mu      sync.Mutex
	public  map[string]text // id -> text, for ids from Public
	private map[string]text // id -> text, for ids from Private
	cache   *lru
}

type text struct {
	lang, voice, s string
	expires        time.Time // private only
}

// New finds espeak-ng and the voices it has. Without espeak-ng the engine
// works but has no voices, so every page shows the no-voice note.
func New(opt Options) *Engine {
	if opt.Espeak == "" {
		opt.Espeak, _ = exec.LookPath("espeak-ng")
	}
	if opt.FFmpeg == "" {
		opt.FFmpeg, _ = exec.LookPath("ffmpeg")
	} else if opt.FFmpeg == "-" {
		opt.FFmpeg = ""
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 64 << 20
	}
	if opt.MaxText <= 0 {
		opt.MaxText = 64 << 10
	}
	if opt.Private <= 0 {
		opt.Private = 30 * time.Minute
	}
	e := &Engine{opt: opt, key: make([]byte, 32), voices: map[string]string{}, sem: make(chan struct{}, 2),
		public: map[string]text{}, private: map[string]text{}, cache: newLRU(opt.MaxBytes)}
	_, _ = rand.Read(e.key)
	if opt.Espeak != "" {
		if out, err := exec.Command(opt.Espeak, "--voices").Output(); err == nil {
			have := map[string]bool{}
			for _, line := range strings.Split(string(out), "\n") {
				if f := strings.Fields(line); len(f) > 1 {
					have[f[1]] = true
				}
			}
			for lang, v := range voices {
				if have[v] {
					e.voices[lang] = v
				}
			}
		}
	}
	return e
}

// HasVoice reports whether lang can be spoken here.
func (e *Engine) HasVoice(lang string) bool { _, ok := e.voices[lang]; return ok }

// ContentType is the type of the audio this engine makes.
func (e *Engine) ContentType() string {
	if e.opt.FFmpeg != "" {
		return "audio/ogg; codecs=opus"
	}
	return "audio/wav"
}

// Public issues the stable id of a text anyone may hear (a page). It
// returns false when lang has no voice or the text is empty or too long.
func (e *Engine) Public(lang, s string) (string, bool) {
	v, ok := e.voices[lang]
	if !ok || strings.TrimSpace(s) == "" || len(s) > e.opt.MaxText {
		return "", false
	}
	m := hmac.New(sha256.New, e.key)
	m.Write([]byte(lang + "\x00" + s))
	id := hex.EncodeToString(m.Sum(nil)[:16])
	e.mu.Lock()
	e.public[id] = text{lang: lang, voice: v, s: s}
	e.mu.Unlock()
	return id, true
}

// Private issues a one-person id for a text that may hold what a person
// typed: random, so equal texts cannot be told apart, and expiring.
func (e *Engine) Private(lang, s string, now time.Time) (string, bool) {
	v, ok := e.voices[lang]
	if !ok || strings.TrimSpace(s) == "" || len(s) > e.opt.MaxText {
		return "", false
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := "p" + hex.EncodeToString(b[:])
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.private) > 10000 { // a burst of chats: drop the expired first
		for k, t := range e.private {
			if now.After(t.expires) {
				delete(e.private, k)
			}
		}
	}
	e.private[id] = text{lang: lang, voice: v, s: s, expires: now.Add(e.opt.Private)}
	return id, true
}

// Forget drops private ids, e.g. when a kiosk session ends.
func (e *Engine) Forget(ids ...string) {
	e.mu.Lock()
	for _, id := range ids {
		delete(e.private, id)
	}
	e.mu.Unlock()
}

// Audio returns the audio of an issued id.
func (e *Engine) Audio(ctx context.Context, id string, now time.Time) ([]byte, error) {
	e.mu.Lock()
	t, public := e.public[id]
	if !public {
		var ok bool
		if t, ok = e.private[id]; !ok || now.After(t.expires) {
			delete(e.private, id)
			e.mu.Unlock()
			return nil, ErrNotFound
		}
	} else if b, ok := e.cache.get(id); ok {
		e.mu.Unlock()
		return b, nil
	}
	e.mu.Unlock()
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-e.sem }()
	if public { // another request may have made it while this one waited
		e.mu.Lock()
		b, ok := e.cache.get(id)
		e.mu.Unlock()
		if ok {
			return b, nil
		}
	}
	b, err := e.synthesize(ctx, t)
	if err != nil {
		return nil, err
	}
	if public {
		e.mu.Lock()
		e.cache.put(id, b)
		e.mu.Unlock()
	}
	return b, nil
}

// CacheBytes is the size of the cached audio, for tests and metrics.
func (e *Engine) CacheBytes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cache.size
}

func (e *Engine) synthesize(ctx context.Context, t text) ([]byte, error) {
	// -b 1: the text is UTF-8; text on stdin, so it is never in a process list.
	cmd := exec.CommandContext(ctx, e.opt.Espeak, "-v", t.voice, "-b", "1", "-s", "150", "--stdout")
	cmd.Stdin = strings.NewReader(t.s)
	var wav, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &wav, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	if e.opt.FFmpeg == "" {
		return wav.Bytes(), nil
	}
	enc := exec.CommandContext(ctx, e.opt.FFmpeg, "-loglevel", "error", "-f", "wav", "-i", "-",
		"-c:a", "libopus", "-b:a", "24k", "-f", "ogg", "-")
	enc.Stdin = &wav
	var ogg bytes.Buffer
	errb.Reset()
	enc.Stdout, enc.Stderr = &ogg, &errb
	if err := enc.Run(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	return ogg.Bytes(), nil
}

// lru is a byte-bounded least-recently-used cache. Not safe for concurrent
// use: Engine holds mu around it.
type lru struct {
	max, size int
	order     *list.List // front = most recent; values are *entry
	items     map[string]*list.Element
}

type entry struct {
	id string
	b  []byte
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(id string) ([]byte, bool) {
	el, ok := c.items[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).b, true
}

func (c *lru) put(id string, b []byte) {
	if len(b) > c.max {
		return // larger than the whole cache: serve it, keep nothing
	}
	if el, ok := c.items[id]; ok {
		c.size -= len(el.Value.(*entry).b)
		c.order.Remove(el)
	}
	c.items[id] = c.order.PushFront(&entry{id, b})
	c.size += len(b)
	for c.size > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry).id)
		c.size -= len(old.Value.(*entry).b)
	}
}
