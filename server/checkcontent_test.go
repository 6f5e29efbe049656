package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imha-advocacy/imha/server/config"
)

// The shipped content passes the content checker: CI fails on any page
// missing in a language, broken link, long easy-read sentence and so on.
func TestShippedContentPassesCheckContent(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := checkContent(config.Config{}, &out, &errOut); err != nil {
		t.Fatalf("go run ./server check-content: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "| Page | en standard | en easy read |") || !strings.Contains(out.String(), "| what-is-an-imha |") {
		t.Errorf("no coverage table:\n%s", out.String())
	}
}

func TestCheckContentFailsWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/provider.yaml", "name: A\nphone: \"1\"\nemail: a@b.example\npromise: call you\n")
	writeFile(t, dir+"/pages/en/standard/a.md", "---\nid: a\ntitle: T\nsummary: S.\nlanguage: en\nvariant: standard\ntranslation: original\nsources: [x]\nlast_reviewed: 2026-11-24\norder: 1\n---\nSee [b](b).\n")
	var out, errOut bytes.Buffer
	err := checkContent(config.Config{ContentDir: dir}, &out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "content/pages/en/standard/a.md:12: link \"b\"") {
		t.Errorf("err %v, stderr:\n%s", err, errOut.String())
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A page with a real (test pattern) clip shows in the BSL column; a
// manifest naming a file that is not there fails with its file and line.
func TestCheckContentWithABSLVideo(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg is not installed (Debian package ffmpeg): run tests/run, which installs it")
	}
	dir, media := t.TempDir(), t.TempDir()
	if out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10",
		"-f", "lavfi", "-i", "sine=duration=1", "-c:v", "mpeg4", "-c:a", "aac", "-shortest", filepath.Join(media, "clip.mp4")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	writeFile(t, media+"/clip.en.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nHello.\n")
	writeFile(t, media+"/clip.en.md", "Hello.\n")
	manifest := "a:\n  signer: Test pattern\n  recorded: 2026-11-24\n  mp4: clip.mp4\n  captions:\n    en: clip.en.vtt\n  transcripts:\n    en: clip.en.md\n"
	writeFile(t, media+"/bsl.yaml", manifest)
	writeFile(t, dir+"/provider.yaml", "name: A\nphone: \"1\"\nemail: a@b.example\npromise: call you\n")
	for _, variant := range []string{"standard", "easy-read"} {
		writeFile(t, dir+"/pages/en/"+variant+"/a.md", "---\nid: a\ntitle: T\nsummary: S.\nlanguage: en\nvariant: "+variant+
			"\ntranslation: original\nsources: [x]\nlast_reviewed: 2026-11-24\norder: 1\nbsl: a\n---\n![A person](advocate.svg) Hello.\n")
	}
	// Two languages are enough here: English and one with an accepted gap.
	langs := t.TempDir()
	for _, l := range []string{"en", "ar"} {
		b, err := os.ReadFile("../locales/active." + l + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, langs+"/active."+l+".toml", string(b))
	}
	cfg := config.Config{ContentDir: dir, MediaDir: media, LocalesDir: langs}
	writeFile(t, dir+"/accepted-gaps.yaml", "- page: a\n  language: ar\n  reason: Test.\n")
	var out, errOut bytes.Buffer
	if err := checkContent(cfg, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "| a | ✓ | ✓ | gap | gap | ✓ |") || !strings.Contains(out.String(), "| 1/1 |\n") {
		t.Errorf("coverage does not show the video:\n%s", out.String())
	}
	writeFile(t, media+"/bsl.yaml", strings.Replace(manifest, "clip.mp4", "missing.mp4", 1))
	out.Reset()
	errOut.Reset()
	if err := checkContent(cfg, &out, &errOut); err == nil || !strings.Contains(errOut.String(), media+"/bsl.yaml:4: video \"a\": mp4 file \"missing.mp4\" is not in the media folder") {
		t.Errorf("err %v, stderr:\n%s", err, errOut.String())
	}
}
