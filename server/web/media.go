package web

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/imha-advocacy/imha/server/bsl"
)

// maxChunk caps one partial media response. The server's WriteTimeout
// covers a whole response, so a long video sent in one piece to a slow
// kiosk would be cut off; players send Range ("bytes=0-") and ask again
// from where a partial answer ended.
const maxChunk = 4 << 20

// serveMedia serves the files the BSL manifest names (nothing else in the
// media folder), with HTTP range requests so a player can seek and stream.
// fasthttp's own range support works only on disk paths, not on an fs.FS,
// so ranges are handled here.
func (a *App) serveMedia(c *fiber.Ctx) error {
	name := c.Params("*")
	if a.cfg.Media == nil || !a.cfg.BSL.Serves(name) {
		return fiber.ErrNotFound
	}
	f, err := a.cfg.Media.Open(name)
	if err != nil {
		return fiber.ErrNotFound
	}
	st, err := f.Stat()
	rs, seekable := f.(io.ReadSeeker)
	if err != nil || st.IsDir() || !seekable {
		f.Close()
		return fiber.ErrNotFound
	}
	size := st.Size()
	c.Set(fiber.HeaderContentType, bsl.ContentType(name))
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	c.Set(fiber.HeaderLastModified, st.ModTime().UTC().Format(timeFormatHTTP))
	start, end, partial, err := parseRange(c.Get(fiber.HeaderRange), size)
	if c.Get(fiber.HeaderIfRange) != "" {
		partial, err = false, nil // no validators to compare: send it all, always correct
	}
	if errors.Is(err, errUnsatisfiable) {
		f.Close()
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", size))
		return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	if !partial {
		start, end = 0, size-1 // no (usable) Range: the whole file, as HTTP requires
	} else if end-start+1 > maxChunk {
		end = start + maxChunk - 1
	}
	n := end - start + 1
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	}
	// fasthttp closes the stream once sent (or skipped, for HEAD).
	c.Response().SetBodyStream(readCloser{io.LimitReader(rs, n), f}, int(n))
	return nil
}

const timeFormatHTTP = "Mon, 02 Jan 2006 15:04:05 GMT"

type readCloser struct {
	io.Reader
	io.Closer
}

var errUnsatisfiable = errors.New("range not satisfiable")

// parseRange reads a single byte range ("bytes=0-99", "bytes=100-",
// "bytes=-500"). Several ranges or a malformed header are ignored (the
// whole file is an allowed answer); a range wholly past the end is
// errUnsatisfiable.
func parseRange(h string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	if first == "" { // the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, errUnsatisfiable
		}
		return max(0, size-n), size - 1, true, nil
	}
	start, err = strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false, nil
	}
	end = size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return 0, 0, false, nil
		}
		end = min(end, size-1)
	}
	if start >= size {
		return 0, 0, false, errUnsatisfiable
	}
	return start, end, true, nil
}

// mediaURL is where a media file is served.
func mediaURL(name string) string { return "/media/" + name }
