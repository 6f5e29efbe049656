// Package content embeds the pages, the provider's details and the chat
// flows, so the binary runs from anywhere. CONTENT_DIR can point at a folder
// instead, so a provider can edit text without a rebuild.
package content

import "embed"

// FS holds pages/{lang}/{variant}/{id}.md, provider.yaml, the chat flows
// (flows/*.yaml) and the chat phrase lists (chat/*.yaml).
//
//go:embed pages provider.yaml flows chat
var FS embed.FS
