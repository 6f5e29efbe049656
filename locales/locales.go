// Package locales embeds the go-i18n message files, one per language, so the
// binary runs from any directory. LOCALES_DIR can point at a folder instead.
package locales

import "embed"

// FS holds active.<lang>.toml for every language the product offers.
//
//go:embed *.toml
var FS embed.FS
