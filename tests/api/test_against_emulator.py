"""The client against the real emulator over loopback HTTP: the two must agree."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pstokens.api import Credentials, PlanetScaleClient
from pstokens.api.errors import InvalidRequest, NotFound, OutcomeUnknown, Unauthorized
from pstokens.emulator import EmulatorSettings, EmulatorStore, running_emulator


@pytest.fixture
def served() -> Iterator[tuple[str, EmulatorStore]]:
    store = EmulatorStore()
    with running_emulator(EmulatorSettings(databases=("app-prod", "app-staging")), store) as url:
        yield url, store


def client(url: str, **kw: object) -> PlanetScaleClient:
    return PlanetScaleClient(url, Credentials.service_token("id1", "s3cr3t-value"),
                             rate_limit=0, **kw)  # type: ignore[arg-type]


def stats(url: str) -> dict[str, object]:
    return httpx.get(url.removesuffix("/v1") + "/_emulator/stats").json()  # type: ignore[no-any-return]


async def test_130_tokens_are_listed_in_exactly_two_requests(
    served: tuple[str, EmulatorStore]
) -> None:
    url, store = served
    for i in range(130):
        store.create_token("acme", f"t{i}")
    async with client(url) as api:
        tokens = await api.list_tokens("acme")
    assert len(tokens) == 130
    assert len({t.id for t in tokens}) == 130
    assert stats(url)["total"] == 2


async def test_create_grant_revoke_delete_round_trip(served: tuple[str, EmulatorStore]) -> None:
    url, _ = served
    async with client(url) as api:
        created = await api.create_token("acme", name="ci", ttl=3600)
        assert created.secret.reveal().startswith("pscale_tkn_")
        assert "pscale_tkn_" not in repr(created)
        token_id = created.token.id
        assert created.token.expires_at is not None

        granted = await api.grant_accesses(
            "acme", token_id, ["read_branch", "create_branch", "delete_branch"], "app-prod"
        )
        assert {(a.database, a.access) for a in granted} == {
            ("app-prod", "read_branch"), ("app-prod", "create_branch"),
            ("app-prod", "delete_branch"),
        }
        await api.grant_accesses("acme", token_id, ["read_databases"])
        fetched = await api.get_token("acme", token_id)
        assert fetched.accesses is not None and len(fetched.accesses) == 4
        assert {a.database for a in await api.list_accesses("acme", token_id)} == {
            "app-prod", None
        }
        await api.revoke_accesses("acme", token_id, ["create_branch", "delete_branch"], "app-prod")
        left = await api.list_accesses("acme", token_id)
        assert {(a.database, a.access) for a in left} == {
            ("app-prod", "read_branch"), (None, "read_databases")
        }
        await api.delete_token("acme", token_id)
        with pytest.raises(NotFound) as missing:
            await api.get_token("acme", token_id)
    assert "lack" in str(missing.value)


async def test_emulator_refusals_map_to_client_errors(served: tuple[str, EmulatorStore]) -> None:
    url, store = served
    token, _ = store.create_token("acme", "x")
    async with client(url) as api:
        with pytest.raises(InvalidRequest) as bad:
            await api.grant_accesses("acme", token["id"], ["read_brnch"], "app-prod")
        assert bad.value.status == 422 and bad.value.code == "invalid_params"
        with pytest.raises(NotFound):
            await api.grant_accesses("acme", token["id"], ["read_branch"], "no-such-db")
    async with PlanetScaleClient(url, None, rate_limit=0) as anonymous:
        with pytest.raises(Unauthorized):
            await anonymous.list_tokens("acme")


async def test_lost_create_is_reported_as_outcome_unknown_and_the_token_exists() -> None:
    store = EmulatorStore()
    with running_emulator(EmulatorSettings(lose_rate=1.0, seed=1), store) as url:
        async with client(url) as api:
            with pytest.raises(OutcomeUnknown):
                await api.create_token("acme", name="lost")
        assert [t["name"] for t in store.tokens("acme")] == ["lost"]
        seen = stats(url)
        assert seen["lost"] == 1
        assert seen["total"] == 1  # a lost create is never sent twice
