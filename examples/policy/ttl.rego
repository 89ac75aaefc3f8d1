# Every token the plan makes expires within 90 days.
#
# Input: the plan, as `pstokens plan --format json` prints it. A create or
# replace change carries the new token's ttl in seconds (null: never expires).
#
# `deny` is an array comprehension rather than `deny contains msg if`: rego-cpp
# (pstokens' evaluator) builds an array in linear time, a set in time growing
# with the square of its size, and walks a rule body's input slower than a
# comprehension's (docs/rules.md, "Speed").
package pstokens.ttl

import rego.v1

max_days := 90

deny := [msg |
	some change in input.changes
	change.action in {"create", "replace"}
	msg := too_long(change)
]

too_long(change) := sprintf("%s never expires; give it a ttl of at most %d days",
	[change.key, max_days]) if change.ttl == null

too_long(change) := sprintf("%s lives %d days; at most %d are allowed",
	[change.key, floor(change.ttl / 86400), max_days]) if change.ttl > max_days * 86400
