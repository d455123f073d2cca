"""The discrimination screen for job postings (seed 000 art. 20, penalty art. 35; docs/domain.md "Job postings").

Employers must not publish job information that asks for a clean record or
excludes released persons. A posting's title, description and requirements are
matched against the active phrases of the admin-maintained list. Both sides are
normalised first so that spacing, full-width forms, separators and zero-width
characters do not slip a phrase through: "无 犯 罪 记 录", "无·犯罪记录", "无犯罪、记录",
full-width "需政审" with a zero-width space inside all match "无犯罪记录" / "需政审".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from base_ops.enterprises.models import DiscriminatoryPhrase
from base_ops.extensions import db

# Fields of a posting the screen reads, in the order problems are reported.
SCREENED_FIELDS = ("title", "description", "requirements")

# Unicode general categories dropped before matching: punctuation (· 、 ， , . - _ * / 。 ：…),
# symbols (| ★ ~ …), separators (spaces of every width) and control/format characters
# (zero-width space and joiners, BOM, soft hyphen). Letters, digits and marks are kept.
_DROPPED_CATEGORIES = ("P", "S", "Z", "C")


def normalise(text: str | None) -> str:
    """NFKC (full-width -> half-width, compatibility forms), casefolded, without separators."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES))


@dataclass(frozen=True)
class Finding:
    field: str
    phrase: str


def find_phrase(text: str | None, phrases: Iterable[str]) -> str | None:
    """The phrase (as stored) found earliest in the text, the longest at the same place, or None."""
    haystack = normalise(text)
    if not haystack:
        return None
    found = []
    for phrase in phrases:
        needle = normalise(phrase)
        position = haystack.find(needle) if needle else -1
        if position >= 0:
            found.append((position, -len(needle), phrase))
    return min(found)[2] if found else None


def active_phrases() -> list[str]:
    return list(db.session.execute(
        select(DiscriminatoryPhrase.phrase).where(DiscriminatoryPhrase.is_active).order_by(DiscriminatoryPhrase.id)
    ).scalars())


def screen(fields: dict[str, str | None], phrases: Iterable[str] | None = None) -> Finding | None:
    """The first discriminatory phrase in the screened fields, or None when the text is clean."""
    phrases = list(active_phrases() if phrases is None else phrases)
    for name in SCREENED_FIELDS:
        phrase = find_phrase(fields.get(name), phrases)
        if phrase is not None:
            return Finding(name, phrase)
    return None
