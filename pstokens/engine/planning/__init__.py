"""Pure: the planner and the plan it makes, and the guards a plan must pass.

Config, state and what was read in; a `Plan` value out (`planner`, `plan`;
`builder` holds the plan being made, `replacing` when a token is replaced and
its old ones retire), with what each change opens (`allows`), what makes it
unsafe, what moved since a saved plan (`stale`, `policy`) and what apply
records (`records`, `outcome`).
Nothing here reads a file or makes a call.
"""
