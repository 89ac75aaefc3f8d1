"""pstokens from Python: plan, review, apply through the engine service.

Everything comes from the front door, `pstokens`: docs/python.md quotes this file.

The same `Workspace` the CLI and the MCP tools use, so a library caller gets the
same guarantees: the config's own rules, known keys, the state lock for the
whole run, unsafe plans refused, secrets delivered where the plan says.

    PLANETSCALE_API_KEY=... python examples/library/plan_and_apply.py \\
        --api-url https://api.planetscale.com/v1 -c pstokens.yaml --state state/acme.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from pstokens import (
    Credentials,
    DirDestination,
    FileStateStore,
    PlanetScaleClient,
    PlanOptions,
    PstokensError,
    Workspace,
    load_config,
    render_text,
)


async def main(api_url: str, config_file: Path, state_file: Path, secrets: Path) -> int:
    config = load_config(config_file)
    workspace = Workspace(
        config.organization,
        FileStateStore(state_file),
        connect=lambda: PlanetScaleClient(api_url, Credentials.from_env(os.environ)),
        config=config,
        lock_timeout=30,
    )
    # Where new secrets of tokens without `deliver:` go, as --secrets-dir says.
    options = PlanOptions(default_deliver=(DirDestination(str(secrets)),))
    try:
        plan = await workspace.plan(options)
        print(render_text(plan))
        if not plan.has_changes:
            return 0
        _, result = await workspace.apply(options)
    except PstokensError as exc:  # every error pstokens raises: message, and a hint
        print(f"error: {exc}" + (f" (hint: {exc.hint})" if exc.hint else ""))
        return 1
    if result is None or result.errors:
        print("apply failed; state records what succeeded")
        return 1
    print(f"applied {len(result.outcomes)} steps")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-url", required=True)
    parser.add_argument("-c", "--config", type=Path, default=Path("pstokens.yaml"))
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--secrets-dir", type=Path, default=Path(".pstokens/secrets"))
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.api_url, args.config, args.state, args.secrets_dir)))
