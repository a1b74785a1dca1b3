package spatial

import "slices"

// Principal is who makes a request: a subject and the roles it holds. Catalog layers name the roles
// that may read and write them.
type Principal struct {
	Subject string
	Roles   []string
}

// RolePublic is held by everyone, signed in or not; RoleAdmin may read and write every layer.
const (
	RolePublic = "public"
	RoleAdmin  = "admin"
)

// Anonymous is the principal of a request without credentials.
var Anonymous = Principal{Subject: "anonymous", Roles: []string{RolePublic}}

// Has reports whether p holds role (everyone holds public).
func (p Principal) Has(role string) bool {
	return role == RolePublic || slices.Contains(p.Roles, role)
}

// Any reports whether p holds any of roles, or is an admin.
func (p Principal) Any(roles []string) bool {
	if slices.Contains(p.Roles, RoleAdmin) {
		return true
	}
	return slices.ContainsFunc(roles, p.Has)
}
