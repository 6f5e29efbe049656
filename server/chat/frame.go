package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"unicode/utf8"
)

// Limits on what a client may send, per docs/chat-protocol.md.
const (
	MaxClientFrame = 4096 // bytes in one websocket message from the client
	MaxValue       = 64   // bytes in a choose value, flow or node id
)

// ClientFrame is one message from the browser. The server is authoritative:
// a frame only says what the person did; state never comes from the client.
type ClientFrame struct {
	Type  string `json:"type"`  // start, choose, text, back, restart, resume
	Flow  string `json:"flow"`  // start
	Value string `json:"value"` // choose: a choice value; text: what was typed; resume: session token
	Node  string `json:"node"`  // the node the client is showing, to refuse stale answers
	Seq   int64  `json:"seq"`   // client's counter, from 1, one up per frame
}

// FrameError is a rejected client frame. Code is stable and machine-readable;
// the server sends it back in an error frame with a message id.
type FrameError struct {
	Code string // too_large, bad_utf8, bad_json, unknown_field, duplicate_field, bad_type, missing_field, bad_value, too_long
	Msg  string
}

func (e *FrameError) Error() string { return "chat frame: " + e.Code + ": " + e.Msg }

func frameErr(code, format string, a ...any) error {
	return &FrameError{Code: code, Msg: fmt.Sprintf(format, a...)}
}

var (
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)
	nodeRe  = regexp.MustCompile(`^[a-z_][a-z0-9_:]{0,63}$`)
)

// DecodeClientFrame parses one client frame strictly: one flat JSON object,
// only known fields, each at most once, strings where strings are due, valid
// UTF-8, within MaxClientFrame bytes, and the fields its type needs. It is
// written against the token stream rather than with Unmarshal because
// Unmarshal silently accepts duplicate keys and replaces invalid UTF-8.
func DecodeClientFrame(b []byte) (ClientFrame, error) {
	var f ClientFrame
	if len(b) > MaxClientFrame {
		return f, frameErr("too_large", "%d bytes, limit %d", len(b), MaxClientFrame)
	}
	if !utf8.Valid(b) {
		return f, frameErr("bad_utf8", "frame is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return f, frameErr("bad_json", "want a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f, frameErr("bad_json", "%v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return f, frameErr("duplicate_field", "%q given twice", key)
		}
		seen[key] = true
		val, err := dec.Token()
		if err != nil {
			return f, frameErr("bad_json", "%v", err)
		}
		if d, ok := val.(json.Delim); ok {
			return f, frameErr("bad_json", "field %q: nested %v not allowed", key, d)
		}
		str, isStr := val.(string)
		switch key {
		case "type", "flow", "value", "node":
			if !isStr {
				return f, frameErr("bad_value", "field %q must be a string", key)
			}
			switch key {
			case "type":
				f.Type = str
			case "flow":
				f.Flow = str
			case "value":
				f.Value = str
			case "node":
				f.Node = str
			}
		case "seq":
			n, ok := val.(json.Number)
			if !ok {
				return f, frameErr("bad_value", "seq must be a number")
			}
			i, err := n.Int64()
			if err != nil || i < 1 || i > math.MaxInt32 {
				return f, frameErr("bad_value", "seq must be a whole number from 1")
			}
			f.Seq = i
		default:
			return f, frameErr("unknown_field", "%q", key)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return f, frameErr("bad_json", "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return f, frameErr("bad_json", "data after the object")
	}
	return f, f.check()
}

func (f ClientFrame) check() error {
	if f.Seq == 0 {
		return frameErr("missing_field", "seq")
	}
	if f.Node != "" && !nodeRe.MatchString(f.Node) {
		return frameErr("bad_value", "node")
	}
	switch f.Type {
	case "start":
		if !idRe.MatchString(f.Flow) {
			return frameErr("missing_field", "start needs a flow id")
		}
	case "choose":
		if f.Value == "" || len(f.Value) > MaxValue {
			return frameErr("bad_value", "choose needs a value of 1 to %d bytes", MaxValue)
		}
	case "text":
		if f.Value == "" {
			return frameErr("missing_field", "text needs a value")
		}
		if utf8.RuneCountInString(f.Value) > MaxText {
			return frameErr("too_long", "text over %d characters", MaxText)
		}
	case "resume":
		if !tokenRe.MatchString(f.Value) {
			return frameErr("bad_value", "resume needs a session token")
		}
	case "back", "restart":
	case "":
		return frameErr("missing_field", "type")
	default:
		return frameErr("bad_type", "%q", f.Type)
	}
	if f.Flow != "" && f.Type != "start" {
		return frameErr("bad_value", "flow is only for start")
	}
	return nil
}

// Input turns a decoded frame into an engine input. For resume, the transport
// first loads the session by token; the engine then just shows where it was.
func (f ClientFrame) Input() Input {
	in := Input{Kind: InputKind(f.Type), Flow: f.Flow, Value: f.Value, Node: f.Node}
	if f.Type == "resume" {
		in = Input{Kind: InResume}
	}
	return in
}

// ErrFrame reports whether err is a *FrameError, and its code.
func ErrFrame(err error) (string, bool) {
	var fe *FrameError
	if errors.As(err, &fe) {
		return fe.Code, true
	}
	return "", false
}
