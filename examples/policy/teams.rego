# A token whose key starts with a team's prefix (payments-ci) may only touch
# that team's databases (payments-prod, payments-staging).
#
# Input: the plan, as `pstokens plan --format json` prints it.
#
# Arrays rather than `deny contains msg if` sets: rego-cpp builds an array in
# linear time, a set in time growing with the square of its size, and walks a
# rule body's input slower than a comprehension's (docs/rules.md, "Speed").
package pstokens.teams

import rego.v1

teams := {"payments", "search"}

team_of(key) := team if {
	some team in teams
	startswith(key, concat("", [team, "-"]))
}

# A set: a token asking for an access the plan grants is named once.
deny := {msg | some msg in array.concat(asked, granted)}

# Asked for in the config.
asked := [msg |
	some key
	token := input.config.tokens[key]
	team := team_of(key)
	some database
	token.accesses[database]
	database != "(organization)"
	not startswith(database, concat("", [team, "-"]))
	msg := sprintf("%s belongs to team %s and may not touch database %s", [key, team, database])
]

# Granted by this plan.
granted := [msg |
	some change in input.changes
	change.action == "grant"
	change.database != null
	team := team_of(change.key)
	not startswith(change.database, concat("", [team, "-"]))
	msg := sprintf("%s belongs to team %s and may not touch database %s",
		[change.key, team, change.database])
]

# A team token with organization-wide accesses reaches every team's databases.
warn := [msg |
	some key
	token := input.config.tokens[key]
	team := team_of(key)
	count(object.get(token.accesses, "(organization)", [])) > 0
	msg := sprintf("%s belongs to team %s but holds organization accesses", [key, team])
]
