// Package bsl reads the manifest of British Sign Language videos
// (bsl.yaml in the media folder) and checks that every file it names is
// there, so adding a video is a matter of dropping files and one entry in.
//
// The product ships no video: real BSL is recorded by qualified Deaf
// signers, and invented signing would mislead the people it is for.
package bsl

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"gopkg.in/yaml.v3"

	"github.com/imha-advocacy/imha/server/library"
)

// ManifestFile is the manifest's name inside the media folder.
const ManifestFile = "bsl.yaml"

// Video is one signed video with its captions and transcripts.
type Video struct {
	ID       string
	Signer   string    // the Deaf signer's credit, as they want it shown
	Provider string    // who recorded it (optional)
	Recorded time.Time // when it was recorded
	MP4      string    // file names within the media folder; at least one of the two
	WebM     string
	// Captions maps a language tag to a WebVTT file; Transcripts to the
	// transcript rendered from Markdown.
	Captions    map[string]string
	Transcripts map[string]template.HTML
}

// Caption is one captions track, for templates.
type Caption struct{ Lang, Src string }

// Tracks lists the captions in a stable order with lang first, so the
// reader's language can be the default track.
func (v *Video) Tracks(lang string) []Caption {
	var out []Caption
	for l, f := range v.Captions {
		out = append(out, Caption{l, f})
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Lang == lang) != (out[j].Lang == lang) {
			return out[i].Lang == lang
		}
		return out[i].Lang < out[j].Lang
	})
	return out
}

// Transcript returns the transcript in lang, else English; lang is the
// language it is actually in.
func (v *Video) Transcript(want string) (html template.HTML, lang string) {
	if h, ok := v.Transcripts[want]; ok {
		return h, want
	}
	if h, ok := v.Transcripts["en"]; ok {
		return h, "en"
	}
	return "", ""
}

// Library is the immutable set of videos.
type Library struct {
	videos map[string]*Video
	ids    []string
	files  map[string]bool // every file the manifest names: the only ones served
}

// Empty is a library with no videos, for servers without a media folder.
func Empty() *Library { return &Library{videos: map[string]*Video{}, files: map[string]bool{}} }

// Video returns the video with this id.
func (l *Library) Video(id string) (*Video, bool) {
	v, ok := l.videos[id]
	return v, ok
}

// IDs lists the video ids, sorted.
func (l *Library) IDs() []string { return l.ids }

// Serves reports whether name is a file the manifest names.
func (l *Library) Serves(name string) bool { return l.files[name] }

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]+)*$`)
)

// entry is one manifest entry as written.
type entry struct {
	Signer      string            `yaml:"signer"`
	Provider    string            `yaml:"provider"`
	Recorded    string            `yaml:"recorded"`
	MP4         string            `yaml:"mp4"`
	WebM        string            `yaml:"webm"`
	Captions    map[string]string `yaml:"captions"`
	Transcripts map[string]string `yaml:"transcripts"`
}

var entryKeys = map[string]bool{"signer": true, "provider": true, "recorded": true, "mp4": true, "webm": true, "captions": true, "transcripts": true}

// Load reads bsl.yaml from media and checks every entry. name is how the
// manifest is called in messages (e.g. content/media/bsl.yaml). A missing
// manifest is an empty library. All problems are reported at once, each a
// *library.ContentError (errors.Join).
func Load(media fs.FS, name string) (*Library, error) {
	lib := Empty()
	src, err := fs.ReadFile(media, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return lib, nil
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, &library.ContentError{File: name, Line: library.YAMLErrLine(err), Msg: "not valid YAML: " + err.Error()}
	}
	if len(doc.Content) == 0 {
		return lib, nil // only comments
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &library.ContentError{File: name, Line: root.Line, Msg: "the manifest must map each video id to its details"}
	}
	var errs []error
	bad := func(line int, format string, a ...any) {
		errs = append(errs, &library.ContentError{File: name, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	md := goldmark.New() // raw HTML off: transcripts are text
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, n := root.Content[i], root.Content[i+1]
		id := k.Value
		if !idPattern.MatchString(id) {
			bad(k.Line, "video id %q must be lower-case letters, digits and hyphens", id)
			continue
		}
		if n.Kind != yaml.MappingNode {
			bad(n.Line, "video %q: give its details as key: value lines", id)
			continue
		}
		lines := map[string]int{}
		langLines := map[string]map[string]int{} // captions/transcripts -> language -> line
		for j := 0; j+1 < len(n.Content); j += 2 {
			key, val := n.Content[j], n.Content[j+1]
			lines[key.Value] = key.Line
			if val.Kind == yaml.MappingNode {
				langLines[key.Value] = map[string]int{}
				for m := 0; m+1 < len(val.Content); m += 2 {
					langLines[key.Value][val.Content[m].Value] = val.Content[m].Line
				}
			}
			if !entryKeys[key.Value] {
				bad(key.Line, "video %q: unknown key %q (want signer, provider, recorded, mp4, webm, captions, transcripts)", id, key.Value)
			}
		}
		var e entry
		if err := n.Decode(&e); err != nil {
			bad(n.Line, "video %q: %v", id, err)
			continue
		}
		v := &Video{ID: id, Signer: strings.TrimSpace(e.Signer), Provider: strings.TrimSpace(e.Provider),
			Captions: map[string]string{}, Transcripts: map[string]template.HTML{}}
		if v.Signer == "" {
			bad(k.Line, "video %q: signer is required (credit the Deaf signer)", id)
		}
		if v.Recorded, err = time.Parse(time.DateOnly, e.Recorded); err != nil {
			bad(lineOr(lines, "recorded", k.Line), "video %q: recorded must be a date like 2026-11-24", id)
		}
		if e.MP4 == "" && e.WebM == "" {
			bad(k.Line, "video %q: give an mp4 or a webm file (or both)", id)
		}
		// lineOf is the line of a key, or of one language under it.
		lineOf := func(key, lang string) int {
			if l, ok := langLines[key][lang]; ok && lang != "" {
				return l
			}
			return lineOr(lines, key, k.Line)
		}
		file := func(key, lang, f, ext string) bool {
			switch {
			case !fs.ValidPath(f) || strings.Contains(f, "\\"):
				bad(lineOf(key, lang), "video %q: %s %q must be a path inside the media folder", id, key, f)
			case path.Ext(f) != ext:
				bad(lineOf(key, lang), "video %q: %s %q must end in %s", id, key, f, ext)
			default:
				if _, err := fs.Stat(media, f); err != nil {
					bad(lineOf(key, lang), "video %q: %s file %q is not in the media folder", id, key, f)
					return false
				}
				lib.files[f] = true
				return true
			}
			return false
		}
		if e.MP4 != "" && file("mp4", "", e.MP4, ".mp4") {
			v.MP4 = e.MP4
		}
		if e.WebM != "" && file("webm", "", e.WebM, ".webm") {
			v.WebM = e.WebM
		}
		if len(e.Captions) == 0 {
			bad(lineOr(lines, "captions", k.Line), "video %q: captions are required (a WebVTT file per language)", id)
		}
		for _, lang := range sortedKeys(e.Captions) {
			f := e.Captions[lang]
			if !langPattern.MatchString(lang) {
				bad(lineOf("captions", lang), "video %q: captions language %q is not a language tag", id, lang)
				continue
			}
			if file("captions", lang, f, ".vtt") {
				b, _ := fs.ReadFile(media, f)
				if !bytes.HasPrefix(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), []byte("WEBVTT")) {
					bad(lineOf("captions", lang), "video %q: %q is not a WebVTT file (it must start with WEBVTT)", id, f)
					continue
				}
				v.Captions[lang] = f
			}
		}
		if len(e.Transcripts) == 0 {
			bad(lineOr(lines, "transcripts", k.Line), "video %q: a transcript is required (Markdown, per language)", id)
		}
		for _, lang := range sortedKeys(e.Transcripts) {
			f := e.Transcripts[lang]
			if !langPattern.MatchString(lang) {
				bad(lineOf("transcripts", lang), "video %q: transcript language %q is not a language tag", id, lang)
				continue
			}
			if !file("transcripts", lang, f, ".md") {
				continue
			}
			delete(lib.files, f) // transcripts are shown on the page, not served as files
			b, _ := fs.ReadFile(media, f)
			var buf bytes.Buffer
			if err := md.Convert(b, &buf); err != nil {
				bad(lineOf("transcripts", lang), "video %q: transcript %q: %v", id, f, err)
				continue
			}
			v.Transcripts[lang] = template.HTML(buf.String())
		}
		lib.videos[id] = v
		lib.ids = append(lib.ids, id)
	}
	sort.Strings(lib.ids)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return lib, nil
}

// Lines of nested keys: a problem with a value points at its key's line.
func lineOr(lines map[string]int, key string, fallback int) int {
	if l, ok := lines[key]; ok {
		return l
	}
	return fallback
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ContentType is the media type a served file gets, by extension.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".mp4":
		return "video/mp4"
	case ".webm":
		return "video/webm"
	case ".vtt":
		return "text/vtt; charset=utf-8"
	}
	return "application/octet-stream"
}
