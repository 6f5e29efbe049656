// Package locales embeds the go-i18n message files, one per language, so the
// binary runs from any directory. LOCALES_DIR can point at a folder instead.
package locales

import "embed"

// FS holds active.<lang>.toml for every language the product offers, and
// staff/active.en.toml: the staff workspace's English-only strings.
//
//go:embed *.toml staff/*.toml
var FS embed.FS
