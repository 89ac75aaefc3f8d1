"""Config files that must fail validation, each with the one problem it holds.

Reusable beyond tests/config: every text is a complete pstokens.yaml naming
`organization: acme` (except the case about a missing organization, which
assumes neither --org nor PLANETSCALE_ORG is set), so running pstokens on it
fails at validation only: exit 1, no API call, no file written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BadConfig:
    id: str
    text: str
    message: str  # a substring of the problem's message
    line: int
    column: int


HEAD = "organization: acme\ntokens:\n"  # a token body follows at line 3


def _token(body: str) -> str:
    """A file whose only token, `ci` on line 3, has `body` from line 4 on."""
    return HEAD + "  ci:\n" + body


BAD_CONFIGS: list[BadConfig] = [
    # --- the file itself ---
    BadConfig("empty-file", "", "the config is empty", 1, 1),
    BadConfig("only-comments", "# nothing yet\n\n# here\n", "the config is empty", 1, 1),
    BadConfig("top-level-list", "- organization: acme\n", "the config must be a mapping", 1, 1),
    BadConfig("top-level-scalar", "acme\n", 'not the string "acme"', 1, 1),
    BadConfig("nul-character", "organization: acme\ntokens: {}\n# \x00\n", "U+0000", 3, 3),
    # --- YAML syntax ---
    BadConfig(
        "yaml-bad-indentation",
        _token("    ttl: 90d\n   rotate_after: 60d\n"),
        "invalid YAML: expected the end of the indented block",
        5,
        4,
    ),
    BadConfig(
        "yaml-unclosed-list",
        _token("    accesses:\n      organization: [read_databases\n"),
        "invalid YAML: expected ',' or ']', but got the end of the file",
        6,
        1,
    ),
    BadConfig("yaml-tab", "organization: acme\ntokens:\n\tci: {}\n", "found a tab", 3, 1),
    BadConfig(
        "yaml-colon-in-value",
        "organization: acme\ntokens: {}\nsafety: max_delete_percent: 3\n",
        "unexpected ':'",
        3,
        27,
    ),
    BadConfig(
        "yaml-unclosed-quote",
        'organization: "acme\ntokens: {}\n',
        "the file ends before the closing quote",
        3,
        1,
    ),
    BadConfig(
        "yaml-two-documents",
        "organization: acme\ntokens: {}\n---\ntokens: {}\n",
        "more than one YAML document",
        3,
        1,
    ),
    # --- what the YAML may hold ---
    BadConfig(
        "alias",
        "organization: acme\ntokens:\n  a: &same {ttl: 1d}\n  b: *same\n",
        "YAML aliases (*same) are not supported",
        4,
        6,
    ),
    BadConfig(
        "billion-laughs",
        "organization: acme\ntokens: {}\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        + "".join(
            f"x{i}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
        ),
        "YAML aliases (*a) are not supported",
        4,
        9,
    ),
    BadConfig(
        "python-tag",
        "organization: acme\ntokens: !!python/object/apply:os.system [echo hi]\n",
        'tag "!!python/object/apply:os.system" is not allowed',
        2,
        9,
    ),
    BadConfig("custom-tag", "organization: !env ORG\ntokens: {}\n", 'tag "!env"', 1, 15),
    BadConfig(
        "merge-key",
        "organization: acme\ntokens:\n  ci:\n    <<: {ttl: 1d}\n",
        "merge keys (<<) are not supported",
        4,
        5,
    ),
    BadConfig(
        "deep-nesting",
        "organization: acme\ntokens: {}\nx: " + "[" * 40 + "]" * 40 + "\n",
        "nests deeper than 32 levels",
        3,
        35,
    ),
    # --- keys ---
    BadConfig(
        "duplicate-top-level-key",
        "organization: acme\ntokens: {}\norganization: acme\n",
        'duplicate key "organization" in the config (first at line 1',
        3,
        1,
    ),
    BadConfig(
        "duplicate-token",
        HEAD + "  ci: {}\n  web: {}\n  ci: {}\n",
        'duplicate key "ci" in tokens (first at line 3',
        5,
        3,
    ),
    BadConfig(
        "duplicate-token-field",
        _token("    ttl: 90d\n    ttl: 30d\n"),
        'duplicate key "ttl" in token "ci" (first at line 4',
        5,
        5,
    ),
    BadConfig(
        "duplicate-database",
        _token("    accesses:\n      databases:\n        app: [read_branch]\n        app: []\n"),
        'duplicate key "app" in accesses.databases',
        7,
        9,
    ),
    BadConfig(
        "unknown-top-level-key",
        "organization: acme\nsafty: {}\ntokens: {}\n",
        'unknown key "safty" in the config (did you mean "safety"?)',
        2,
        1,
    ),
    BadConfig(
        "unknown-token-field",
        _token("    ttll: 90d\n"),
        'unknown key "ttll" in token "ci" (did you mean "ttl"?)',
        4,
        5,
    ),
    BadConfig(
        "unknown-unmanaged-key",
        "organization: acme\nunmanaged:\n  excepts: [x]\ntokens: {}\n",
        'unknown key "excepts" in unmanaged (did you mean "except"?)',
        3,
        3,
    ),
    BadConfig(
        "unknown-safety-key",
        "organization: acme\nsafety:\n  max_deletes: 5\ntokens: {}\n",
        'unknown key "max_deletes" in safety',
        3,
        3,
    ),
    BadConfig(
        "unknown-accesses-key",
        _token("    accesses:\n      database: {}\n"),
        '(did you mean "databases"?)',
        5,
        7,
    ),
    BadConfig(
        "unknown-key-without-suggestion",
        "organization: acme\nzzz: 1\ntokens: {}\n",
        "expected one of: organization, tokens, unmanaged, safety",
        2,
        1,
    ),
    BadConfig(
        "numeric-token-key",
        HEAD + "  1234: {}\n",
        'keys in tokens must be strings, not the number 1234 (quote it: "1234")',
        3,
        3,
    ),
    BadConfig("boolean-token-key", HEAD + "  yes: {}\n", "not the boolean yes (quote it", 3, 3),
    BadConfig("list-as-key", HEAD + "  ? [a]\n  : {}\n", "not a list", 3, 5),
    BadConfig("null-key", HEAD + "  ~: {}\n", "not an empty value", 3, 3),
    # --- names ---
    BadConfig("token-key-uppercase", HEAD + "  CI-Deploy: {}\n", 'bad token key "CI-Deploy"', 3, 3),
    BadConfig("token-key-leading-dot", HEAD + "  .hidden: {}\n", "starting with a letter", 3, 3),
    BadConfig("token-key-slash", HEAD + "  ci/deploy: {}\n", 'bad token key "ci/deploy"', 3, 3),
    BadConfig("token-key-too-long", HEAD + "  " + "k" * 64 + ": {}\n", "1 to 63", 3, 3),
    BadConfig("token-key-empty", HEAD + '  "": {}\n', 'bad token key ""', 3, 3),
    BadConfig(
        "database-name-slash",
        _token("    accesses:\n      databases:\n        app/prod: [read_branch]\n"),
        'bad database name "app/prod"',
        6,
        9,
    ),
    BadConfig(
        "organization-path",
        "organization: ../etc\ntokens: {}\n",
        'bad organization name "../etc"',
        1,
        15,
    ),
    # --- required parts and their types ---
    BadConfig("organization-missing", "tokens: {}\n", "organization is required", 1, 1),
    BadConfig(
        "organization-not-string",
        "organization: [acme]\ntokens: {}\n",
        "organization must be an organization name, not a list",
        1,
        15,
    ),
    BadConfig("tokens-missing", "organization: acme\n", "tokens is required", 1, 1),
    BadConfig("tokens-list", "organization: acme\ntokens: []\n", "tokens must be a mapping", 2, 9),
    BadConfig(
        "tokens-null",
        "organization: acme\ntokens:\n",
        "tokens must be a mapping of token keys to their settings (`tokens: {}` for none), "
        "not an empty value",
        2,
        8,
    ),
    BadConfig(
        "token-is-string", HEAD + "  ci: read_branch\n", 'token "ci" must be a mapping', 3, 7
    ),
    # --- durations ---
    BadConfig("ttl-list", _token("    ttl: [1]\n"), "ttl must be a duration such as 90d", 4, 10),
    BadConfig(
        "ttl-without-unit",
        _token("    ttl: 90\n"),
        'bad duration "90": use a positive whole number followed by s, m, h or d, e.g. 90d',
        4,
        10,
    ),
    BadConfig("ttl-bad-unit", _token("    ttl: 90x\n"), 'bad duration "90x"', 4, 10),
    BadConfig("ttl-zero", _token("    ttl: 0d\n"), 'bad duration "0d"', 4, 10),
    BadConfig("ttl-negative", _token("    ttl: -5d\n"), 'bad duration "-5d"', 4, 10),
    BadConfig("ttl-empty", _token("    ttl:\n"), "ttl must be a duration", 4, 9),
    BadConfig(
        "rotate-after-fraction", _token("    rotate_after: 1.5d\n"), 'bad duration "1.5d"', 4, 19
    ),
    BadConfig("ttl-too-long", _token("    ttl: 36501d\n"), "too long", 4, 10),
    # --- booleans and numbers ---
    BadConfig(
        "prevent-destroy-quoted-yes",
        _token('    prevent_destroy: "yes"\n'),
        'prevent_destroy must be true or false, not the string "yes"',
        4,
        22,
    ),
    BadConfig(
        "prevent-destroy-number",
        _token("    prevent_destroy: 1\n"),
        "prevent_destroy must be true or false, not the number 1",
        4,
        22,
    ),
    BadConfig(
        "allow-unknown-accesses-string",
        "organization: acme\nallow_unknown_accesses: 'true'\ntokens: {}\n",
        "allow_unknown_accesses must be true or false",
        2,
        25,
    ),
    BadConfig(
        "max-delete-percent-too-big",
        "organization: acme\nsafety:\n  max_delete_percent: 101\ntokens: {}\n",
        "max_delete_percent must be a whole number from 0 to 100, not the number 101",
        3,
        23,
    ),
    BadConfig(
        "max-delete-percent-negative",
        "organization: acme\nsafety: {max_delete_percent: -1}\ntokens: {}\n",
        "not the number -1",
        2,
        30,
    ),
    BadConfig(
        "max-delete-percent-boolean",
        "organization: acme\nsafety:\n  max_delete_percent: true\ntokens: {}\n",
        "not the boolean true",
        3,
        23,
    ),
    BadConfig(
        "max-delete-percent-fraction",
        "organization: acme\nsafety:\n  max_delete_percent: 12.5\ntokens: {}\n",
        "not the number 12.5",
        3,
        23,
    ),
    BadConfig(
        "max-delete-percent-string",
        "organization: acme\nsafety:\n  max_delete_percent: '30'\ntokens: {}\n",
        'not the string "30"',
        3,
        23,
    ),
    # --- unmanaged ---
    BadConfig(
        "policy-misspelt",
        "organization: acme\nunmanaged:\n  policy: reprot\ntokens: {}\n",
        'unknown policy "reprot" (did you mean "report"?)',
        3,
        11,
    ),
    BadConfig(
        "policy-not-string",
        "organization: acme\nunmanaged: {policy: [report]}\ntokens: {}\n",
        "unmanaged.policy must be one of ignore, report, delete, not a list",
        2,
        21,
    ),
    BadConfig(
        "except-not-list",
        "organization: acme\nunmanaged:\n  except: legacy-admin\ntokens: {}\n",
        "unmanaged.except must be a list of token names or IDs, not the string",
        3,
        11,
    ),
    BadConfig(
        "except-item-number",
        "organization: acme\nunmanaged:\n  except: [legacy, 123456789012]\ntokens: {}\n",
        'not the number 123456789012 (quote it: "123456789012")',
        3,
        20,
    ),
    BadConfig(
        "unmanaged-not-mapping",
        "organization: acme\nunmanaged: delete\ntokens: {}\n",
        "unmanaged must be a mapping",
        2,
        12,
    ),
    # --- accesses ---
    BadConfig(
        "unknown-database-access",
        _token("    accesses:\n      databases:\n        app: [read_brnch]\n"),
        'unknown access "read_brnch" (did you mean "read_branch"?)',
        6,
        15,
    ),
    BadConfig(
        "unknown-organization-access",
        _token("    accesses:\n      organization: [read_databse]\n"),
        'unknown access "read_databse" (did you mean "read_databases"?)',
        5,
        22,
    ),
    BadConfig(
        "misspelt-database-access-under-organization",
        _token("    accesses:\n      organization: [read_brnch]\n"),
        'unknown access "read_brnch" (did you mean "read_branch"? it is a database access)',
        5,
        22,
    ),
    BadConfig(
        "unknown-access-no-suggestion",
        _token("    accesses:\n      organization:\n        - frobnicate\n"),
        "set allow_unknown_accesses: true",
        6,
        11,
    ),
    BadConfig(
        "organization-access-under-database",
        _token("    accesses:\n      databases:\n        app: [read_branch, read_databases]\n"),
        '"read_databases" is an organization access; list it under accesses.organization',
        6,
        28,
    ),
    BadConfig(
        "database-access-under-organization",
        _token("    accesses:\n      organization: [read_branch]\n"),
        '"read_branch" is a database access; list it under accesses.databases',
        5,
        22,
    ),
    BadConfig(
        "duplicate-access",
        _token("    accesses:\n      databases:\n        app: [read_branch, read_branch]\n"),
        '"read_branch" is listed twice in accesses.databases.app (first at line 6, column 15)',
        6,
        28,
    ),
    BadConfig(
        "access-not-string",
        _token("    accesses:\n      databases:\n        app:\n          - {read: branch}\n"),
        "each entry of accesses.databases.app must be an access name, not a mapping",
        7,
        13,
    ),
    BadConfig(
        "access-list-is-string",
        _token("    accesses:\n      organization: read_databases\n"),
        "accesses.organization must be a list of access names",
        5,
        21,
    ),
    BadConfig(
        "databases-is-list",
        _token("    accesses:\n      databases: [app]\n"),
        "accesses.databases must be a mapping of database names",
        5,
        18,
    ),
    BadConfig(
        "accesses-is-list",
        _token("    accesses: [read_branch]\n"),
        'the accesses of token "ci" must be a mapping',
        4,
        15,
    ),
    BadConfig(
        "allowed-unknown-access-not-snake-case",
        "organization: acme\nallow_unknown_accesses: true\ntokens:\n  ci:\n"
        "    accesses: {organization: [Read-Everything]}\n",
        'bad access name "Read-Everything"',
        5,
        31,
    ),
    BadConfig(
        "allowed-unknown-still-checks-level",
        "organization: acme\nallow_unknown_accesses: true\ntokens:\n  ci:\n"
        "    accesses: {organization: [new_thing, read_branch]}\n",
        '"read_branch" is a database access',
        5,
        42,
    ),
    # --- rules ---
    BadConfig(
        "rules-unknown-key",
        "organization: acme\nrules:\n  forbid_acesses: [delete_databases]\ntokens: {}\n",
        'unknown key "forbid_acesses" in rules (did you mean "forbid_accesses"?)',
        3,
        3,
    ),
    BadConfig(
        "rules-misspelt-forbidden-access",
        "organization: acme\nrules:\n  forbid_accesses: [delete_prod_branch]\ntokens: {}\n",
        'unknown access "delete_prod_branch" (did you mean "delete_production_branch"?)',
        3,
        21,
    ),
    BadConfig(
        "rules-bad-max-ttl",
        "organization: acme\nrules:\n  max_ttl: 180\ntokens: {}\n",
        'bad duration "180"',
        3,
        12,
    ),
    BadConfig(
        "rules-bad-unused-after",
        "organization: acme\nrules:\n  unused_after: 3w\ntokens: {}\n",
        'bad duration "3w"',
        3,
        17,
    ),
    BadConfig(
        "rules-require-ttl-not-boolean",
        "organization: acme\nrules:\n  require_ttl: always\ntokens: {}\n",
        'rules.require_ttl must be true or false, not the string "always"',
        3,
        16,
    ),
    BadConfig(
        "rules-is-a-list",
        "organization: acme\nrules: [require_ttl]\ntokens: {}\n",
        "rules must be a mapping with forbid_accesses",
        2,
        8,
    ),
]
