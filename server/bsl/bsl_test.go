package bsl

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/imha-advocacy/imha/server/library"
)

const good = `saying-no:
  signer: Sam Example
  provider: Example Deaf-led studio
  recorded: 2026-11-20
  mp4: saying-no.mp4
  captions:
    en: saying-no.en.vtt
  transcripts:
    en: saying-no.en.md
`

func files(manifest string) fstest.MapFS {
	return fstest.MapFS{
		ManifestFile:       {Data: []byte(manifest)},
		"saying-no.mp4":    {Data: []byte("not really a video")},
		"saying-no.en.vtt": {Data: []byte("WEBVTT\n\n00:00.000 --> 00:01.000\nYou can say no.\n")},
		"saying-no.en.md":  {Data: []byte("You can say **no**.\n\n<script>alert(1)</script>\n")},
		"bad.vtt":          {Data: []byte("1\n00:00:00,000 --> 00:00:01,000\nSRT, not WebVTT\n")},
	}
}

func TestLoadReadsAVideo(t *testing.T) {
	lib, err := Load(files(good), "content/media/bsl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v, ok := lib.Video("saying-no")
	if !ok || v.Signer != "Sam Example" || v.MP4 != "saying-no.mp4" || v.Recorded.Format("2006-01-02") != "2026-11-20" {
		t.Fatalf("video = %+v", v)
	}
	html, lang := v.Transcript("ar")
	if lang != "en" || !strings.Contains(string(html), "<strong>no</strong>") || strings.Contains(string(html), "<script>") {
		t.Errorf("transcript (%s) = %s", lang, html)
	}
	for name, want := range map[string]bool{"saying-no.mp4": true, "saying-no.en.vtt": true, "saying-no.en.md": false, ManifestFile: false, "bad.vtt": false} {
		if lib.Serves(name) != want {
			t.Errorf("Serves(%q) = %v, want %v", name, !want, want)
		}
	}
}

func TestLoadNamesFileAndLineOfEachMistake(t *testing.T) {
	tests := []struct {
		name, manifest string
		want           []string // file:line: message fragments
	}{
		{"not YAML", "saying-no: [\n", []string{"content/media/bsl.yaml:1: not valid YAML"}},
		{"not a mapping", "- saying-no\n", []string{"content/media/bsl.yaml:1: the manifest must map"}},
		{"bad id", strings.Replace(good, "saying-no:\n", "Saying No:\n", 1), []string{`content/media/bsl.yaml:1: video id "Saying No"`}},
		{"no signer", strings.Replace(good, "  signer: Sam Example\n", "", 1), []string{`content/media/bsl.yaml:1: video "saying-no": signer is required`}},
		{"bad date", strings.Replace(good, "2026-11-20", "20/11/2026", 1), []string{"content/media/bsl.yaml:4: video \"saying-no\": recorded must be a date"}},
		{"missing video file", strings.Replace(good, "mp4: saying-no.mp4", "mp4: nope.mp4", 1), []string{`content/media/bsl.yaml:5: video "saying-no": mp4 file "nope.mp4" is not in the media folder`}},
		{"wrong extension", strings.Replace(good, "mp4: saying-no.mp4", "webm: saying-no.mp4", 1), []string{`content/media/bsl.yaml:5: video "saying-no": webm "saying-no.mp4" must end in .webm`}},
		{"path outside the folder", strings.Replace(good, "mp4: saying-no.mp4", "mp4: ../secret.mp4", 1), []string{`content/media/bsl.yaml:5: video "saying-no": mp4 "../secret.mp4" must be a path inside`}},
		{"captions not WebVTT", strings.Replace(good, "en: saying-no.en.vtt", "en: bad.vtt", 1), []string{`content/media/bsl.yaml:7: video "saying-no": "bad.vtt" is not a WebVTT file`}},
		{"no transcript", strings.Replace(good, "  transcripts:\n    en: saying-no.en.md\n", "", 1), []string{`content/media/bsl.yaml:1: video "saying-no": a transcript is required`}},
		{"unknown key, and several problems at once", strings.Replace(good, "  provider:", "  signer_name: x\n  provider:", 1) + "other:\n  signer: A\n", []string{
			`content/media/bsl.yaml:3: video "saying-no": unknown key "signer_name"`,
			`content/media/bsl.yaml:11: video "other": recorded must be a date`,
			`content/media/bsl.yaml:11: video "other": give an mp4 or a webm file`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(files(tt.manifest), "content/media/bsl.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			var got []string
			var joined interface{ Unwrap() []error }
			errs := []error{err}
			if errors.As(err, &joined) {
				errs = joined.Unwrap()
			}
			for _, e := range errs {
				var ce *library.ContentError
				if !errors.As(e, &ce) {
					t.Fatalf("%v is not a ContentError", e)
				}
				got = append(got, ce.Error())
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, w)
				}
				if !found {
					t.Errorf("no error %q in:\n%s", w, strings.Join(got, "\n"))
				}
			}
		})
	}
}

func TestEmptyManifestAndNoManifest(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"comments only": {ManifestFile: {Data: []byte("# nothing yet\n")}},
		"empty mapping": {ManifestFile: {Data: []byte("{}\n")}},
		"no manifest":   {},
	} {
		lib, err := Load(fsys, "bsl.yaml")
		if err != nil || len(lib.IDs()) != 0 {
			t.Errorf("%s: %v, %v", name, lib, err)
		}
	}
}
