# No token may hold an access that deletes something in production.
#
# Input: the plan, as `pstokens plan --format json` prints it. A token's wanted
# accesses are under input.config.tokens (its organization-level ones under the
# key "(organization)"); the accesses the plan grants are its "grant" changes.
#
# Arrays rather than `deny contains msg if` sets: rego-cpp builds an array in
# linear time, a set in time growing with the square of its size, and walks a
# rule body's input slower than a comprehension's (docs/rules.md, "Speed").
package pstokens.no_production_delete

import rego.v1

production_deletes := {
	"delete_production_branch",
	"delete_production_branch_backups",
	"delete_production_branch_password",
	"delete_production_read_only_branch_password",
}

# A set: a token asking for an access the plan grants is named once.
deny := {msg | some msg in array.concat(asked, granted)}

# Asked for in the config.
asked := [msg |
	some key
	token := input.config.tokens[key]
	some database
	access := token.accesses[database][_]
	access in production_deletes
	msg := sprintf("%s may not hold %s (on %s)", [key, access, database])
]

# Granted by this plan (a --target plan's config is whole too; this catches a grant
# to a token the config no longer describes).
granted := [msg |
	some change in input.changes
	change.action == "grant"
	some access in change.accesses
	access in production_deletes
	msg := sprintf("%s may not hold %s (on %s)", [change.key, access, where(change.database)])
]

where(database) := database if database != null

where(null) := "(organization)"
