package speech

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// Real espeak-ng (tests/run installs it) speaks English and Arabic, as WAV
// and, where ffmpeg is present, Opus in Ogg.
func TestSpeaksEnglishAndArabic(t *testing.T) {
	for _, ff := range []struct {
		name, ffmpeg, magic string
	}{{"wav", "-", "RIFF"}, {"opus", "", "OggS"}} {
		e := New(Options{FFmpeg: ff.ffmpeg})
		for _, c := range []struct{ lang, text string }{
			{"en", "You have the right to an advocate."},
			{"ar", "لديك الحق في الحصول على مناصر."},
		} {
			t.Run(ff.name+"/"+c.lang, func(t *testing.T) {
				if !e.HasVoice(c.lang) {
					t.Fatalf("espeak-ng has no %s voice: is espeak-ng installed?", c.lang)
				}
				id, ok := e.Public(c.lang, c.text)
				if !ok {
					t.Fatal("not issued")
				}
				b, err := e.Audio(context.Background(), id, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if len(b) < 1000 || !bytes.HasPrefix(b, []byte(ff.magic)) {
					t.Fatalf("audio: %d bytes starting %q", len(b), b[:min(4, len(b))])
				}
			})
		}
	}
}

func TestSomaliHasNoVoice(t *testing.T) {
	e := New(Options{})
	if e.HasVoice("so") {
		t.Fatal("espeak-ng has no Somali voice; a note must be shown instead")
	}
	if _, ok := e.Public("so", "Waxaad xaq u leedahay"); ok {
		t.Fatal("issued an id for a language with no voice")
	}
	if _, ok := e.Private("so", "Haa", time.Now()); ok {
		t.Fatal("issued a private id for a language with no voice")
	}
}

func TestOnlyIssuedIdsAnswer(t *testing.T) {
	e := New(Options{FFmpeg: "-"})
	now := time.Now()
	pub, _ := e.Public("en", "Hello")
	priv, _ := e.Private("en", "My name is Sam", now)
	for _, c := range []struct {
		name string
		id   string
		at   time.Time
		want error
	}{
		{"never issued", "00112233445566778899aabbccddeeff", now, ErrNotFound},
		{"empty", "", now, ErrNotFound},
		{"public", pub, now, nil},
		{"private", priv, now, nil},
		{"private expired", priv, now.Add(31 * time.Minute), ErrNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Audio(context.Background(), c.id, c.at)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// An expired private id is gone for good; a forgotten one too.
	if _, err := e.Audio(context.Background(), priv, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired id came back: %v", err)
	}
	p2, _ := e.Private("en", "Hi", now)
	e.Forget(p2)
	if _, err := e.Audio(context.Background(), p2, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forgotten id answered: %v", err)
	}
}

// Private audio is never cached; public audio is, within the byte bound.
func TestCacheBound(t *testing.T) {
	e := New(Options{FFmpeg: "-"})
	one, _ := e.Public("en", "One")
	b, err := e.Audio(context.Background(), one, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	bound := len(b) * 5 / 2 // room for two short clips, not three
	e = New(Options{FFmpeg: "-", MaxBytes: bound})
	priv, _ := e.Private("en", "One", time.Now())
	if _, err := e.Audio(context.Background(), priv, time.Now()); err != nil {
		t.Fatal(err)
	}
	if e.CacheBytes() != 0 {
		t.Fatalf("private audio was cached: %d bytes", e.CacheBytes())
	}
	for _, s := range []string{"One", "Two", "Six", "Ten"} {
		id, _ := e.Public("en", s)
		if _, err := e.Audio(context.Background(), id, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := e.CacheBytes(); n > bound || n == 0 {
			t.Fatalf("cache holds %d bytes, bound %d", n, bound)
		}
	}
	if len(e.cache.items) > 2 {
		t.Fatalf("cache kept %d clips past its bound", len(e.cache.items))
	}
}
