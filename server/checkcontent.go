package main

import (
	"fmt"
	"io"

	"github.com/imha-advocacy/imha/content"
	"github.com/imha-advocacy/imha/locales"
	"github.com/imha-advocacy/imha/server/config"
	"github.com/imha-advocacy/imha/server/contentcheck"
	"github.com/imha-advocacy/imha/static"
)

// errContent makes check-content exit non-zero after it has printed the problems.
var errContent = fmt.Errorf("the content has problems: fix each file:line above")

// checkContent checks the same content the server would serve (CONTENT_DIR,
// LOCALES_DIR, STATIC_DIR, MEDIA_DIR or the embedded copies), prints the
// coverage table to out and each problem to errOut.
func checkContent(cfg config.Config, out, errOut io.Writer) error {
	r := contentcheck.Check(contentcheck.Input{
		Content:  dir(cfg.ContentDir, content.FS),
		Locales:  dir(cfg.LocalesDir, locales.FS),
		Static:   dir(cfg.StaticDir, static.FS),
		Media:    mediaFS(cfg),
		MediaDir: mediaDirName(cfg),
	})
	fmt.Fprint(out, r.Coverage())
	for _, p := range r.Problems {
		fmt.Fprintln(errOut, p)
	}
	if !r.OK() {
		fmt.Fprintf(errOut, "%d problems\n", len(r.Problems))
		return errContent
	}
	return nil
}
