"""The report as JSON: the engine's data, laid out for scripts (`report --format json`)."""

from __future__ import annotations

import json

from pstokens.engine.inventory.report import Report


def render_report_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"
