// Package static embeds CSS, scripts, fonts and pictures so the binary runs
// from anywhere. STATIC_DIR can point at a folder instead.
package static

import "embed"

// FS holds everything served under /static/.
//
//go:embed css pictures js
var FS embed.FS
