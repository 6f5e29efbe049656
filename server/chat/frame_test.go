package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeClientFrame(t *testing.T) {
	token := strings.Repeat("A", 43)
	tests := []struct {
		name, in string
		want     ClientFrame
		code     string
	}{
		{"start", `{"type":"start","flow":"referral","seq":1}`, ClientFrame{Type: "start", Flow: "referral", Seq: 1}, ""},
		{"choose", `{"type":"choose","value":"s3","node":"status","seq":2}`, ClientFrame{Type: "choose", Value: "s3", Node: "status", Seq: 2}, ""},
		{"text arabic", `{"type":"text","value":"أريد مناصرًا","seq":3}`, ClientFrame{Type: "text", Value: "أريد مناصرًا", Seq: 3}, ""},
		{"back", `{"type":"back","seq":4}`, ClientFrame{Type: "back", Seq: 4}, ""},
		{"resume", `{"type":"resume","value":"` + token + `","seq":1}`, ClientFrame{Type: "resume", Value: token, Seq: 1}, ""},
		{"change value", `{"type":"choose","value":"_change:name","node":"check","seq":5}`, ClientFrame{Type: "choose", Value: "_change:name", Node: "check", Seq: 5}, ""},
		{"unknown field", `{"type":"back","seq":1,"admin":true}`, ClientFrame{}, "unknown_field"},
		{"duplicate field", `{"type":"back","type":"restart","seq":1}`, ClientFrame{}, "duplicate_field"},
		{"unknown type", `{"type":"delete","seq":1}`, ClientFrame{}, "bad_type"},
		{"no type", `{"seq":1}`, ClientFrame{}, "missing_field"},
		{"no seq", `{"type":"back"}`, ClientFrame{}, "missing_field"},
		{"seq string", `{"type":"back","seq":"1"}`, ClientFrame{}, "bad_value"},
		{"seq fraction", `{"type":"back","seq":1.5}`, ClientFrame{}, "bad_value"},
		{"value number", `{"type":"choose","value":3,"seq":1}`, ClientFrame{}, "bad_value"},
		{"null", `{"type":null,"seq":1}`, ClientFrame{}, "bad_value"},
		{"nested", `{"type":"choose","value":{"a":1},"seq":1}`, ClientFrame{}, "bad_json"},
		{"array", `[1]`, ClientFrame{}, "bad_json"},
		{"trailing", `{"type":"back","seq":1}{}`, ClientFrame{}, "bad_json"},
		{"truncated", `{"type":"back","seq":1`, ClientFrame{}, "bad_json"},
		{"bad utf8", "{\"type\":\"text\",\"value\":\"\xff\",\"seq\":1}", ClientFrame{}, "bad_utf8"},
		{"too large", `{"type":"text","value":"` + strings.Repeat("x", MaxClientFrame) + `","seq":1}`, ClientFrame{}, "too_large"},
		{"text too long", `{"type":"text","value":"` + strings.Repeat("x", MaxText+1) + `","seq":1}`, ClientFrame{}, "too_long"},
		{"start without flow", `{"type":"start","seq":1}`, ClientFrame{}, "missing_field"},
		{"flow on choose", `{"type":"choose","value":"x","flow":"menu","seq":1}`, ClientFrame{}, "bad_value"},
		{"bad token", `{"type":"resume","value":"short","seq":1}`, ClientFrame{}, "bad_value"},
		{"bad node", `{"type":"back","node":"../x","seq":1}`, ClientFrame{}, "bad_value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeClientFrame([]byte(tt.in))
			code, _ := ErrFrame(err)
			if code != tt.code || (err != nil) != (tt.code != "") {
				t.Fatalf("error %v, want code %q", err, tt.code)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeClientFrame(f *testing.F) {
	f.Add([]byte(`{"type":"choose","value":"s3","node":"status","seq":2}`))
	f.Add([]byte(`{"type":"text","value":"hello","seq":1}`))
	f.Add([]byte(`{"type":"back","seq":1,"seq":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeClientFrame(b)
		if err != nil {
			if _, ok := ErrFrame(err); !ok {
				t.Fatalf("error is not a FrameError: %v", err)
			}
			return
		}
		if len(b) > MaxClientFrame || !utf8.ValidString(fr.Value) || fr.Seq < 1 || fr.check() != nil {
			t.Fatalf("accepted a frame it should not: %q -> %+v", b, fr)
		}
		_ = fr.Input()
	})
}
