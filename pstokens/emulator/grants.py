"""What a grant or revoke may ask for, as the API judges it: the emulator's rules.

Shared by the routes (raw JSON values) and the store's Python-level API, so
both refuse the same requests with the same words (422 `invalid_params`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pstokens.accesses import ALL_ACCESSES, DATABASE_ACCESSES, ORGANIZATION_ACCESSES, suggest


class InvalidParams(ValueError):
    """A request the API would refuse with 422 `invalid_params`."""


def check_accesses(accesses: object, database: object) -> tuple[list[str], str | None]:
    """The access names (deduplicated) and database of a grant or revoke.

    Raises InvalidParams naming every problem at once; takes raw JSON values,
    so the routes and the Python-level API share one set of rules.
    """
    # Missing, null and "" all mean the organization: PlanetScale's own client sends "".
    if database == "":
        database = None
    if database is not None and not isinstance(database, str):
        raise InvalidParams("database must be a string (or left out for the organization)")
    if (
        isinstance(accesses, str | bytes)
        or not isinstance(accesses, Sequence)
        or not accesses
        or not all(isinstance(name, str) for name in accesses)
    ):
        raise InvalidParams("access must be a non-empty list of access names")
    names: list[str] = list(dict.fromkeys(accesses))
    problems = []
    for name in names:
        if name not in ALL_ACCESSES:
            hint = suggest(name)
            problems.append(
                f'unknown access "{name}"' + (f' (did you mean "{hint}"?)' if hint else "")
            )
        elif database is not None and name in ORGANIZATION_ACCESSES:
            problems.append(f'"{name}" is an organization access: leave "database" out')
        elif database is None and name in DATABASE_ACCESSES:
            problems.append(f'"{name}" is a database access: name the "database"')
    if problems:
        raise InvalidParams("; ".join(problems))
    return names, database
