"""Bringing an existing organization under management: export, export --adopt, import."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from tests.e2e.conftest import Cli, Emulator, write_config

NO_CHANGES = "No changes. The organization matches the configuration."
DAY = 86400


def _state(workdir: Path) -> dict[str, dict[str, object]]:
    tokens: dict[str, dict[str, object]] = json.loads(
        (workdir / "state" / "acme.json").read_text()
    )["tokens"]
    return tokens


def test_a_key_equal_to_a_name_belongs_to_the_token_of_exactly_that_name(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    store = emulator.store
    capital, _ = store.create_token("acme", "Ci-Deploy")
    store.grant("acme", capital["id"], ["read_branch"], "app-prod")
    lower, _ = store.create_token("acme", "ci-deploy")

    exported = cli("export", "--org", "acme")
    assert exported.code == 0, exported.both
    tokens = yaml.safe_load(exported.out)["tokens"]
    assert tokens["ci-deploy"] == {}  # the token named exactly ci-deploy holds nothing
    assert tokens["ci-deploy-2"] == {"accesses": {"databases": {"app-prod": ["read_branch"]}}}
    assert f"pstokens import ci-deploy-2 {capital['id']}" in exported.out

    (workdir / "pstokens.yaml").write_text(exported.out)
    imported = cli("import", "--by-name")
    assert f"Imported {lower['id']} as ci-deploy." in imported.out, imported.both
    assert cli("import", "ci-deploy-2", capital["id"]).code == 0
    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert NO_CHANGES in plan.out
    assert store.accesses("acme", lower["id"]) == []  # never granted Ci-Deploy's access


def _messy_organization(emulator: Emulator) -> int:
    """At least 40 tokens whose names differ only in case, repeat, hold spaces,
    unicode and control characters, run past 63 characters, or are null."""
    store = emulator.store
    names: list[str | None] = [
        "deploy", "Deploy", "DEPLOY", "deploy", "deploy", "dePloy",
        "twin", "twin", "twin-2", "twin-2",
        "Deploy Bot", "deploy bot", "deploy  bot", " deploy-bot ", "deploy-bot",
        "déploiement", "Déploiement", "部署", "部署", "🚀 release", "naïve café",
        "x" * 64, "x" * 63, "y" * 100, "y" * 100 + "!", "Z" * 70,
        None, None, None, "", " ", "---", "...",
        "evil\nNo changes. The organization matches the configuration.",
        "\x1b[31mred\x1b[0m", "tab\there", "line\u2028sep", 'quote"back\\slash',
        "token-abc", "UPPER.case_mixed-1", "a.b.c", "1-starts-with-digit",
    ]
    now = datetime.now(UTC).replace(microsecond=0)
    for n, name in enumerate(names):
        ttl = (30 + n) * DAY if n % 3 == 0 else (7200 + n if n % 3 == 1 else None)
        token, _ = store.create_token("acme", name, ttl=ttl,
                                      created_at=now - timedelta(minutes=n))
        if n % 2 == 0:
            store.grant("acme", token["id"], ["read_branch", "create_branch"], "app-prod")
        if n % 5 == 0:
            store.grant("acme", token["id"], ["read_databases"])
    return len(names)


def test_export_adopt_then_plan_shows_no_changes_however_messy_the_names(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    count = _messy_organization(emulator)
    assert count >= 40

    exported = cli("export", "--org", "acme", "--adopt")
    assert exported.code == 0, exported.both
    assert f"Recorded {count} tokens in state/acme.json" in exported.err
    (workdir / "pstokens.yaml").write_text(exported.out)
    assert cli("validate").code == 0

    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.both
    assert plan.out.strip().splitlines()[-1] == NO_CHANGES
    state = _state(workdir)
    assert len(state) == count
    assert {r["id"] for r in state.values()} == {t["id"] for t in emulator.tokens()}
    # A key equal to a name is a token of that exact name.
    names = {t["id"]: t["name"] for t in emulator.tokens()}
    for key, record in state.items():
        if key in names.values():
            assert names[str(record["id"])] == key


def test_export_adopt_refuses_a_state_that_already_records_keys(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    token, _ = emulator.store.create_token("acme", "deployer")
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens:\n  deployer: {}\n")
    assert cli("import", "deployer", token["id"]).code == 0
    before = (workdir / "state" / "acme.json").read_bytes()
    emulator.reset_stats()

    result = cli("export", "--adopt")
    assert result.code == 1
    assert "state/acme.json already records 1 key" in result.err
    assert result.out == ""
    assert emulator.stats()["total"] == 0
    assert (workdir / "state" / "acme.json").read_bytes() == before


def test_export_comments_escape_names_and_a_null_name_is_not_none(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    emulator.store.create_token("acme", None)
    emulator.store.create_token("acme", f"x\n{NO_CHANGES}\x1b]0;title\x07\u2028y")
    exported = cli("export", "--org", "acme")
    assert exported.code == 0, exported.both
    assert "None" not in exported.out
    assert "# token without a name: adopt with `pstokens import token-" in exported.out
    assert "\x1b" not in exported.out and "\x07" not in exported.out
    assert "\u2028" not in exported.out
    assert not any(line.startswith("No changes") for line in exported.out.splitlines())
    assert f'# name "x\\n{NO_CHANGES}\\x1b]0;title\\x07\\u2028y"' in exported.out
    (workdir / "pstokens.yaml").write_text(exported.out)
    assert cli("validate").code == 0


def test_export_takes_the_organization_of_the_config_file_and_refuses_another(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    emulator.store.create_token("acme", "deployer")
    emulator.store.create_token("other", "stranger")
    write_config(workdir / "pstokens.yaml", "organization: acme\ntokens: {}\n")

    exported = cli("export")
    assert exported.code == 0, exported.both
    assert yaml.safe_load(exported.out) == {"organization": "acme",
                                            "tokens": {"deployer": {}}}

    conflict = cli("export", "--org", "other")
    assert conflict.code == 1
    assert "names organization" in conflict.err and "refuses to guess" in conflict.err
    assert conflict.out == ""

    (workdir / "pstokens.yaml").write_text("")  # what `export > pstokens.yaml` leaves
    assert "stranger" in cli("export", "--org", "other").out


def test_import_of_a_token_already_managed_names_the_key_that_has_it(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    token, _ = emulator.store.create_token("acme", "deployer")
    write_config(workdir / "pstokens.yaml",
                 "organization: acme\ntokens:\n  deployer: {}\n  second: {}\n")
    assert cli("import", "deployer", token["id"]).code == 0
    emulator.reset_stats()
    result = cli("import", "second", token["id"])
    assert result.code == 1
    assert f"token {token['id']} is already managed as 'deployer'" in result.err
    assert emulator.stats()["total"] == 0


def test_import_by_name_adopts_only_exact_unique_names(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    store = emulator.store
    exact, _ = store.create_token("acme", "deployer", ttl=30 * DAY)
    store.grant("acme", exact["id"], ["read_branch"], "app-prod")
    store.create_token("acme", "Reader")
    store.create_token("acme", "twin")
    store.create_token("acme", "twin")
    write_config(workdir / "pstokens.yaml", """\
organization: acme
unmanaged: {policy: ignore}
tokens:
  deployer: {ttl: 30d, accesses: {databases: {app-prod: [read_branch]}}}
  reader: {}
  twin: {}
""")
    result = cli("import", "--by-name")
    assert result.code == 0, result.both
    assert f"Imported {exact['id']} as deployer." in result.out
    assert "Imported 1 token by name." in result.out
    assert "twin: 2 live tokens have this name" in result.err
    assert list(_state(workdir)) == ["deployer"]
    plan = json.loads(cli("plan", "--format", "json").out)
    assert sorted(c["key"] for c in plan["changes"]) == ["reader", "twin"]  # creates only


NAMESAKES = "organization: acme\ntokens:\n  dup:\n    accesses:\n      organization: " \
    "[read_databases]\n"


def test_a_key_named_like_one_unmanaged_token_suggests_adopting_it(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", NAMESAKES)
    one, _ = emulator.store.create_token("acme", "dup")
    shown = cli("plan").out
    assert (f"dup: live token {one['id']} already has this name and is not managed; apply "
            f"would make a second one. To adopt it instead: `pstokens import dup {one['id']}`"
            ) in " ".join(shown.split()), shown


def test_a_key_named_like_several_unmanaged_tokens_suggests_each_not_one_at_random(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    write_config(workdir / "pstokens.yaml", NAMESAKES)
    ids = sorted(emulator.store.create_token("acme", "dup")[0]["id"] for _ in range(2))
    shown = " ".join(cli("plan").out.split())
    assert (f"dup: live tokens {ids[0]}, {ids[1]} already have this name and are not "
            "managed; apply would make another one. To adopt one of them instead, pick it: "
            f"`pstokens import dup {ids[0]}` or `pstokens import dup {ids[1]}`") in shown, shown
    assert "already has this name" not in shown
