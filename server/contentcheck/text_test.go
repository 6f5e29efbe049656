package contentcheck

import (
	"reflect"
	"testing"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"full stops", "You can say no. You keep your rights.", []string{"You can say no.", "You keep your rights."}},
		{"question and exclamation", "Can you have one? Yes! Ask now.", []string{"Can you have one?", "Yes!", "Ask now."}},
		{"abbreviations do not end", "Ask for help, e.g. an interpreter. Then wait.", []string{"Ask for help, e.g. an interpreter.", "Then wait."}},
		{"i.e. and Dr.", "See Dr. Khan, i.e. your doctor. Thanks.", []string{"See Dr. Khan, i.e. your doctor.", "Thanks."}},
		{"numbers and addresses", "Clause 5.1 applies. Go to advocacy.example today.", []string{"Clause 5.1 applies.", "Go to advocacy.example today."}},
		{"closing quote and bracket", `He said "no." (It is fine.) Next.`, []string{`He said "no."`, "(It is fine.)", "Next."}},
		{"Devanagari danda", "आप मना कर सकते हैं। यह ठीक है।", []string{"आप मना कर सकते हैं।", "यह ठीक है।"}},
		{"Urdu full stop", "آپ انکار کر سکتے ہیں۔ یہ ٹھیک ہے۔", []string{"آپ انکار کر سکتے ہیں۔", "یہ ٹھیک ہے۔"}},
		{"Arabic question mark", "هل تريد مناصرًا؟ يمكنك أن تطلب.", []string{"هل تريد مناصرًا؟", "يمكنك أن تطلب."}},
		{"CJK full stop without a space", "你可以拒绝。这没关系。", []string{"你可以拒绝。", "这没关系。"}},
		{"no end mark", "A heading", []string{"A heading"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sentences(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sentences(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"Phone 03069 990000 – any time.", 5},
		{"You can say no .", 4},
		{"يمكنك أن تقول لا.", 4},
	}
	for _, tt := range tests {
		if got := Words(tt.s); got != tt.want {
			t.Errorf("Words(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestInitialismsAndExplanations(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		explained  []bool
	}{
		{"words then initialism", "You may be on a Community Treatment Order (CTO) now.", []string{"CTO"}, []bool{true}},
		{"initialism then words", "A CTO (Community Treatment Order) lets you live at home.", []string{"CTO"}, []bool{true}},
		{"with a section in the brackets", "Community Treatment Order (CTO, s17A).", []string{"CTO"}, []bool{true}},
		{"bare", "Ask about ECT first.", []string{"ECT"}, []bool{false}},
		{"plural", "IMHAs (Independent Mental Health Advocates) help.", []string{"IMHA"}, []bool{true}},
		{"section references are not initialisms", "Under s130B and s5(2), or section 117.", nil, nil},
		{"single capitals are not initialisms", "I said A or B.", nil, nil},
		{"brackets without words before", "(CTO) alone.", []string{"CTO"}, []bool{false}},
		{"in Arabic text", "أمر العلاج المجتمعي (CTO) مهم.", []string{"CTO"}, []bool{true}},
		{"translation with the English words in the brackets", "Comisia (Care Quality Commission, CQC) verifică.", []string{"CQC"}, []bool{true}},
		{"in brackets after other words", "Ask about ECT and (maybe CTO) later.", []string{"ECT", "CTO"}, []bool{false, false}},
		{"Arabic comma", "لجنة جودة الرعاية (Care Quality Commission، CQC).", []string{"CQC"}, []bool{true}},
		{"closed brackets before", "(See this) ECT later.", []string{"ECT"}, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, spans := Initialisms(tt.text)
			if !reflect.DeepEqual(names, tt.want) {
				t.Fatalf("Initialisms = %q, want %q", names, tt.want)
			}
			for i := range names {
				if got := Explained(tt.text, spans[i]); got != tt.explained[i] {
					t.Errorf("Explained(%s) = %v, want %v", names[i], got, tt.explained[i])
				}
			}
		})
	}
}
