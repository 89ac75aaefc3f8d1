"""Reading the API's answers into models, or into an ApiError that quotes no values.

A malformed answer may hold a secret (a create's body does), so what goes
wrong is reported by where and what, never by the value found there.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pstokens.api.errors import ApiError
from pstokens.api.listing import ListedToken
from pstokens.api.models import ServiceToken, TokenAccess

B = TypeVar("B", bound=BaseModel)
# What has an ID to deduplicate by.
U = TypeVar("U", ServiceToken, ListedToken, TokenAccess, dict[str, Any])


def read_object(operation: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(f"{operation}: the answer is not a JSON object")
    return body


def read_model(operation: str, model: type[B], item: Any) -> B:
    """Build one model, turning a malformed answer into an ApiError that quotes no values."""
    if not isinstance(item, dict):
        raise ApiError(f"{operation}: the answer is not a JSON object")
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        problem = _problem(exc)
    # Raised here, not in the handler: the validation error quotes the input.
    raise _malformed(operation, problem)


def read_json(operation: str, model: type[B], status: int, content: bytes) -> B:
    """Validate a JSON body as `model` in one pass; a malformed one is an ApiError."""
    try:
        return model.model_validate_json(content)
    except ValidationError as exc:
        not_json = any(error["type"] == "json_invalid" for error in exc.errors())
        problem = _problem(exc)
    if not_json:  # as the session words it; the body is never quoted
        raise ApiError(
            f"{operation}: the API answered {status} with a body that is not JSON",
            status=status,
            hint="check --api-url points at the PlanetScale API",
        )
    raise _malformed(operation, problem)


def _problem(exc: ValidationError) -> str:
    """Where and what, never the value: an input may hold a secret."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)[:3]
    )


def _malformed(operation: str, problem: str) -> ApiError:
    return ApiError(f"{operation}: the answer does not look like PlanetScale's ({problem})")


def unique_by_id(items: list[U]) -> list[U]:
    """Drop repeats by ID: a page can shift under a concurrent change and repeat an item."""
    seen: set[str] = set()
    unique: list[U] = []
    for item in items:
        item_id = item.get("id") if isinstance(item, dict) else item.id
        if isinstance(item_id, str):
            if item_id in seen:
                continue
            seen.add(item_id)
        unique.append(item)
    return unique
