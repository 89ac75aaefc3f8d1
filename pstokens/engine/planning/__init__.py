"""Pure: the planner and the plan it makes, and the guards a plan must pass.

Config, state and what was read in; a `Plan` value out (`planner`, `plan`;
`converge` brings every key to its spec: when a token is replaced, a lost
create adopted, its old ones retired), with what each change opens (`allows`),
what makes it unsafe, what moved since a saved plan (`stale`, `policy`) and
what apply records (`records`, `outcome`).
Nothing here reads a file or makes a call.
"""
