"""The `--emulator` mode: the emulator app in-process, its data in `.pstokens/`.

Imported only when `--emulator` is given, so ordinary runs never load it.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from pstokens.emulator.app import create_app
from pstokens.emulator.demo import seed_demo
from pstokens.emulator.settings import EmulatorSettings
from pstokens.emulator.store import EmulatorStore


def embedded_transport(data: Path, organization: str) -> httpx.AsyncBaseTransport:
    """An in-process transport to an emulator seeded with a demo organization on first use."""
    data.parent.mkdir(parents=True, exist_ok=True)
    settings = EmulatorSettings(data_path=data)
    store = EmulatorStore(data)
    with store.locked():  # parallel first runs seed the demo once
        seed_demo(store, organization)
    return httpx.ASGITransport(app=create_app(settings, store))
