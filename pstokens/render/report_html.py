"""The access review as one self-contained HTML page: tokens by databases.

A matrix with a row per token and a column per database (and one for the
organization), accesses in the cells, filters for token, database, access and
operation ("who can ...": the chosen database's accesses and the organization's,
and "possibly" by an access the API does not describe, as `who-can` says), each
token's operations listed on demand, rule violations, escalation paths and stale
tokens marked. No network: the style and the small script
(`report_html_assets.py`) are inline, and a Content-Security-Policy allows those
two (by hash)
and nothing else, so the page works from file:// and a name that slipped
through as markup could still not run. Every name is escaped (`html.escape`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

from pstokens.engine.inventory.report import Report, TokenRow
from pstokens.operations import operations_table
from pstokens.operations.undescribed import possibly_allowed
from pstokens.render.operations import escalation_finding, operations_count, short_escalation
from pstokens.render.report_html_assets import SCRIPT, STYLE
from pstokens.render.report_text import summary_words
from pstokens.render.rules import day, finding, idle, safe, short_finding, short_unused

ORGANIZATION_COLUMN = "(organization)"

def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CSP = (f"default-src 'none'; style-src {_digest(STYLE)}; script-src {_digest(SCRIPT)}; "
       "img-src data:; base-uri 'none'; form-action 'none'")


def render_report_html(report: Report) -> str:
    e = _escape
    columns = [ORGANIZATION_COLUMN, *report.databases]
    accesses = sorted({a for row in report.tokens for names in row.accesses.values()
                       for a in names})
    forbidden = report.rules.forbid_accesses if report.rules else frozenset()
    table = operations_table()
    ops_by_access = {a: sorted(table.by_access[a]) for a in accesses if a in table.by_access}
    ops_json = _data(ops_by_access)
    maybe_json = _data(_maybe_by_access(report))
    options = "".join(
        f'<option value="{e(c)}">{"organization" if c == ORGANIZATION_COLUMN else e(c)}</option>'
        for c in columns
    )
    head_cells = "".join(
        f'<th data-col="{e(c)}" scope="col">'
        f'{"organization" if c == ORGANIZATION_COLUMN else e(c)}</th>'
        for c in columns
    )
    body = "\n".join(_row(report, row, columns, forbidden) for row in report.tokens)
    if not report.tokens:
        body = (f'<tr><td colspan="{len(columns) + 5}">'
                "The organization has no service tokens.</td></tr>")
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>pstokens report: {e(report.organization)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<header><h1>Service tokens of {e(report.organization)}</h1>",
        f'<p class="summary">{e(summary_words(report))}.</p></header>',
        _findings(report),
        '<section id="filters">',
        '<label>Token <input id="f-token" type="search" placeholder="name, ID or key"></label>',
        f'<label>Database <select id="f-database"><option value="">all</option>{options}'
        "</select></label>",
        '<label>Access <input id="f-access" type="search" list="access-names" '
        'placeholder="e.g. delete_"></label>',
        '<datalist id="access-names">'
        + "".join(f'<option value="{e(a)}">' for a in accesses) + "</datalist>",
        '<label>Who can <input id="f-operation" type="search" list="operation-names" '
        'placeholder="e.g. promote_branch"></label>',
        '<datalist id="operation-names">'
        + "".join(f'<option value="{e(o)}">' for o in table.operations) + "</datalist>",
        '<label><input id="f-findings" type="checkbox"> only tokens with findings</label>',
        '<span id="shown"></span></section>',
        '<table id="matrix"><thead><tr><th scope="col">token</th><th scope="col">key</th>'
        f'<th scope="col">expires</th><th scope="col">last used</th>{head_cells}'
        '<th scope="col">findings</th></tr></thead>',
        f"<tbody>\n{body}\n</tbody></table>",
        '<p class="legend"><span class="a forbidden">forbidden access</span>'
        '<span>red edge: breaks a rule</span><span>yellow: unused</span>'
        '<span class="muted">grey: expired</span>'
        '<span class="a maybe">possibly allows it: an access the API does not describe</span>'
        "</p>",
        f'<script type="application/json" id="ops-by-access">{ops_json}</script>',
        f'<script type="application/json" id="maybe-by-access">{maybe_json}</script>',
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _row(report: Report, row: TokenRow, columns: list[str], forbidden: frozenset[str]) -> str:
    e = _escape
    classes = [name for name, on in (("violation", bool(row.violations)),
                                     ("stale", row.unused is not None),
                                     ("expired", row.expired)) if on]
    # The filter searches what the page shows: names with control characters escaped.
    search = " ".join(x for x in (safe(row.name, ""), row.id, row.key) if x).lower()
    cells = []
    for column in columns:
        names = row.accesses.get(None if column == ORGANIZATION_COLUMN else column, ())
        spans = " ".join(
            f'<span class="a{" forbidden" if n in forbidden else ""}">{_breakable(n)}</span>'
            for n in names
        )
        cells.append(f'<td data-col="{e(column)}">{spans}</td>')
    notes = [f'<li class="v">{e(short_finding(v))}</li>' for v in row.violations]
    notes += [f'<li class="e">{e(short_escalation(x))}</li>' for x in row.escalations]
    if row.unused is not None:
        notes.append(f'<li class="u">{e(short_unused(row.unused, report.generated_at))}</li>')
    key = e(row.key) if row.key else '<span class="muted">unmanaged</span>'
    expires = e(day(row.expires_at, "never")) + (" (expired)" if row.expired else "")
    return (
        f'<tr class="{" ".join(classes)}" data-token="{e(search)}" '
        f'data-findings="{1 if notes else 0}">'
        f'<th scope="row"><span class="name">{e(safe(row.name))}</span><br>'
        f'<code>{e(row.id)}</code>{_operations(row)}</th>'
        f'<td class="when">{key}</td><td class="when">{expires}</td>'
        f'<td class="when">{e(day(row.last_used_at, "never"))}</td>{"".join(cells)}'
        f'<td class="findings">{"<ul>" + "".join(notes) + "</ul>" if notes else ""}</td></tr>'
    )


def _findings(report: Report) -> str:
    e = _escape
    items = [f'<li class="v"><b>{e(safe(v.name))}</b> <code>{e(v.token_id)}</code>: '
             f"{e(finding(v))}</li>" for v in report.violations]
    items += [f'<li class="e"><b>{e(safe(x.name))}</b> <code>{e(x.token_id)}</code>: '
              f"{e(escalation_finding(x))}</li>" for x in report.escalations]
    items += [f'<li class="u"><b>{e(safe(u.name))}</b> <code>{e(u.token_id)}</code>: '
              f"{e(idle(u, report.generated_at))}</li>" for u in report.unused]
    if not items:
        return ""
    return (f'<details class="findings" open><summary>{len(report.violations)} rule '
            f"violation(s), {len(report.escalations)} escalation path(s), "
            f"{len(report.unused)} unused token(s)</summary>"
            f"<ul>{''.join(items)}</ul></details>")


def _operations(row: TokenRow) -> str:
    """`<details>` with the count; the script lists the operations when it is opened."""
    count = _escape(operations_count(row.operations, row.not_described))
    return (f'<details class="ops"><summary>{count}</summary>'
            '<p class="ops-list"></p></details>')


def _maybe_by_access(report: Report) -> dict[str, dict[str, list[str]]]:
    """For each held access the API does not describe: what it may allow, held on the
    organization and held on a database (`operations.undescribed`)."""
    table = operations_table()
    found: dict[str, dict[str, list[str]]] = {"organization": {}, "database": {}}
    for row in report.tokens:
        for database, names in row.accesses.items():
            level = "organization" if database is None else "database"
            for access in names:
                if access not in found[level] and not table.described(access):
                    found[level][access] = sorted(
                        possibly_allowed(access, database is not None, table))
    return found


def _breakable(access: str) -> str:
    """An access name that may wrap after each `_` (`<wbr>` adds no text, so the
    script still reads the name), keeping a wide matrix within the window."""
    return "_<wbr>".join(_escape(part) for part in access.split("_"))


def _data(value: object) -> str:
    """Data, not code: JSON with <, > and & escaped cannot close its element."""
    return (json.dumps(value, separators=(",", ":")).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def _escape(text: str) -> str:
    return html.escape(text, quote=True)
