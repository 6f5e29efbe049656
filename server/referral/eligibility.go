package referral

// LegalStatus is the person's status under the Mental Health Act 1983, as a referral
// form asks for it.
type LegalStatus string

const (
	LegalS2                   LegalStatus = "s2"
	LegalS3                   LegalStatus = "s3"
	LegalS37                  LegalStatus = "s37"
	LegalS37_41               LegalStatus = "s37_41"
	LegalS47_49               LegalStatus = "s47_49"
	LegalS48_49               LegalStatus = "s48_49"
	LegalS35                  LegalStatus = "s35"
	LegalS36                  LegalStatus = "s36"
	LegalS38                  LegalStatus = "s38"
	LegalCTO                  LegalStatus = "cto"                   // community treatment order, s17A
	LegalGuardianship         LegalStatus = "guardianship"          // s7 or s37 guardianship
	LegalConditionalDischarge LegalStatus = "conditional_discharge" // restricted patient, conditionally discharged
	LegalInformalS57          LegalStatus = "informal_s57"          // informal, being considered for s57 treatment
	LegalInformalU18ECT       LegalStatus = "informal_u18_ect"      // informal under-18 being considered for ECT (s58A)
	LegalInformal             LegalStatus = "informal"              // voluntary inpatient: eligible only under the Mental Health Act 2025 when in force
	LegalNotSure              LegalStatus = "not_sure"
)

// LegalStatuses lists every status a referral may record.
var LegalStatuses = []LegalStatus{
	LegalS2, LegalS3, LegalS37, LegalS37_41, LegalS47_49, LegalS48_49, LegalS35, LegalS36,
	LegalS38, LegalCTO, LegalGuardianship, LegalConditionalDischarge, LegalInformalS57,
	LegalInformalU18ECT, LegalInformal, LegalNotSure,
}

// Valid reports whether s is one of LegalStatuses.
func (s LegalStatus) Valid() bool {
	for _, v := range LegalStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Eligibility is the answer to "can this person have an IMHA?".
type Eligibility string

const (
	Eligible    Eligibility = "eligible"
	NotEligible Eligibility = "not_eligible"
	CheckNeeded Eligibility = "check_needed" // unknown status: a person at the service decides, never the software alone
)

// Policy is the deployment's configuration of the rules.
type Policy struct {
	// InformalEligible switches on the Mental Health Act 2025 right to an IMHA for
	// informal (voluntary) inpatients in England, once it is in force.
	InformalEligible bool
}

// notEligible are the short-term holding powers s130C excludes: s4, 5(2), 5(4), 135,
// 136. They are not LegalStatus values (a referral is never stored with them), but
// the chat and forms accept them as answers so they can say so kindly and point to
// other help.
var notEligible = map[string]bool{
	"s4": true, "s5_2": true, "s5_4": true, "s135": true, "s136": true,
}

// CheckEligibility says whether status qualifies for an IMHA under s130C of the Mental
// Health Act 1983 (England), with p's switches. status may be a LegalStatus or one of
// the excluded sections "s4", "s5_2", "s5_4", "s135", "s136".
func CheckEligibility(status string, p Policy) Eligibility {
	switch LegalStatus(status) {
	case LegalS2, LegalS3, LegalS37, LegalS37_41, LegalS47_49, LegalS48_49, LegalS35,
		LegalS36, LegalS38, LegalCTO, LegalGuardianship, LegalConditionalDischarge,
		LegalInformalS57, LegalInformalU18ECT:
		return Eligible
	case LegalInformal:
		if p.InformalEligible {
			return Eligible
		}
		return NotEligible
	}
	if notEligible[status] {
		return NotEligible
	}
	return CheckNeeded // not_sure, or anything we do not recognise
}
