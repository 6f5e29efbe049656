package referral

import "fmt"

// Status is where a referral is in its lifecycle:
//
//	new → acknowledged → allocated → contacted → closed
//
// and withdrawn from any open state (the person, or someone for them, said no).
type Status string

const (
	StatusNew          Status = "new"
	StatusAcknowledged Status = "acknowledged"
	StatusAllocated    Status = "allocated"
	StatusContacted    Status = "contacted"
	StatusClosed       Status = "closed"
	StatusWithdrawn    Status = "withdrawn"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusNew, StatusAcknowledged, StatusAllocated, StatusContacted, StatusClosed, StatusWithdrawn}

// OpenStatuses are the statuses a staff queue shows by default.
var OpenStatuses = []Status{StatusNew, StatusAcknowledged, StatusAllocated, StatusContacted}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether work on the referral is still to do.
func (s Status) Open() bool {
	return s.Valid() && s != StatusClosed && s != StatusWithdrawn
}

// next is the one forward step from each open status. Steps cannot be skipped, so the
// record always shows when a referral was acknowledged and allocated (standard records,
// recommendation 4).
var next = map[Status]Status{
	StatusNew:          StatusAcknowledged,
	StatusAcknowledged: StatusAllocated,
	StatusAllocated:    StatusContacted,
	StatusContacted:    StatusClosed,
}

// CanTransition reports whether a referral in from may move to to.
func CanTransition(from, to Status) bool {
	if !from.Open() {
		return false
	}
	return next[from] == to || to == StatusWithdrawn
}

// CheckTransition returns an error wrapping ErrTransition if from → to is not allowed.
func CheckTransition(from, to Status) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: %s → %s", ErrTransition, from, to)
	}
	return nil
}
