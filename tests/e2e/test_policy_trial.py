"""Rego policies as a new user met them against the emulator: a deny stops apply
before any write, pstokens' own credentials never reach a policy, hostile token
names round-trip, and every output (text, Markdown, notifications) counts denies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import API_KEY, Cli, Emulator, write_config

pytest.importorskip("regopy")

EXAMPLES = Path(__file__).parents[2] / "examples" / "policy"

DENIED = """\
organization: acme
rules:
  policies: [policy/no_production_delete.rego]
tokens:
  ci:
    ttl: 30d
    accesses:
      databases:
        app-prod: [read_branch, delete_production_branch]
"""
DENY_MESSAGE = "ci may not hold delete_production_branch (on app-prod)"


@pytest.fixture
def policies(workdir: Path) -> Path:
    shutil.copytree(EXAMPLES, workdir / "policy")
    return workdir / "policy"


def test_a_deny_stops_apply_before_any_write(
    cli: Cli, emulator: Emulator, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", DENIED)
    result = cli("apply", "--auto-approve")
    assert result.code == 1, result.both
    assert "refusing to apply: 1 policy violation: pstokens.no_production_delete" in result.err
    assert f"\"{DENY_MESSAGE}\"" in result.err
    assert "--force does not override a policy" in result.err
    assert emulator.tokens() == []
    assert not [r for r in emulator.stats()["by_route"] if not r.startswith("GET ")]

    forced = cli("apply", "--auto-approve", "--force")
    assert forced.code == 1 and emulator.tokens() == [], forced.both


def test_a_deny_on_a_converged_organization_still_fails_apply(
    cli: Cli, emulator: Emulator, workdir: Path, policies: Path
) -> None:
    """With nothing else to do, an apply-on-merge job must not go green while a
    policy denies: exit 1, and JSON says it was refused."""
    write_config(workdir / "pstokens.yaml", DENIED.replace(
        "  policies: [policy/no_production_delete.rego]\n", ""))
    assert cli("apply", "--auto-approve").code == 0
    before = emulator.tokens()
    write_config(workdir / "pstokens.yaml", DENIED)
    result = cli("apply", "--auto-approve")
    assert result.code == 1, result.both
    assert "refusing to apply: 1 policy violation" in result.err
    as_json = cli("apply", "--auto-approve", "--format", "json")
    assert as_json.code == 1
    answer = json.loads(as_json.out)
    assert answer["success"] is False and answer["refused"]["kind"] == "plan_refused"
    assert emulator.tokens() == before


def test_a_saved_plan_with_a_deny_is_saved_but_apply_refuses_it(
    cli: Cli, emulator: Emulator, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", DENIED)
    saved = cli("plan", "--out", "plan.json", "--detailed-exitcode")
    assert saved.code == 2, saved.both  # the Action saves every plan it shows
    assert (workdir / "plan.json").exists()
    refused = cli("apply", "plan.json")
    assert refused.code == 1 and "refusing to apply" in refused.err, refused.both
    assert emulator.tokens() == []


def test_a_policy_sees_no_credential_of_pstokens(
    cli: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "pscale_tkn_policyleak0123456789abcdef"
    monkeypatch.setenv("PLANETSCALE_SERVICE_TOKEN", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-policyleak")
    (workdir / "policy").mkdir()
    (workdir / "policy" / "env.rego").write_text(
        "package leak\nimport rego.v1\n"
        "warn contains sprintf(\"env: %v\", [opa.runtime().env]) if true\n"
        "warn contains sprintf(\"token: %v\", [opa.runtime().env.PLANETSCALE_SERVICE_TOKEN])"
        " if true\n"
        f"warn contains \"quoted: {secret}\" if true\n")  # masked, as commands' output is
    write_config(workdir / "pstokens.yaml", DENIED.replace(
        "no_production_delete.rego", "env.rego"))
    outputs = [cli("validate"), cli("plan"), cli("plan", "--format", "json"),
               cli("plan", "--format", "sarif"), cli("plan", "--format", "markdown")]
    for result in outputs:
        assert result.code == 0, result.both
        for needle in (secret, API_KEY, "aws-secret-policyleak", "PLANETSCALE_"):
            assert needle not in result.both
    assert "env: {" in outputs[1].out and "quoted: **********" in outputs[1].out


HOSTILE = ['quote"d', "new\nline", "tab\tname", "cr\rname", "esc\x1b[31mred"]


def test_hostile_token_names_round_trip_through_a_policy(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    for name in HOSTILE:
        emulator.store.create_token("acme", name)
    (workdir / "policy").mkdir()
    (workdir / "policy" / "names.rego").write_text(
        "package names\nimport rego.v1\n"
        "warn contains sprintf(\"name: %s\", [u.name]) if { some u in input.unmanaged }\n")
    write_config(workdir / "pstokens.yaml",
                 "organization: acme\nrules:\n  policies: [policy/names.rego]\ntokens: {}\n")
    result = cli("plan", "--format", "json")
    assert result.code == 0, result.both
    found = {p["message"] for p in json.loads(result.out)["policies"]}
    assert found == {f"name: {n}" for n in HOSTILE}
    text = cli("plan")
    assert text.code == 0 and "\x1b[31m" not in text.out, text.both


def _policy(workdir: Path, name: str, text: str) -> None:
    (workdir / "policy").mkdir(exist_ok=True)
    (workdir / "policy" / name).write_bytes(text.encode())


TWO = "organization: acme\nrules:\n  policies: [policy/a.rego, policy/b.rego]\ntokens: {}\n"


@pytest.mark.parametrize(("a", "b", "said"), [
    ("package pstokens.same", "package pstokens.same",
     'pstokens.yaml:3:29: policy "policy/b.rego" declares package pstokens.same, as '
     '"policy/a.rego" does; give each policy a package of its own'),
    ("package pstokens.fine", "# first\npackage forbid_accesses",
     'pstokens.yaml:3:29: policy "policy/b.rego" declares package forbid_accesses, which '
     "names one of pstokens' own rules; give it another (such as "
     "pstokens.forbid_accesses)"),
])
def test_a_package_taken_twice_or_named_like_a_rule_is_a_config_error(
    cli: Cli, emulator: Emulator, workdir: Path, a: str, b: str, said: str
) -> None:
    _policy(workdir, "a.rego", a + "\nimport rego.v1\ndeny contains \"a\" if false\n")
    _policy(workdir, "b.rego", b + "\nimport rego.v1\ndeny contains \"b\" if false\n")
    write_config(workdir / "pstokens.yaml", TWO)
    for command in (("validate",), ("plan",)):
        result = cli(*command)
        assert result.code == 1 and said in result.err, (command, result.both)
    assert emulator.stats()["total"] == 0


def test_a_policy_saved_with_a_byte_order_mark_is_read(cli: Cli, workdir: Path) -> None:
    _policy(workdir, "a.rego", "\ufeffpackage pstokens.bom\nimport rego.v1\n"
            'warn contains "read" if true\n')
    write_config(workdir / "pstokens.yaml", TWO.replace(", policy/b.rego", ""))
    result = cli("plan")
    assert result.code == 0 and "policy pstokens.bom: read" in result.out, result.both


def test_markdown_and_the_summary_line_show_the_denies(
    cli: Cli, workdir: Path, policies: Path
) -> None:
    write_config(workdir / "pstokens.yaml", DENIED)
    text = cli("plan", "--out", "plan.json")
    assert text.code == 0, text.both
    assert "accesses to grant, 0 to revoke; 1 policy violation." in text.out
    assert "apply refuses this plan while a policy denies it" in text.out
    for result in (cli("plan", "--format", "markdown"),
                   cli("show", "plan.json", "--format", "markdown")):
        assert result.code == 0, result.both
        assert "### Policy violations (1)" in result.out
        assert "> **Denied:** apply refuses this plan while a policy denies it" in result.out
        assert ("| pstokens.no\\_production\\_delete | policy/no\\_production\\_delete.rego | "
                "ci may not hold delete\\_production\\_branch (on app-prod) |") in result.out


def test_a_bad_policy_is_an_error_naming_it_and_nothing_is_written(
    cli: Cli, emulator: Emulator, workdir: Path
) -> None:
    _policy(workdir, "a.rego", "# v0\npackage pstokens.old\n\ndeny[msg] { msg := \"x\" }\n")
    _policy(workdir, "b.rego", "package pstokens.two\nimport rego.v1\n"
            "x := 1\nx := 2 if true\ndeny contains \"d\" if x\n")
    config = DENIED.replace(", delete_production_branch", "")
    write_config(workdir / "pstokens.yaml", config.replace("no_production_delete", "a"))
    old = cli("validate")
    assert old.code == 1, old.both
    assert ("policy/a.rego:2:1: `deny` must be a set or array of strings or {\"msg\": string} "
            "objects, but it is an object (a Rego v0 `deny[msg] { ... }` rule") in old.err
    write_config(workdir / "pstokens.yaml", config.replace("no_production_delete", "b"))
    for command in (("plan",), ("apply", "--auto-approve")):
        failed = cli(*command)
        assert failed.code == 1, failed.both
        assert ('policy/b.rego:1:1: the policy failed while evaluating the plan: "complete '
                'rules must not produce multiple outputs"') in failed.err
    assert emulator.tokens() == []
    assert [r for r in emulator.stats()["by_route"] if not r.startswith("GET ")] == []


def test_validate_labels_a_policy_warn_a_warning_as_config_warnings_are(
    cli: Cli, workdir: Path
) -> None:
    _policy(workdir, "a.rego", "package acme.warn\nimport rego.v1\n"
            'warn contains "creating ci-deploy" if true\n'
            'deny contains "stop" if false\n')
    write_config(workdir / "pstokens.yaml", TWO.replace(", policy/b.rego", ""))
    result = cli("validate")
    assert result.code == 0, result.both
    assert "pstokens.yaml:3:13: warning: policy acme.warn: creating ci-deploy\n" in result.err
