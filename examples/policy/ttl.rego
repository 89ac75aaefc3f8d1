# Every token the plan makes expires within 90 days.
#
# Input: the plan, as `pstokens plan --format json` prints it. A create or
# replace change carries the new token's ttl in seconds (null: never expires).
package pstokens.ttl

import rego.v1

max_days := 90

deny contains msg if {
	some change in input.changes
	change.action in {"create", "replace"}
	change.ttl == null
	msg := sprintf("%s never expires; give it a ttl of at most %d days", [change.key, max_days])
}

deny contains msg if {
	some change in input.changes
	change.action in {"create", "replace"}
	change.ttl > max_days * 86400
	msg := sprintf("%s lives %d days; at most %d are allowed",
		[change.key, floor(change.ttl / 86400), max_days])
}
