package qr

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// The SVG draws exactly the modules of the encoder's bitmap: redraw the
// path into a grid and compare.
func TestSVGDrawsTheBitmap(t *testing.T) {
	for _, text := range []string{
		"https://advocacy.example/en/",
		"https://advocacy.example/ar/easy-read/if-someone-cannot-decide",
	} {
		t.Run(text, func(t *testing.T) {
			svg, err := SVG(text)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				ViewBox string `xml:"viewBox,attr"`
				Path    struct {
					D string `xml:"d,attr"`
				} `xml:"path"`
			}
			if err := xml.Unmarshal(svg, &doc); err != nil {
				t.Fatalf("not XML: %v", err)
			}
			code, _ := qrcode.New(text, qrcode.Medium)
			want := code.Bitmap()
			n := len(want)
			if doc.ViewBox != "0 0 "+strconv.Itoa(n)+" "+strconv.Itoa(n) {
				t.Errorf("viewBox %q for %d modules", doc.ViewBox, n)
			}
			got := make([][]bool, n)
			for i := range got {
				got[i] = make([]bool, n)
			}
			for _, m := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`).FindAllStringSubmatch(doc.Path.D, -1) {
				x, _ := strconv.Atoi(m[1])
				y, _ := strconv.Atoi(m[2])
				w, _ := strconv.Atoi(m[3])
				for i := x; i < x+w; i++ {
					got[y][i] = true
				}
			}
			for y := range want {
				for x := range want[y] {
					if got[y][x] != want[y][x] {
						t.Fatalf("module (%d,%d) = %v, want %v", x, y, got[y][x], want[y][x])
					}
				}
			}
			for i := 0; i < 4; i++ { // quiet zone
				if want[0][i] || got[i][0] {
					t.Fatal("no quiet zone")
				}
			}
		})
	}
}
