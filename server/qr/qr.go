// Package qr draws QR codes as SVG, so a printed page or poster carries a
// code that stays sharp at any size and any printer resolution.
//
// The matrix comes from github.com/skip2/go-qrcode (MIT, pure Go, no cgo,
// widely used and stable: its encoder has not needed changes since 2020);
// its own output is PNG only, which blurs when scaled for print, so the
// SVG is drawn here from the bitmap.
package qr

import (
	"bytes"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// SVG encodes text (a URL) with medium error correction, which survives a
// scuffed poster, and returns a square SVG of dark modules on white with
// the standard four-module quiet zone.
func SVG(text string) ([]byte, error) {
	code, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bits := code.Bitmap() // includes the quiet zone
	n := len(bits)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	// One rectangle per horizontal run of dark modules keeps the file small.
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
