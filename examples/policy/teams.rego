# A token whose key starts with a team's prefix (payments-ci) may only touch
# that team's databases (payments-prod, payments-staging).
#
# Input: the plan, as `pstokens plan --format json` prints it.
package pstokens.teams

import rego.v1

teams := {"payments", "search"}

team_of(key) := team if {
	some team in teams
	startswith(key, concat("", [team, "-"]))
}

# Asked for in the config.
deny contains msg if {
	some key, token in input.config.tokens
	team := team_of(key)
	some database, _ in token.accesses
	database != "(organization)"
	not startswith(database, concat("", [team, "-"]))
	msg := sprintf("%s belongs to team %s and may not touch database %s", [key, team, database])
}

# Granted by this plan.
deny contains msg if {
	some change in input.changes
	change.action == "grant"
	change.database != null
	team := team_of(change.key)
	not startswith(change.database, concat("", [team, "-"]))
	msg := sprintf("%s belongs to team %s and may not touch database %s",
		[change.key, team, change.database])
}

# A team token with organization-wide accesses reaches every team's databases.
warn contains msg if {
	some key, token in input.config.tokens
	team := team_of(key)
	count(object.get(token.accesses, "(organization)", [])) > 0
	msg := sprintf("%s belongs to team %s but holds organization accesses", [key, team])
}
