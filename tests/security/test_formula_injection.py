"""Formula injection in every spreadsheet export (docs/security.md "Input and output": Spreadsheet exports).

Every free-text column of the schema (the same introspection as the XSS sweep) is set in every
row to one of `=HYPERLINK("http://x","y")`, `+1+1`, `-1+1`, `@SUM(1)`, `\\t=1`, `\\r=1`. Then every
spreadsheet the app makes is downloaded, as every role that may: each GET route whose URL ends
in .xlsx (for each report name and filter), every GET answer found with the xlsx mimetype while
crawling each role's pages and links, and the detail exports both ways — built in the request
and as a background job (run inline) whose file is downloaded. Read back with openpyxl:

- no cell anywhere is a formula (data_type 'f');
- each payload is found as a cell's literal text (so the test proves the fields were exported);
- a cell in an ID-number column is an 18-character text, and no cell holds a number as large as
  an ID number or a bank account (they would lose digits as numbers).
"""

from __future__ import annotations

import io
import re

import openpyxl
import sqlalchemy as sa

from base_ops.reports.dashboard.spreadsheets import NAMES as REPORT_NAMES
from base_ops.reports.exports.spreadsheets import EXPORT_KINDS
from tests.security import crawl
from tests.security.conftest import PDF

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(1)", "\t=1", "\r=1"]
# Filters of the spreadsheet routes (reports: period and grouping; meals: date and month); others ignore them.
XLSX_QUERIES = ["from=2026-01-01&to=2027-01-01&group_by=base", "from=2026-01-01&to=2027-01-01&group_by=region",
                "from=2026-01-01&to=2027-01-01&group_by=month", "date=2026-11-20&month=2026-11"]
ROLES_WITH_SPREADSHEETS = ["county_officer", "base_manager", "trainer"]
def seed_formulas(db) -> set[str]:
    """Every free-text column of every row gets a formula payload: row k of a table's n-th text column the
    (n + k)-th one that fits, so each payload lands in many columns (a table's first rows of its first text
    columns — names, titles — carry every payload, whatever other tables hold); unique columns get the row
    number after it."""
    seeded = set()
    position_in_table: dict[str, int] = {}
    for column in crawl.text_columns():
        n = position_in_table[column.table.name] = position_in_table.get(column.table.name, -1) + 1
        length = column.type.length or 10_000
        fitting = [p for p in FORMULAS if len(p) + 3 <= length]
        if column.name == "filename":  # file names are cleaned of control characters when stored (see below)
            fitting = [p for p in fitting if p.isprintable()]
        table = column.table
        unique = crawl.is_unique(column)
        # In key order: without ORDER BY, PostgreSQL returns rows in heap order, which the updates of earlier
        # columns reshuffle, so which payload lands in an exported row would change from run to run.
        keys = [tuple(row) for row in db.session.execute(
            sa.select(*table.primary_key.columns).order_by(*table.primary_key.columns)).all()]
        for k, key in enumerate(keys):
            value = fitting[(n + k) % len(fitting)] + (str(k + 1) if unique else "")
            where = [pk == part for pk, part in zip(table.primary_key.columns, key, strict=True)]
            db.session.execute(sa.update(table).where(*where).values({column.name: value}))
            seeded.add(value)
    db.session.commit()
    db.session.expire_all()
    return seeded


def excel_text(value: str) -> str:
    """A text cell's value as Excel shows it: XlsxWriter stores a CR as _x000D_, which openpyxl leaves as is."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def _check_book(label: str, data: bytes, problems: list[str], texts: set[str], id_cells: list[str]) -> int:
    """Append what is wrong with one xlsx file; collect its text cells and ID-number cells; return its cell count."""
    cells = 0
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        id_columns: set[int] = set()  # columns under a header naming the ID number
        for row in sheet.iter_rows():
            is_totals = row[0].value == "合计"
            for cell in row:
                cells += 1
                value = cell.value
                where = f"{label} {sheet.title}!{cell.coordinate}"
                if cell.data_type == "f":
                    problems.append(f"{where} is a formula: {value!r}")
                if isinstance(value, str):
                    texts.add(excel_text(value))
                elif isinstance(value, int | float) and abs(value) >= 10**12:
                    problems.append(f"{where} holds a long number {value!r} (an ID number or an account?)")
                if cell.column in id_columns and value is not None and not is_totals:
                    id_cells.append(where)
                    if not (isinstance(value, str) and cell.data_type == "s" and len(value) == 18):
                        problems.append(f"{where} ID number is not an 18-character text: {value!r}")
            if not sheet.title.endswith("说明"):  # an instructions sheet (填写说明) names the columns in its rows
                id_columns |= {cell.column for cell in row if isinstance(cell.value, str) and "身份证" in cell.value}
    return cells


def test_no_spreadsheet_cell_is_a_formula(app, rich_world, db, login_as, api_headers, monkeypatch):
    w = rich_world
    seeded = seed_formulas(db)
    problems: list[str] = []
    texts: set[str] = set()
    id_cells: list[str] = []
    books: dict[str, int] = {}  # label -> cells
    xlsx_endpoints: set[str] = set()
    every_get = crawl.get_rules(app)
    id_sets = [ids | {"name": name} for ids in w.rich.id_sets()[:2] for name in REPORT_NAMES]

    for role in ROLES_WITH_SPREADSHEETS:
        browser = crawl.Browser(app, crawl.actor(w, role), login_as, api_headers)
        reachable = [rule for rule in every_get if crawl.role_may(role, rule.endpoint)]
        urls = crawl.sweep_urls(app, w, reachable, id_sets)
        for rule in reachable:
            if rule.rule.endswith(".xlsx"):
                for url in crawl.sweep_urls(app, w, [rule], id_sets):
                    urls += [f"{url}?{query}" for query in XLSX_QUERIES]
        for page in crawl.crawl(browser, urls):
            if page.status >= 500:
                problems.append(f"{role} {page.url} -> {page.status}")
            if page.is_xlsx and page.status == 200:
                data = page.response.get_data()
                books[f"{role} {page.url}"] = _check_book(f"{role} {page.url}", data, problems, texts, id_cells)
                xlsx_endpoints.add(crawl.endpoint_of(app, page.url))

        # the detail exports: built in the request, then as background jobs (run inline) with their files
        if role in ("county_officer", "base_manager"):
            for kind in EXPORT_KINDS:
                form = {"kind": kind, "from": "2026-01-01", "to": "2027-01-01"}
                monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1_000_000)
                direct = browser.pages.post("/exports/", data=form)
                monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)
                queued = browser.pages.post("/exports/", data=form)
                assert direct.status_code == 200 and direct.mimetype == crawl.XLSX_MIMETYPE, (role, kind, direct)
                assert queued.status_code == 302 and "/exports/" in queued.headers["Location"], (role, kind, queued)
                download = browser.pages.get(queued.headers["Location"].rstrip("/") + "/download")
                assert download.status_code == 200 and download.mimetype == crawl.XLSX_MIMETYPE, (role, kind)
                for label, response in ((f"{role} export {kind} (direct)", direct),
                                        (f"{role} export {kind} (job)", download)):
                    books[label] = _check_book(label, response.get_data(), problems, texts, id_cells)
                xlsx_endpoints |= {"exports.create_export", "exports.download"}

    print(f"{len(books)} spreadsheets checked, {sum(books.values())} cells, {len(id_cells)} ID-number cells:\n"
          + "\n".join(sorted(books)))
    assert not problems, "\n".join(problems)
    # every spreadsheet route of url_map was downloaded by some role
    wanted = {rule.endpoint for rule in every_get if rule.rule.endswith(".xlsx")} | {"exports.download"}
    assert wanted <= xlsx_endpoints, wanted - xlsx_endpoints
    # the payloads went in as literal text: each is some cell's whole value
    literal = {payload for payload in FORMULAS if payload in texts}
    assert literal == set(FORMULAS), f"payloads never found as a whole cell: {set(FORMULAS) - literal}"
    assert seeded & texts, "no seeded value was exported"
    assert len(id_cells) >= 6, id_cells  # the detail exports' ID-number columns were read


def test_an_uploaded_file_name_loses_its_control_characters(rich_world, db, login_as):
    """A crafted upload (RFC 2231 filename*=UTF-8''a%0D%3D1.pdf decodes to "a\r=1.pdf") once stored a CR in the
    evidence's file name, and every download of it failed with a 500 (a CR may not go into Content-Disposition)."""
    from base_ops.subsidies.models import Evidence

    w = rich_world
    client = login_as(w.manager_a)
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncontract\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%0D%3D1.pdf\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    claim = w.rich.handover_claim  # the base's draft: the manager may add evidence
    response = client.post(f"/claims/{claim.id}/evidence", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302
    item = db.session.execute(sa.select(Evidence).where(Evidence.claim_id == claim.id)).scalar_one()
    assert item.filename == "a=1.pdf"
    download = client.get(f"/evidence/{item.id}")
    assert download.status_code == 200 and download.data == PDF
