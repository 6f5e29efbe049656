// Package static embeds CSS, scripts, fonts and pictures so the binary runs
// from anywhere. STATIC_DIR can point at a folder instead.
package static

import "embed"

// FS holds everything served under /static/. Fonts go with their licence
// texts (the OFL asks for that); their update script stays out.
//
//go:embed css pictures js fonts/*.woff2 fonts/*.txt fonts/README.md
var FS embed.FS
