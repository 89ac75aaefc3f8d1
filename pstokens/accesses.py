"""The access names PlanetScale knows, by level.

Config validation, the planner and the emulator all read this one catalogue,
so a name added by PlanetScale is added here once.
"""

from __future__ import annotations

import difflib

ORGANIZATION_ACCESSES: frozenset[str] = frozenset(
    {
        "read_organization",
        "write_organization",
        "read_invoices",
        "read_audit_logs",
        "read_databases",
        "create_databases",
        "delete_databases",
        "read_oauth_applications",
        "read_oauth_tokens",
        "write_oauth_tokens",
        "delete_oauth_tokens",
        "read_service_tokens",
        "write_service_tokens",
        "delete_service_tokens",
        "write_teams",
        "read_metrics_endpoints",
    }
)

DATABASE_ACCESSES: frozenset[str] = frozenset(
    {
        "read_database",
        "write_database",
        "delete_database",
        "create_branch",
        "read_branch",
        "delete_branch",
        "delete_production_branch",
        "promote_branches",
        "demote_branches",
        "connect_branch",
        "connect_production_branch",
        "connect_production_read_only_branch",
        "create_branch_password",
        "create_production_branch_password",
        "create_production_read_only_branch_password",
        "delete_branch_password",
        "delete_production_branch_password",
        "delete_production_read_only_branch_password",
        "create_deploy_request",
        "create_deploy_requests",
        "read_deploy_request",
        "review_deploy_request",
        "approve_deploy_request",
        "create_comment",
        "read_comment",
        "read_backups",
        "write_backups",
        "delete_backups",
        "delete_production_branch_backups",
        "restore_backup",
        "restore_production_branch_backup",
        "write_branch_vschema",
        "write_production_branch_vschema",
        "read_schema_recommendations",
        "close_schema_recommendations",
    }
)

ALL_ACCESSES: frozenset[str] = ORGANIZATION_ACCESSES | DATABASE_ACCESSES


def suggest(name: str, candidates: frozenset[str] = ALL_ACCESSES) -> str | None:
    """The closest known access name to a misspelt one, if any is close."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
