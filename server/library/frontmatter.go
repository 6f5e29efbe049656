package library

import (
	"bytes"
	"fmt"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// frontMatter is the YAML block at the top of every page (docs/architecture.md).
type frontMatter struct {
	ID           string   `yaml:"id"`
	Title        string   `yaml:"title"`
	Summary      string   `yaml:"summary"`
	Language     string   `yaml:"language"`
	Variant      string   `yaml:"variant"`
	Translation  string   `yaml:"translation"`
	Sources      []string `yaml:"sources"`
	LastReviewed string   `yaml:"last_reviewed"`
	Order        int      `yaml:"order"`
	Audience     string   `yaml:"audience"`
	BSL          string   `yaml:"bsl"`
}

// ContentError names the file and line of a problem, so a provider editing
// content can find it; start-up stops on the first one.
type ContentError struct {
	File string
	Line int
	Msg  string
}

func (e *ContentError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ReservedIDs are addresses under /{lang}/ that are not content pages, so
// no page may take them.
var ReservedIDs = map[string]bool{"easy-read": true, "languages": true, "feedback": true, "bsl": true, "print": true, "poster": true}

var (
	fmDelim   = []byte("---")
	yamlLine  = regexp.MustCompile(`line (\d+)`)
	knownKeys = map[string]bool{"id": true, "title": true, "summary": true, "language": true, "variant": true,
		"translation": true, "sources": true, "last_reviewed": true, "order": true, "audience": true, "bsl": true}
	requiredKeys = []string{"id", "title", "summary", "language", "variant", "translation", "sources", "last_reviewed", "order"}
)

// splitFrontMatter returns the front matter, the body and the line the body starts on.
func splitFrontMatter(file string, src []byte) (fm []byte, body []byte, bodyLine int, err error) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines) == 0 || !bytes.Equal(bytes.TrimSpace(lines[0]), fmDelim) {
		return nil, nil, 0, &ContentError{file, 1, "a page must start with a front matter block between two lines of ---"}
	}
	for i := 1; i < len(lines); i++ {
		if bytes.Equal(bytes.TrimSpace(lines[i]), fmDelim) {
			return bytes.Join(lines[1:i], nil), bytes.Join(lines[i+1:], nil), i + 2, nil
		}
	}
	return nil, nil, 0, &ContentError{file, 1, "the front matter block is not closed with a line of ---"}
}

// parseFrontMatter decodes and checks the front matter; line numbers are
// those of the file (the block starts on line 2).
func parseFrontMatter(file string, fm []byte) (frontMatter, error) {
	var doc yaml.Node
	var out frontMatter
	if err := yaml.Unmarshal(fm, &doc); err != nil {
		return out, &ContentError{file, YAMLErrLine(err) + 1, "front matter is not valid YAML: " + err.Error()}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return out, &ContentError{file, 2, "front matter must be a list of key: value lines"}
	}
	m := doc.Content[0]
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if !knownKeys[k.Value] {
			return out, &ContentError{file, k.Line + 1, fmt.Sprintf("unknown front matter key %q", k.Value)}
		}
		seen[k.Value] = k.Line + 1
	}
	for _, k := range requiredKeys {
		if _, ok := seen[k]; !ok {
			return out, &ContentError{file, 2, fmt.Sprintf("front matter lacks %q", k)}
		}
	}
	if err := m.Decode(&out); err != nil {
		return out, &ContentError{file, YAMLErrLine(err) + 1, "front matter: " + err.Error()}
	}
	bad := func(key, msg string) error { return &ContentError{file, seen[key], msg} }
	switch {
	case out.ID == "" || !idPattern.MatchString(out.ID):
		return out, bad("id", "id must be lower-case letters, digits and hyphens")
	case ReservedIDs[out.ID]:
		return out, bad("id", fmt.Sprintf("id %q is the address of another page of the site (/{lang}/%s): choose another", out.ID, out.ID))
	case out.Title == "":
		return out, bad("title", "title is empty")
	case out.Summary == "":
		return out, bad("summary", "summary is empty")
	case out.Variant != Standard && out.Variant != EasyRead:
		return out, bad("variant", "variant must be standard or easy-read")
	case out.Translation != "original" && out.Translation != "draft" && out.Translation != "reviewed":
		return out, bad("translation", "translation must be original, draft or reviewed")
	case len(out.Sources) == 0:
		return out, bad("sources", "sources must list where the page's facts come from")
	case out.Order < 1:
		return out, bad("order", "order must be a whole number from 1")
	}
	if _, err := time.Parse(time.DateOnly, out.LastReviewed); err != nil {
		return out, bad("last_reviewed", "last_reviewed must be a date like 2026-11-24")
	}
	return out, nil
}

// YAMLErrLine is the line a yaml.v3 error names (1 if none), so every
// content file's errors can point at the line to fix.
func YAMLErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return n
	}
	return 1
}

// Body returns a page file's body and the file line it starts on, so tools
// that read a page's text (the content checker) report the same lines.
func Body(file string, src []byte) (body []byte, bodyLine int, err error) {
	_, body, bodyLine, err = splitFrontMatter(file, src)
	return body, bodyLine, err
}
