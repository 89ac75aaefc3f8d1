"""Wheels of the distributions installed in the test environment, for an offline pip.

`pre-commit` installs a `language: python` hook as its users get it: a new
virtualenv, then `pip install .` of the hook's repository, which builds pstokens
with its build backend and installs every dependency. Offline, pip can take them
only from a folder of wheels (`PIP_NO_INDEX=1`, `PIP_FIND_LINKS`); this module
writes one from what is installed here, each distribution repacked as the wheel it
was installed from: its files (RECORD lists them), its WHEEL file's tags, a new
RECORD. Console scripts are not copied: pip writes them again from
`entry_points.txt`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Written by the installer, not part of the wheel (RECORD is written anew).
_INSTALLED = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def requirements(root: Path) -> list[Requirement]:
    """What building and installing the project at `root` asks for."""
    project = tomllib.loads((root / "pyproject.toml").read_text())
    return [Requirement(text) for text in (*project["build-system"]["requires"],
                                           *project["project"]["dependencies"])]


def closure(wanted: list[Requirement]) -> dict[str, metadata.Distribution]:
    """The installed distributions `wanted` needs, directly or not (markers evaluated here)."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(requirement.name, frozenset(requirement.extras)) for requirement in wanted]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in done:
            continue
        done.add((canonicalize_name(name), extras))
        dist = metadata.distribution(name)
        found[canonicalize_name(dist.metadata["Name"])] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *extras)):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return found


def repack(dist: metadata.Distribution, folder: Path) -> Path:
    """`dist` as a wheel in `folder`, named by its WHEEL file's tags."""
    tags = [line.split(":", 1)[1].strip().split("-")
            for line in (dist.read_text("WHEEL") or "").splitlines() if line.startswith("Tag:")]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    path = folder / f"{name}-{dist.version}-{tag}.whl"
    record, info = [], ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as wheel:
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue  # console scripts, and what Python compiled
            if len(file.parts) == 2 and file.parts[0].endswith(".dist-info"):
                info = file.parts[0]
                if file.name in _INSTALLED:
                    continue
            data = Path(str(dist.locate_file(file))).read_bytes()
            wheel.writestr(str(file), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{file},sha256={digest.decode()},{len(data)}")
        record.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def build(root: Path, folder: Path) -> list[Path]:
    """Wheels of everything `pip install ROOT` needs but the project itself, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    project = canonicalize_name(tomllib.loads((root / "pyproject.toml").read_text())
                                ["project"]["name"])
    return [repack(dist, folder) for key, dist in sorted(closure(requirements(root)).items())
            if key != project]
