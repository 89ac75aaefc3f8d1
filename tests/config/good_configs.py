"""Valid pstokens.yaml texts, with the Config each must parse to.

Shared with other test suites (CLI, engine) that need a config known to pass.
"""

from __future__ import annotations

from pstokens.config import Config, TokenSpec

DAY = 86400

# The example from PRODUCT.md, verbatim.
PRODUCT_EXAMPLE = """\
organization: acme              # or PLANETSCALE_ORG
unmanaged:
  policy: report                # ignore | report | delete   (default: report)
  except: [legacy-admin]        # token names or IDs never reported or deleted
safety:
  max_delete_percent: 30        # more deletes than this share of managed tokens
                                # (when 10 or more are managed) needs --force
tokens:
  ci-deploy:                    # the key: the token's identity in pstokens,
                                # and its PlanetScale name when created
    ttl: 90d                    # optional; s/m/h/d; sets the token's expiry
    rotate_after: 60d           # optional; older tokens are planned for replacement
    prevent_destroy: true       # optional; delete/replace is skipped and reported
    accesses:
      organization: [read_databases]
      databases:
        app-prod: [read_branch, create_deploy_request]
        app-staging: [read_branch, create_branch, delete_branch]
"""

PRODUCT_EXAMPLE_CONFIG = Config(
    organization="acme",
    tokens={
        "ci-deploy": TokenSpec(
            key="ci-deploy",
            accesses={
                None: frozenset({"read_databases"}),
                "app-prod": frozenset({"read_branch", "create_deploy_request"}),
                "app-staging": frozenset({"read_branch", "create_branch", "delete_branch"}),
            },
            ttl=90 * DAY,
            rotate_after=60 * DAY,
            prevent_destroy=True,
        )
    },
    unmanaged_policy="report",
    unmanaged_except=frozenset({"legacy-admin"}),
    max_delete_percent=30,
    allow_unknown_accesses=False,
    path="pstokens.yaml",
)

# The least a config can say.
MINIMAL = "organization: acme\ntokens: {}\n"

# Every optional part left out or empty, plus names at the edges of the rules.
SPARSE = (
    """\
organization: acme
unmanaged:
safety:
tokens:
  a: {}
  bare:
  0.9_x-y: {accesses: {}}
  empty-lists:
    accesses:
      organization: []
      databases:
        app-prod: []
        Other_DB: [read_branch]
  """
    + "k" * 63
    + """:
    ttl: 1s
"""
)

SPARSE_CONFIG = Config(
    organization="acme",
    tokens={
        "a": TokenSpec("a"),
        "bare": TokenSpec("bare"),
        "0.9_x-y": TokenSpec("0.9_x-y"),
        "empty-lists": TokenSpec("empty-lists", {"Other_DB": frozenset({"read_branch"})}),
        "k" * 63: TokenSpec("k" * 63, ttl=1),
    },
)
