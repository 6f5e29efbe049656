package web_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/server/bsl"
	"github.com/imha-advocacy/imha/server/web"
)

// bslFixture makes a media folder with a one-second test clip (ffmpeg's
// test pattern and a tone: no signing is invented), captions, transcript
// and manifest, and a content tree whose page carries the video.
func bslFixture(t *testing.T) (contentFS fstest.MapFS, media string, clip []byte) {
	t.Helper()
	ffmpeg := tool(t, "ffmpeg", "ffmpeg")
	media = t.TempDir()
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=1",
		"-c:v", "mpeg4", "-c:a", "aac", "-shortest", filepath.Join(media, "clip.mp4")).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(media, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clip.en.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nYou can say no to an advocate.\n")
	write("clip.en.md", "You can say no to an advocate. You can **change your mind**.\n")
	write(bsl.ManifestFile, "saying-no:\n  signer: Test Pattern (not signing)\n  recorded: 2026-11-24\n  mp4: clip.mp4\n  captions:\n    en: clip.en.vtt\n  transcripts:\n    en: clip.en.md\n")
	provider, err := fs.ReadFile(content.FS, "provider.yaml")
	if err != nil {
		t.Fatal(err)
	}
	page := func(variant, body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("---\nid: saying-no\ntitle: Saying no\nsummary: You can say no.\nlanguage: en\nvariant: " + variant +
			"\ntranslation: original\nsources: [Mental Health Act 1983 s130B]\nlast_reviewed: 2026-11-24\norder: 1\nbsl: saying-no\n---\n" + body)}
	}
	contentFS = fstest.MapFS{
		"provider.yaml":                   {Data: provider},
		"pages/en/standard/saying-no.md":  page("standard", "## Saying no {#say-no}\n\nYou can say no.\n"),
		"pages/en/easy-read/saying-no.md": page("easy-read", "![Saying no](say-no.svg) You can say no.\n"),
	}
	clip, err = os.ReadFile(filepath.Join(media, "clip.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	return contentFS, media, clip
}

func newBSLApp(t *testing.T) (*server, []byte) {
	contentFS, media, clip := bslFixture(t)
	videos, err := bsl.Load(os.DirFS(media), "bsl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return newAppConfig(t, contentFS, func(c *web.Config) { c.BSL, c.Media = videos, os.DirFS(media) }), clip
}

func TestPageShowsBSLVideoCaptionsAndTranscript(t *testing.T) {
	app, _ := newBSLApp(t)
	for _, path := range []string{"/en/saying-no", "/en/easy-read/saying-no", "/ar/saying-no"} {
		r := get(t, app, path)
		for _, want := range []string{
			`<details class="bsl" lang="` + strings.Split(path, "/")[1] + `"`,
			`<summary class="bsl-summary">`,
			"Watch in British Sign Language (BSL)",
			`<video class="bsl-video" controls preload="none" playsinline>`,
			`<source src="/media/clip.mp4" type="video/mp4">`,
			`<track kind="captions" src="/media/clip.en.vtt" srclang="en" label="English" default>`,
			`<section class="bsl-transcript" lang="en" dir="ltr"`,
			"<strong>change your mind</strong>",
			"Test Pattern (not signing)",
			"This page has a video in British Sign Language (BSL), with captions.", // on paper too
		} {
			if path == "/ar/saying-no" && strings.Contains(want, "Watch in") {
				want = "شاهد بلغة الإشارة البريطانية"
			}
			if path == "/ar/saying-no" && strings.HasPrefix(want, "This page has") {
				want = "في هذه الصفحة فيديو بلغة الإشارة البريطانية"
			}
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}

func TestBSLListPage(t *testing.T) {
	app, _ := newBSLApp(t)
	r := get(t, app, "/en/bsl")
	for _, want := range []string{`href="/en/saying-no"`, `href="/en/easy-read/saying-no"`, "Signed by Test Pattern (not signing). Recorded on 2026-11-24."} {
		if r.code != 200 || !strings.Contains(r.body, want) {
			t.Errorf("/en/bsl: %d, lacks %q", r.code, want)
		}
	}
	// The shipped product has no videos, and says what to do instead.
	plain := newApp(t, openSQLite(t))
	if r := get(t, plain, "/en/bsl"); r.code != 200 || !strings.Contains(r.body, "There are no BSL videos yet.") || !strings.Contains(r.body, "BSL interpreter") {
		t.Errorf("/en/bsl without videos: %d", r.code)
	}
}

func TestMediaIsServedWithRanges(t *testing.T) {
	app, clip := newBSLApp(t)
	size := len(clip)
	tests := []struct {
		name, rng    string
		code         int
		contentRange string
		body         []byte
	}{
		{"whole file", "", 200, "", clip},
		{"a slice", "bytes=100-199", 206, fmt.Sprintf("bytes 100-199/%d", size), clip[100:200]},
		{"from an offset", fmt.Sprintf("bytes=%d-", size-50), 206, fmt.Sprintf("bytes %d-%d/%d", size-50, size-1, size), clip[size-50:]},
		{"the last bytes", "bytes=-10", 206, fmt.Sprintf("bytes %d-%d/%d", size-10, size-1, size), clip[size-10:]},
		{"end past the file", fmt.Sprintf("bytes=10-%d", size+1000), 206, fmt.Sprintf("bytes 10-%d/%d", size-1, size), clip[10:]},
		{"past the end", fmt.Sprintf("bytes=%d-", size), 416, fmt.Sprintf("bytes */%d", size), nil},
		{"several ranges: whole file", "bytes=0-1,5-6", 200, "", clip},
		{"malformed: whole file", "bytes=abc", 200, "", clip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, app.base+"/media/clip.mp4", nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.code || res.Header.Get("Content-Range") != tt.contentRange {
				t.Fatalf("status %d Content-Range %q, want %d %q", res.StatusCode, res.Header.Get("Content-Range"), tt.code, tt.contentRange)
			}
			if tt.code != 416 && (!bytes.Equal(body, tt.body) || res.Header.Get("Content-Type") != "video/mp4" || res.Header.Get("Accept-Ranges") != "bytes") {
				t.Errorf("%d bytes of type %q (Accept-Ranges %q), want %d bytes", len(body), res.Header.Get("Content-Type"), res.Header.Get("Accept-Ranges"), len(tt.body))
			}
		})
	}
	// If-Range names a version we cannot compare: the whole file is always right.
	req, _ := http.NewRequest(http.MethodGet, app.base+"/media/clip.mp4", nil)
	req.Header.Set("Range", "bytes=0-9")
	req.Header.Set("If-Range", `"some-etag"`)
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || len(body) != size {
			t.Errorf("Range with If-Range: %d, %d bytes; want 200 and the whole file", res.StatusCode, len(body))
		}
	}
	// HEAD answers the size without the body (and without leaking the file).
	res, err := http.Head(app.base + "/media/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.ContentLength != int64(size) {
		t.Errorf("HEAD: %d, length %d, want 200 and %d", res.StatusCode, res.ContentLength, size)
	}
	// Captions are served; nothing the manifest does not name is.
	for path, code := range map[string]int{"/media/clip.en.vtt": 200, "/media/bsl.yaml": 404, "/media/clip.en.md": 404, "/media/../go.mod": 404} {
		if r := get(t, app, path); r.code != code {
			t.Errorf("%s: %d, want %d", path, r.code, code)
		}
	}
}
