package chat

import (
	"encoding/json"
	"testing"
)

// FuzzStep drives the engine with random inputs: each byte of ops picks an
// input; choose picks one of the choices on screen (so fuzzing goes deep)
// or, for some bytes, sends value as an arbitrary choice. The engine must
// never panic, always answer, and always leave a valid, round-trippable
// state.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 1, 1}, "Sam")
	f.Add([]byte{3, 4, 5, 6, 7, 8, 9}, "أريد أن أموت")
	f.Add([]byte{1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8}, "07700 900123")
	e := loadEngine(f)
	kinds := []InputKind{InStart, InChoose, InText, InBack, InRestart, InResume, InSubmitted, InSubmitFailed, InChoose, "bogus"}
	f.Fuzz(func(t *testing.T, ops []byte, value string) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		st := NewState("en", VariantStandard, value)
		var outs []Output
		for i, op := range ops {
			in := Input{Kind: kinds[int(op)%len(kinds)], Value: value, Now: testNow}
			switch in.Kind {
			case InStart:
				flows := e.Flows()
				in.Flow = flows[int(op/10)%len(flows)]
				if op > 200 {
					in.Flow = value
				}
			case InChoose:
				var choices []ChoiceOut
				for _, o := range outs {
					choices = append(choices, o.Choices...)
				}
				if len(choices) > 0 && op < 200 {
					in.Value = choices[(int(op)+i)%len(choices)].Value
				}
			}
			if op%7 == 0 {
				in.Node = value // sometimes claim a stale node
			}
			var err error
			st, outs, err = e.Step(st, in)
			if err != nil {
				t.Fatalf("step %d %+v: %v", i, in, err)
			}
			if len(outs) == 0 || !e.Valid(st) {
				t.Fatalf("step %d %+v: outputs %d, state %+v", i, in, len(outs), st)
			}
			b, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back State
			if err := json.Unmarshal(b, &back); err != nil || !e.Valid(back) {
				t.Fatalf("state does not round-trip: %s", b)
			}
			if len(b) > 8192 {
				t.Fatalf("state grew to %d bytes", len(b))
			}
		}
	})
}
