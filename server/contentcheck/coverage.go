package contentcheck

import (
	"fmt"
	"strings"

	"github.com/imha-advocacy/imha/server/library"
)

var symbols = map[Status]string{Done: "✓", Draft: "draft", Gap: "gap", Missing: "**missing**"}

// Status returns what the coverage table shows for one page.
func (r *Report) Status(id, lang, variant string) Status { return r.status[cell{id, lang, variant}] }

// HasBSL reports whether some version of the page carries a BSL video.
func (r *Report) HasBSL(id string) bool { return r.bsl[id] }

// Coverage renders the coverage table as Markdown: one row per page, a
// column per language and variant, a BSL column, and a row of totals.
func (r *Report) Coverage() string {
	var b strings.Builder
	b.WriteString("| Page |")
	for _, l := range r.Langs {
		for _, v := range library.Variants {
			fmt.Fprintf(&b, " %s %s |", l, short(v))
		}
	}
	b.WriteString(" BSL |\n|---|")
	for range r.Langs {
		b.WriteString(":-:|:-:|")
	}
	b.WriteString(":-:|\n")
	written := map[string]int{}
	bslCount := 0
	for _, id := range r.IDs {
		fmt.Fprintf(&b, "| %s |", id)
		for _, l := range r.Langs {
			for _, v := range library.Variants {
				s := r.status[cell{id, l, v}]
				if s == Done || s == Draft {
					written[l+v]++
				}
				fmt.Fprintf(&b, " %s |", symbols[s])
			}
		}
		if r.bsl[id] {
			bslCount++
			b.WriteString(" ✓ |\n")
		} else {
			b.WriteString(" – |\n")
		}
	}
	b.WriteString("| **written** |")
	for _, l := range r.Langs {
		for _, v := range library.Variants {
			fmt.Fprintf(&b, " %d/%d |", written[l+v], len(r.IDs))
		}
	}
	fmt.Fprintf(&b, " %d/%d |\n", bslCount, len(r.IDs))
	b.WriteString("\n✓ written (original or reviewed) · draft: not yet checked by a qualified translator · " +
		"gap: not written, reason in content/" + GapsFile + " · **missing**: to write · BSL: a British Sign Language video (content/media/bsl.yaml)\n")
	return b.String()
}

func short(variant string) string {
	if variant == library.EasyRead {
		return "easy read"
	}
	return variant
}
