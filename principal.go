package dragnet

import "context"

// Principal is the caller of a service method: an organisation acting with
// a token's role, or the system itself (administrative commands run on the
// store directly). It rides in the context; stores read it from there and
// apply the access rules in their own queries, so no read path can forget
// them.
type Principal struct {
	Org     *Org  // nil only for the system principal
	Role    Role  // the token's role
	TokenID int64 // 0 when not authenticated by token (CLI acting for an org)
	System  bool  // administrative access on the store itself; sees no intelligence
	Remote  string
}

// IsOperator reports whether the principal administers the hub: the system
// itself, or an admin token of the operator organisation.
func (p Principal) IsOperator() bool {
	return p.System || (p.Org != nil && p.Org.Operator && p.Role == RoleAdmin)
}

// Name returns the organisation name, or "system".
func (p Principal) Name() string {
	if p.Org == nil {
		return "system"
	}
	return p.Org.Name
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// SystemContext returns a context for administrative commands acting on the
// store directly (org add, group add, token add, migrate).
func SystemContext(ctx context.Context) context.Context {
	return WithPrincipal(ctx, Principal{System: true, Role: RoleAdmin})
}

// OrgContext returns a context acting for org with role, as the CLI does for
// commands that take --org (ingest, export, match).
func OrgContext(ctx context.Context, org *Org, role Role) context.Context {
	return WithPrincipal(ctx, Principal{Org: org, Role: role})
}
