"""One config file's `validate` findings, as a document renderer is handed them.

`validate FILE...` prints one document for all its files (one SARIF log, one run),
so it gathers each file's findings here and renders once. Light on purpose: the
text format imports this without loading the SARIF renderer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pstokens.config.model import Config
    from pstokens.engine.rules.policies import PolicyFinding
    from pstokens.errors import Problem


@dataclass(frozen=True)
class FileFindings:
    """A file's problems and warnings; with its config (when it read), the findings
    of the config's `rules.policies`, located at its `policies:` entry."""

    problems: Sequence[Problem]
    warnings: Sequence[Problem] = ()
    config: Config | None = None
    policies: Sequence[PolicyFinding] = ()
