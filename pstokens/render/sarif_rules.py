"""The SARIF rules pstokens reports under, one per finding type, with their help.

Code scanning shows a rule's descriptions and help beside every alert, so each
finding type the engine has (`Rule`, `WarningKind`, escalations, unused tokens,
config problems) is described here once; tests/render/test_sarif_rules.py holds
every member of those enums to having an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pstokens.engine.rules.findings import WarningKind
from pstokens.engine.rules.guardrails import Rule

Level = Literal["error", "warning"]

# A placeholder, as pyproject's [project.urls]: pstokens has no public home yet
# (docs/ci-output.md says so). SARIF wants a URI here; change both together.
INFORMATION_URI = "https://github.com/pstokens/pstokens"
HELP_URI = f"{INFORMATION_URI}/blob/main/docs/ci-output.md#what-becomes-a-result"

CONFIG_RULE = "config"
CONFIG_WARNING_RULE = "config-warning"
UNUSED_RULE = "unused_after"
ESCALATION_RULE = "escalation"


@dataclass(frozen=True)
class RuleText:
    """A rule's level and words: one line, a paragraph, and what to do about it."""

    name: str  # PascalCase, as SARIF's `reportingDescriptor.name` asks
    level: Level
    short: str
    full: str
    help: str


# Rule ID -> its words. IDs of `rules:` findings are the rule's name, of plan warnings
# their kind, so a reader can match them to the config and the docs.
RULES: dict[str, RuleText] = {
    CONFIG_RULE: RuleText(
        "ConfigProblem", "error",
        "The config file has a problem: pstokens refuses to run with it.",
        "pstokens read the config and found something it cannot act on: an unknown key "
        "or access, a bad duration, a value of the wrong type. Nothing is planned or "
        "applied until it is fixed.",
        "Fix the config at the place shown; `pstokens validate` lists every problem at once."),
    CONFIG_WARNING_RULE: RuleText(
        "ConfigWarning", "warning",
        "The config is valid but says something probably not meant.",
        "The config is accepted, but a setting probably does not do what it seems to: a "
        "rotate_after not shorter than the ttl, or a notify: variable that is not set.",
        "Read the warning's text and change the setting, or set the variable it names."),
    Rule.FORBID_ACCESSES: RuleText(
        "ForbiddenAccess", "error",
        "A token holds an access that rules.forbid_accesses forbids.",
        "A live token (managed or not) or a token in the config holds an access listed "
        "under rules.forbid_accesses, at the organization or on a database.",
        "Remove the access from the token (in the config, or revoke it in PlanetScale for a "
        "token pstokens does not manage), or change the rule."),
    Rule.FORBID_OPERATIONS: RuleText(
        "ForbiddenOperation", "error",
        "A token can perform an operation that rules.forbid_operations forbids.",
        "One of the token's accesses allows an operation listed under "
        "rules.forbid_operations, by the operations table pstokens ships "
        "(`pstokens who-can OPERATION` lists every token that can perform it).",
        "Remove the access that allows the operation, or change the rule."),
    Rule.REQUIRE_TTL: RuleText(
        "TokenNeverExpires", "error",
        "A token never expires, but rules.require_ttl is true.",
        "rules.require_ttl asks every token to have an expiry; this one has none, so a "
        "leaked secret would stay usable until someone deletes the token.",
        "Give the key a ttl (a replacement token is made), or delete the token."),
    Rule.MAX_TTL: RuleText(
        "TokenLivesTooLong", "error",
        "A token lives longer than rules.max_ttl.",
        "The time from the token's creation to its expiry is longer than rules.max_ttl "
        "allows.",
        "Shorten the key's ttl to rules.max_ttl or less, or change the rule."),
    Rule.LEAKED: RuleText(
        "UnmanagedTokenLeaked", "error",
        "PlanetScale reports a token pstokens does not manage leaked.",
        "PlanetScale's audit log holds service_token.token_leaked for this live token: its "
        "secret was found in public. pstokens does not manage it, so it does not replace it.",
        "Replace the token where it is used, then delete it (or manage it with pstokens, "
        "which replaces leaked tokens at once)."),
    UNUSED_RULE: RuleText(
        "TokenUnused", "warning",
        "A live token has not been used for rules.unused_after.",
        "The token was last used, or created and never used, longer ago than "
        "rules.unused_after: an idle credential that could be removed.",
        "Delete the token (remove its key from the config) if nothing needs it."),
    WarningKind.EXPIRES_SOON: RuleText(
        "TokenExpiresSoon", "warning",
        "A managed token expires within 14 days and nothing in the plan replaces it.",
        "The key's token expires within 14 days and the plan does not replace it, so "
        "whatever uses it stops working then.",
        "Run `pstokens apply --replace KEY`, or set rotate_after so pstokens replaces it in "
        "time."),
    WarningKind.NAMESAKE: RuleText(
        "NameTakenByUnmanagedToken", "warning",
        "A key about to be created has the name of a live token pstokens does not manage.",
        "apply would create a second token with this name beside one made outside "
        "pstokens.",
        "Run `pstokens import KEY ID` to adopt the existing token instead, or rename the key."),
    WarningKind.ROTATION_STUCK: RuleText(
        "RotationStuck", "warning",
        "A replaced token is still in use 7 days after its successor was delivered.",
        "With retire_when_unused, pstokens deletes a replaced token only once PlanetScale "
        "has not seen it used for that long; this one is still used a week after its "
        "successor was delivered, so some consumer never switched.",
        "Find the consumer still using the old token and move it to the new one, or run "
        "`pstokens apply --force` to delete the old token anyway."),
    WarningKind.TOKENS_PILING_UP: RuleText(
        "TokensPilingUp", "warning",
        "A key's secret keeps reaching only some of its destinations: its tokens pile up.",
        "A new token that reaches only some destinations is kept, and so is the token it "
        "replaces, so while a destination keeps failing each apply leaves one more live "
        "token for the key.",
        "Fix the destination the last apply named as failing, then apply: the extra tokens "
        "are deleted once a new token reaches every destination."),
    ESCALATION_RULE: RuleText(
        "EscalationPath", "warning",
        "A token holds an access that leads to more access.",
        "write_service_tokens lets a token make new tokens, up to its own accesses; "
        "create_databases gives full access to every database it creates.",
        "Keep such accesses to the few tokens that need them, and forbid them elsewhere "
        "with rules.forbid_accesses."),
}


def policy_rule(package: str, file: str) -> RuleText:
    """The rule of a Rego policy (`rules.policies`): its ID is the policy's package."""
    return RuleText(
        "RegoPolicy", "error", f"The Rego policy {package} denies or warns about the plan.",
        f"The policy {package} ({file}), listed under rules.policies, was evaluated against "
        "the plan as `plan --format json` prints it: each string of its `deny` set is a "
        "violation, each string of its `warn` set a warning.",
        "Change the config so the plan no longer breaks the policy, or change the policy.")


def generic(rule: str) -> RuleText:
    """A rule for a finding this table does not describe yet: shown rather than lost."""
    return RuleText("Finding", "warning", f"pstokens finding {rule}.",
                    f"pstokens reported a finding of kind {rule}.",
                    "Read the result's message.")
