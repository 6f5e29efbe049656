package staff

import "github.com/imha-advocacy/imha/server/store"

// Permission is one thing a signed-in user may do.
type Permission string

const (
	PermViewQueue      Permission = "queue.view"      // see the queue and referral pages
	PermChangeStatus   Permission = "referral.status" // acknowledge, record contact, close, withdraw
	PermAllocate       Permission = "referral.allocate"
	PermReferOnBehalf  Permission = "referral.create" // refer on behalf, register a qualifying patient
	PermImport         Permission = "referral.import" // CSV upload from the MHA office
	PermManageUsers    Permission = "users.manage"
	PermManageAPIKeys  Permission = "apikeys.manage"
	PermViewOwnWardRef Permission = "referral.ward"   // see referrals on one's own ward only
	PermViewMonitoring Permission = "monitoring.view" // the commissioners' report: counts only
	PermExportRecords  Permission = "records.export"  // download standard records of a period
	PermPersonRecords  Permission = "records.person"  // a person's own records: download or erase
)

// permissions is the one place that says which role may do what. Ward staff may refer
// but not see or change the queue: advocacy is independent of the hospital, and the
// queue holds other wards' patients.
var permissions = map[string]map[Permission]bool{
	store.RoleWardStaff: {PermReferOnBehalf: true},
	store.RoleAdvocate:  {PermViewQueue: true, PermChangeStatus: true},
	store.RoleCoordinator: {PermViewQueue: true, PermChangeStatus: true, PermAllocate: true,
		PermReferOnBehalf: true, PermImport: true, PermViewMonitoring: true, PermExportRecords: true},
	// Erasure cannot be undone, so person requests stay with admins.
	store.RoleAdmin: {PermViewQueue: true, PermChangeStatus: true, PermAllocate: true, PermReferOnBehalf: true,
		PermImport: true, PermManageUsers: true, PermManageAPIKeys: true, PermViewMonitoring: true,
		PermExportRecords: true, PermPersonRecords: true},
}

// Can reports whether role has permission p. Unknown roles have none.
func Can(role string, p Permission) bool { return permissions[role][p] }
