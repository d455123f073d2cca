"""The repository explains itself (docs/architecture.md rule 14; issue 16): every document the code cites exists.

Comments, docstrings and strings in base_ops/, tests/, templates/, migrations/, seed/ and scripts/ cite
documents. These tests check three kinds of citation:

- a Markdown file named anywhere must exist, relative to the repository root (`docs/domain.md`,
  `README.md`, `static/vendor/README.md`); a bare `domain.md` does not resolve and fails;
- `docs/<file>.md "Heading"` and `README "Heading"` must name a heading, at any level, of that file;
- `seed NNN` (and the older `NNN_*`) must name a section of docs/policies.md.

Links between the documents (`[text](path.md)`) must resolve too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED_DIRS = ("base_ops", "tests", "templates", "migrations", "seed", "scripts")
SCANNED_SUFFIXES = frozenset({".py", ".html", ".sh", ".js", ".cfg", ".ini", ".toml"})
THIS_FILE = Path(__file__).resolve()

# A Markdown file named in text: a path of word characters, dashes and slashes ending in `.md`. It must
# not continue another path or a variable (`$VENDOR_DIR/README.md`, a URL): those are not repository paths.
MARKDOWN_NAME = re.compile(r"(?<![\w$/.~-])((?:[\w-]+/)*[\w.-]*\w\.md)\b")
# `docs/domain.md "At the base"`, `docs/domain.md ("At the base": ...)`, `docs/domain.md, "Heading"`.
# A quote that moved to the next comment line, or that goes on over one line break, counts too.
_QUOTED_HEADING = (r'(?:[,:]?[ \t]+\(?|[,:]?[ \t]*\n[ \t]*(?:#[ \t]*)?\(?|\()'
                   r'"(?P<heading>[^"\n]+(?:\n[ \t]*#?[ \t]*[^"\n#][^"\n]*)?)"')
DOC_CITATION = re.compile(r"(?<![\w/.-])(?P<doc>docs/[\w-]+\.md)" + _QUOTED_HEADING)
README_CITATION = re.compile(r"(?<![\w/.-])(?P<doc>README)(?:\.md)?" + _QUOTED_HEADING)
SEED_CITATION = re.compile(r"\bseed\s+(\d{3})\b", re.IGNORECASE)
OLD_SEED_CITATION = re.compile(r"(?<![\w/])(\d{3})_\*")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$")
POLICY_SECTION = re.compile(r"^seed (\d{3})\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def scanned_files() -> Iterator[Path]:
    for top in SCANNED_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SCANNED_SUFFIXES and path.is_file() and path.resolve() != THIS_FILE:
                yield path


def sources() -> list[tuple[str, str]]:
    """(repository-relative path, text) of every scanned file."""
    return [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8", errors="replace"))
            for path in scanned_files()]


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def normalise(heading: str) -> str:
    """Whitespace collapsed (a quote may go over a line break, past a comment's `#`), no Markdown marks."""
    heading = re.sub(r"\n[ \t]*#?", " ", heading)
    return " ".join(heading.replace("`", "").replace("*", "").split())


def headings_of(path: Path) -> set[str]:
    """Every heading of a Markdown file (outside fenced code), also without a trailing "(…)" remark."""
    found: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            heading = normalise(match.group(1))
            found.add(heading)
            found.add(re.sub(r"\s*\([^()]*\)$", "", heading))
    return found


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return sources()


def test_every_cited_markdown_file_exists(texts):
    cited = [(name, line_of(text, m.start()), m.group(1)) for name, text in texts
             for m in MARKDOWN_NAME.finditer(text)]
    assert len(cited) > 50, "the scan finds the citations (docs/domain.md, docs/api.md, ...)"
    missing = [f"{name}:{line}: {doc}" for name, line, doc in cited if not (ROOT / doc).is_file()]
    assert not missing, "cited documents that are not in the repository:\n" + "\n".join(missing)


def test_every_cited_heading_exists(texts):
    """In the code and also in the documents themselves (docs/*.md and README.md cite one another)."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    texts = [*texts, *((str(d.relative_to(ROOT)), d.read_text(encoding="utf-8")) for d in documents)]
    headings: dict[str, set[str]] = {}
    cited = 0
    broken = []
    for name, text in texts:
        for pattern in (DOC_CITATION, README_CITATION):
            for m in pattern.finditer(text):
                doc = "README.md" if m.group("doc") == "README" else m.group("doc")
                path = ROOT / doc
                if not path.is_file():
                    continue  # reported by test_every_cited_markdown_file_exists
                if doc not in headings:
                    headings[doc] = headings_of(path)
                cited += 1
                if normalise(m.group("heading")) not in headings[doc]:
                    broken.append(f'{name}:{line_of(text, m.start())}: {doc} "{m.group("heading")}"')
    assert cited > 50, "the scan finds the heading citations"
    assert not broken, "cited headings that the document does not have:\n" + "\n".join(broken)


def test_every_cited_seed_has_a_section_in_policies(texts):
    sections = {POLICY_SECTION.match(h).group(1) for h in headings_of(ROOT / "docs" / "policies.md")
                if POLICY_SECTION.match(h)}
    assert {"000", "001", "002", "003", "004"} <= sections
    cited = [(name, line_of(text, m.start()), m.group(1)) for name, text in texts
             for pattern in (SEED_CITATION, OLD_SEED_CITATION) for m in pattern.finditer(text)]
    assert len(cited) > 10, "the scan finds the seed citations"
    missing = [f"{name}:{line}: seed {number}" for name, line, number in cited if number not in sections]
    assert not missing, "seeds cited but not described in docs/policies.md:\n" + "\n".join(missing)


def test_links_between_documents_resolve():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(documents) >= 7, "README.md and the six documents of docs/"
    broken = []
    for document in documents:
        for m in MARKDOWN_LINK.finditer(document.read_text(encoding="utf-8")):
            target = m.group(1).split("#", 1)[0]
            if not target or "://" in target or target.startswith("mailto:"):
                continue
            if not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)}: {m.group(1)}")
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)
