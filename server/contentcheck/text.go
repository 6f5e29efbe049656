package contentcheck

import (
	"regexp"
	"strings"
	"unicode"
)

// MaxEasyReadWords is the easy-read limit on a sentence (Mencap, Inclusion Europe).
const MaxEasyReadWords = 15

// abbreviations end in a full stop that does not end a sentence.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "eg": true, "ie": true, "dr": true, "mr": true, "mrs": true,
	"ms": true, "st": true, "vs": true, "approx": true, "tel": true, "cf": true,
}

// Sentences splits text into sentences. A sentence ends at . ! ? followed by
// a space or the end (after any closing quotes or brackets), or at a
// sentence end of another script (। ۔ ؟ 。 ！ ？), which need no space. A
// full stop after a known abbreviation ("e.g.", "Dr.") or inside a number
// or address ("5.1", "advocacy.example") does not end a sentence.
func Sentences(text string) []string {
	var out []string
	rs := []rune(text)
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '।', '۔', '؟', '。', '！', '？':
			j := skipClosers(rs, i+1)
			emit(j)
			i = j - 1
		case '.', '!', '?':
			j := skipClosers(rs, i+1)
			// Runs like "?!" or "..." end once.
			for j < len(rs) && (rs[j] == '.' || rs[j] == '!' || rs[j] == '?') {
				j = skipClosers(rs, j+1)
			}
			if j < len(rs) && !unicode.IsSpace(rs[j]) {
				continue // inside a number, address or "e.g."
			}
			if r == '.' && isAbbreviation(rs[start:i]) {
				continue
			}
			emit(j)
			i = j - 1
		}
	}
	emit(len(rs))
	return out
}

func skipClosers(rs []rune, j int) int {
	for j < len(rs) && strings.ContainsRune(`"'”’)]»`, rs[j]) {
		j++
	}
	return j
}

// isAbbreviation reports whether the word before a full stop is a known
// abbreviation, or a single letter (an initial, as in "J. Smith").
func isAbbreviation(before []rune) bool {
	i := len(before)
	for i > 0 && !unicode.IsSpace(before[i-1]) && before[i-1] != '(' {
		i--
	}
	w := strings.ToLower(string(before[i:]))
	if abbreviations[w] {
		return true
	}
	rs := []rune(w)
	return len(rs) == 1 && unicode.IsLetter(rs[0])
}

// Words counts the words in a sentence: runs of letters or digits, so
// punctuation and symbols alone are not words.
func Words(sentence string) int {
	n := 0
	for _, f := range strings.Fields(sentence) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			n++
		}
	}
	return n
}

// initialism is an all-capital word of two or more Latin letters, with an
// optional plural s ("IMHAs"). Section references such as s130B or 5(2)
// contain digits or lower-case letters, so they never match.
var initialism = regexp.MustCompile(`\b([A-Z]{2,})s?\b`)

// Initialisms returns each initialism in text with its byte offset and the
// offset just after it (including a plural s).
func Initialisms(text string) (names []string, spans [][2]int) {
	for _, m := range initialism.FindAllStringSubmatchIndex(text, -1) {
		names = append(names, text[m[2]:m[3]])
		spans = append(spans, [2]int{m[0], m[1]})
	}
	return names, spans
}

var (
	// "CTO (Community Treatment Order)": words in brackets after it.
	explainedAfter   = regexp.MustCompile(`^\s*\(\s*[\p{L}\p{M}]`)
	letters          = regexp.MustCompile(`[\p{L}\p{M}]{2,}`)
	listedAfterWords = regexp.MustCompile(`[\p{L}\p{M}]{2,}[^()]*[,،]\s*$`)
)

// Explained reports whether the initialism at span in text comes with its
// meaning: "ABC (Words)", or inside brackets after or among words:
// "Words (ABC)", "Words (ABC, s17A)", "Words in another language
// (English words, ABC)", as translations write it.
func Explained(text string, span [2]int) bool {
	if explainedAfter.MatchString(text[span[1]:]) {
		return true
	}
	open := strings.LastIndexAny(text[:span[0]], "()")
	closing := strings.IndexAny(text[span[1]:], "()")
	if open < 0 || text[open] != '(' || closing < 0 || text[span[1]+closing] != ')' {
		return false // not inside brackets
	}
	before := text[open+1 : span[0]]
	if strings.TrimSpace(before) == "" { // "Words (ABC…)"
		return letters.MatchString(text[:open])
	}
	return listedAfterWords.MatchString(before) // "(Words, ABC)"
}
