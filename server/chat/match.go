package chat

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"gopkg.in/yaml.v3"
)

// Phrase files (content/chat/topics.yaml, content/chat/risk.yaml) map
// language → group (a topic or a risk category) → phrases. A phrase is a
// sequence of words matched against whole words of the input, after both are
// normalised the same way, so "skill" never matches "kill". A word may end in
// * (prefix: kill* matches killing) or start with * (suffix, for languages
// that attach "and" or "the" to the front of a word, like Arabic); *word*
// matches anywhere inside a word.
type phraseFile map[string]map[string][]string

type pattern struct {
	s              string
	prefix, suffix bool // prefix: token starts with s; suffix: token ends with s
}

type phrase struct {
	lang, group, text string
	words             []pattern
}

type matcher struct{ phrases []phrase }

func loadPhrases(fsys fs.FS, name string) (phraseFile, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var pf phraseFile
	if err := yaml.Unmarshal(b, &pf); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pf, nil
}

func newMatcher(name string, pf phraseFile) (*matcher, error) {
	m := &matcher{}
	langs := make([]string, 0, len(pf))
	for l := range pf {
		langs = append(langs, l)
	}
	sort.Strings(langs) // deterministic order, so ranking ties break the same way
	for _, lang := range langs {
		groups := make([]string, 0, len(pf[lang]))
		for g := range pf[lang] {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			for _, text := range pf[lang][g] {
				p := phrase{lang: lang, group: g, text: text}
				for _, w := range strings.Fields(text) {
					pre := strings.HasSuffix(w, "*")
					suf := strings.HasPrefix(w, "*")
					w = strings.Trim(w, "*")
					toks := normalize(w)
					if len(toks) != 1 {
						return nil, fmt.Errorf("%s: %s/%s: phrase %q: word %q does not normalise to one word", name, lang, g, text, w)
					}
					p.words = append(p.words, pattern{s: toks[0], prefix: pre, suffix: suf})
				}
				if len(p.words) == 0 {
					return nil, fmt.Errorf("%s: %s/%s: empty phrase", name, lang, g)
				}
				m.phrases = append(m.phrases, p)
			}
		}
	}
	return m, nil
}

func (p pattern) match(tok string) bool {
	switch {
	case p.prefix && p.suffix:
		return strings.Contains(tok, p.s)
	case p.prefix:
		return strings.HasPrefix(tok, p.s)
	case p.suffix:
		return strings.HasSuffix(tok, p.s)
	}
	return tok == p.s
}

// hits returns the phrases found in toks, in phrase-file order.
func (m *matcher) hits(toks []string) []phrase {
	var out []phrase
	for _, p := range m.phrases {
		for i := 0; i+len(p.words) <= len(toks); i++ {
			ok := true
			for j, w := range p.words {
				if !w.match(toks[i+j]) {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

var folder = cases.Fold()

// letterMap joins spellings that people type interchangeably and that
// Unicode decomposition leaves apart: Polish ł, and the Arabic/Urdu letter
// variants (Farsi yeh and keheh, heh goal, teh marbuta, alef maqsura).
var letterMap = map[rune]rune{
	'ł': 'l', 'đ': 'd', 'ø': 'o', 'ı': 'i', 'ħ': 'h',
	'ی': 'ي', 'ى': 'ي', 'ک': 'ك', 'ہ': 'ه', 'ۃ': 'ه', 'ة': 'ه', 'ھ': 'ه',
}

// normalize turns text into comparable words: Unicode compatibility
// decomposition, case folding, combining marks dropped (diacritics, Arabic
// harakat, hamza carriers), apostrophes and joiners removed, and every other
// non-letter treated as a space.
func normalize(s string) []string {
	s = folder.String(norm.NFKD.String(s))
	var b strings.Builder
	for _, r := range s {
		if m, ok := letterMap[r]; ok {
			r = m
		}
		switch {
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r), r == '\'', r == '’', r == 'ʼ', r == 'ـ':
			// dropped: diacritics, zero-width joiners, apostrophes, tatweel
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mc, r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}
