package chat

import (
	"slices"
	"testing"
)

// TestRiskScreening checks, per language, phrases that must trigger the
// safety message and near misses that must not. Positives include the
// spellings people really type: no accents, capitals, punctuation, and
// Arabic with or without hamza and diacritics.
func TestRiskScreening(t *testing.T) {
	e := loadEngine(t)
	tests := []struct {
		lang string
		risk []string
		safe []string
	}{
		{"en",
			[]string{"I want to kill myself", "KILLING MYSELF", "i'm suicidal", "I don't want to live anymore", "thinking of self-harm", "I cut myself last night", "he hits me", "I was raped", "I am not safe here", "someone is abusing me", "I might take an overdose"},
			[]string{"I have good skills", "my skill is cooking", "this is killing time", "I want to live near my family", "the staff are safe and kind", "I cut my hair", "bus timetable", "a hit song", "I am sure"}},
		{"pl",
			[]string{"Chcę umrzeć", "chce sie zabic", "myślę o samobójstwie", "nie chcę żyć", "on mnie bije", "zrobię sobie krzywdę", "jestem w niebezpieczeństwie"},
			[]string{"chcę zabić czas", "chcę żyć spokojnie", "dobrze się czuję", "chcę do domu"}},
		{"ro",
			[]string{"Vreau să mor", "mă gândesc la sinucidere", "nu vreau să trăiesc", "mă bate", "sunt în pericol", "vreau să-mi fac rău"},
			[]string{"vreau să mănânc", "vreau să trăiesc acasă", "sunt bine", "am nevoie de un avocat"}},
		{"pa",
			[]string{"ਮੈਂ ਮਰਨਾ ਚਾਹੁੰਦਾ ਹਾਂ", "ਖੁਦਕੁਸ਼ੀ", "ਉਹ ਮੈਨੂੰ ਕੁੱਟਦਾ ਹੈ", "ਮੈਂ ਖ਼ਤਰੇ ਵਿੱਚ ਹਾਂ", "main marna chahunda haan"},
			[]string{"ਮੈਂ ਘਰ ਜਾਣਾ ਚਾਹੁੰਦਾ ਹਾਂ", "ਮੈਨੂੰ ਮਦਦ ਚਾਹੀਦੀ", "ਮੈਂ ਠੀਕ ਹਾਂ"}},
		{"ur",
			[]string{"میں خودکشی کرنا چاہتا ہوں", "میں مرنا چاہتی ہوں", "وہ مجھے مارتا ہے", "میں خطرے میں ہوں", "mein marna chahta hoon"},
			[]string{"میں گھر جانا چاہتا ہوں", "مجھے مدد چاہیے", "میں ٹھیک ہوں"}},
		{"bn",
			[]string{"আমি আত্মহত্যা করতে চাই", "আমি মরতে চাই", "সে আমাকে মারে", "আমি বিপদে আছি", "বাঁচতে চাই না"},
			[]string{"আমি বাড়ি যেতে চাই", "আমি ঘুমাতে চাই", "আমি ভালো আছি"}},
		{"gu",
			[]string{"મારે આત્મહત્યા કરવી છે", "મારે મરી જવું છે", "તે મને મારે છે", "હું જોખમમાં છું"},
			[]string{"મારે ઘરે જવું છે", "મારું નામ સેમ છે", "હું ઠીક છું"}},
		{"ar",
			[]string{"أريد أن أموت", "اريد ان اموت", "أفكر في الانتحار", "سأقتل نفسي، أقتل نفسي", "لا أريد أن أعيش", "هو يضربني", "أنا في خطر", "تعرضت للتحرش", "أُريدُ أنْ أموتَ"},
			[]string{"أريد أن أعود إلى البيت", "أريد مناصرًا", "أنا بخير", "نفسي أشرب شاي"}},
		{"pt",
			[]string{"Quero morrer", "penso em suicídio", "não quero viver", "ele me bate", "estou em perigo", "vou me cortar"},
			[]string{"quero morar perto da família", "matar a saudade", "não estou seguro da data", "estou bem"}},
		{"es",
			[]string{"Quiero morirme", "pienso en el suicidio", "no quiero vivir", "mi pareja me pega", "estoy en peligro", "quiero hacerme daño"},
			[]string{"no estoy seguro", "quiero vivir con mi madre", "matemáticas", "estoy bien"}},
		{"so",
			[]string{"waxaan rabaa inaan is dilo", "isdilid", "waa la i garaacay", "khatar baan ku jiraa", "waxaan rabaa inaan dhinto"},
			[]string{"waxaan rabaa u doode", "waan fiicanahay", "is diiwaangeli"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			for _, s := range tt.risk {
				if !e.Risky(s) {
					t.Errorf("missed risk: %q (words %q)", s, normalize(s))
				}
			}
			for _, s := range tt.safe {
				if e.Risky(s) {
					t.Errorf("false alarm: %q matched %q", s, e.risk.hits(normalize(s))[0].text)
				}
			}
		})
	}
}

// TestSafetyComesFirstAndChatGoesOn: risk typed into any step, even an
// answer field, shows the safety message first, then carries on.
func TestSafetyComesFirstAndChatGoesOn(t *testing.T) {
	e := loadEngine(t)
	for _, st := range []State{at("referral", "help", nil), at("menu", "start", nil), at("referral", "name", nil), NewState("ar", VariantEasy, "")} {
		got, outs := stepOK(t, e, st, Input{Kind: InText, Value: "I want to end my life"})
		if outs[0].Kind != OutSafety || !slices.Contains(choiceValues(outs), ValuePerson) {
			t.Errorf("%s/%s: outputs %+v", st.Flow, st.Node, outs)
		}
		if st.Node == "help" && got.Node != "meeting" {
			t.Errorf("help answer did not carry on: %s", got.Node)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Don't  STOP—now!", "dont stop now"},
		{"Żółć łódź", "zolc lodz"},
		{"să-mi", "sa mi"},
		{"أُريدُ", "اريد"},
		{"ﻻ", "لا"},
		{"کیا ہے", "كيا هے"},
	}
	for _, tt := range tests {
		got := normalize(tt.in)
		if j := joinWords(got); j != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, j, tt.want)
		}
	}
}

func joinWords(w []string) string {
	s := ""
	for i, x := range w {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s
}
