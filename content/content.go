// Package content embeds the pages, the provider's details and the chat
// flows, so the binary runs from anywhere. CONTENT_DIR can point at a folder
// instead, so a provider can edit text without a rebuild.
package content

import (
	"embed"
	"io/fs"
)

// FS holds pages/{lang}/{variant}/{id}.md, provider.yaml, the chat flows
// (flows/*.yaml) and phrase lists (chat/*.yaml), the content checker's lists,
// and the BSL manifest (but no videos: see Media).
//
//go:embed pages provider.yaml flows chat accepted-gaps.yaml initialisms.yaml media/bsl.yaml
var FS embed.FS

// Media is the embedded media folder: only the BSL manifest. Videos are
// large and are served from MEDIA_DIR on disk, never from the binary.
func Media() fs.FS {
	sub, err := fs.Sub(FS, "media")
	if err != nil {
		panic(err) // media is embedded above, so this cannot happen
	}
	return sub
}
