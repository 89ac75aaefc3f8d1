"""What a failed S3 call means to a user: one sentence and a hint, never a credential.

obstore's messages carry URLs, response bodies and debug dumps; none of that
is shown. Each failure is sorted into a cause the user can act on (no bucket,
access denied, wrong region, refused or missing credentials, unreachable
endpoint), and anything else is named by its S3 error code and HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from pstokens.errors import StateError

_CODE = re.compile(r"<Code>([A-Za-z]{1,64})</Code>")
_STATUS = re.compile(r"status code: (\d{3})")
_WRONG_REGION = ("incorrectly configured region", "PermanentRedirect",
                 "AuthorizationHeaderMalformed", "IllegalLocationConstraint")
_BAD_CREDENTIALS = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                    "InvalidToken", "TokenRefreshRequired")
_NO_CONNECTION = ("error sending request", "connection refused", "dns error",
                  "operation timed out", "timed out")
# Where object_store goes for credentials when no AWS_* variable names any.
_CREDENTIAL_SOURCES = ("/latest/api/token", "/latest/meta-data", "169.254.169.254",
                       "169.254.170.2", "POST REDACTED")


def endpoint_of(env: Mapping[str, str]) -> str:
    """The S3 endpoint in use, for messages: no user or password even if the URL has them."""
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"):
        if env.get(name):
            parts = urlsplit(env[name])
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            return f"{parts.scheme}://{host}{port}" if parts.scheme else host
    return f"https://s3.{region_of(env)}.amazonaws.com"


def region_of(env: Mapping[str, str]) -> str:
    return env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"


def explain(exc: Exception, *, doing: str, bucket: str, key: str,
            env: Mapping[str, str]) -> StateError:
    """The StateError to raise for `exc`, raised while `doing` (e.g. "read") s3://bucket/key."""
    text = str(exc)
    name = type(exc).__name__
    code_match = _CODE.search(text)
    code = code_match.group(1) if code_match else ""
    where = f"s3://{bucket}/{key}"
    if code == "NoSuchBucket":
        return StateError(
            f"S3 bucket {bucket} does not exist at {endpoint_of(env)}",
            hint="create the bucket, or fix the bucket in --state / PSTOKENS_STATE "
            "(and AWS_ENDPOINT_URL for an S3-compatible service)",
        )
    if any(marker in text for marker in _WRONG_REGION):
        return StateError(
            f"S3 bucket {bucket} is not in region {region_of(env)}",
            hint="set AWS_REGION to the region the bucket was created in",
        )
    if code in _BAD_CREDENTIALS or name == "UnauthenticatedError":
        return StateError(
            f"S3 refused the credentials pstokens used to {doing} {where}"
            + (f" ({code})" if code else ""),
            hint="check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, "
            "or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE for a role",
        )
    if code == "AccessDenied" or name == "PermissionDeniedError" or _status(text) == 403:
        return StateError(
            f"access denied: the AWS identity in use may not {doing} {where}",
            hint=f"grant it s3:GetObject, s3:PutObject and s3:DeleteObject on "
            f"arn:aws:s3:::{bucket}/{key}*",
        )
    lowered = text.lower()
    if any(marker in text for marker in _CREDENTIAL_SOURCES):
        if env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
            return StateError(
                f"the web identity token could not be traded for the credentials of "
                f"AWS_ROLE_ARN to {doing} {where}",
                hint="check AWS_ROLE_ARN, the role's trust policy for this identity "
                "(in GitHub Actions: permissions id-token: write) and AWS_STS_ENDPOINT",
            )
        return StateError(
            f"no AWS credentials were found to {doing} {where}",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and "
            "AWS_WEB_IDENTITY_TOKEN_FILE (GitHub Actions OIDC)",
        )
    if any(marker in lowered for marker in _NO_CONNECTION):
        return StateError(
            f"cannot reach the S3 endpoint {endpoint_of(env)} to {doing} {where}",
            hint="check AWS_ENDPOINT_URL (unset for AWS itself), AWS_REGION and the network",
        )
    status = _status(text)
    detail = ", ".join(p for p in (code, f"HTTP {status}" if status else "") if p) or name
    return StateError(f"S3 could not {doing} {where} ({detail})",
                      hint="run again with --debug to see the call that failed")


def _status(text: str) -> int | None:
    found = _STATUS.search(text)
    return int(found.group(1)) if found else None
