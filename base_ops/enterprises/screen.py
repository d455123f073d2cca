"""The discrimination screen for job postings (seed 000 art. 20, penalty art. 35; docs/domain.md "Job postings"
and "Lawful bars on some jobs").

Employers must not publish job information that asks for a clean record or excludes released persons. A
posting's title, description and requirements are read the way a person reads them:

1. **Folded**: traditional and variant characters are read as simplified (OpenCC's t2s, plus the variants
   people type, e.g. 纪录 for 记录), full-width forms as half-width (NFKC), case ignored; spacing,
   punctuation, separators and zero-width characters inside a phrase do not slip it through
   ("无 犯 罪 记 录", "無犯罪記錄", "无·犯罪，记录" all read as 无犯罪记录).
2. **Matched against phrase families** (`FAMILIES`): demanding a clean record in its common wordings
   (无犯罪记录, 无违法犯罪纪录, 没有案底, 无前科, 未受过刑事处罚, 良民证, 背景清白, 政审…), and excluding
   released persons in the "…者勿扰 / 不予录用 / 谢绝…" frames (有前科者勿扰, 刑满释放人员免谈, 谢绝两劳人员…),
   plus the phrases an admin adds to the list.
3. **Let through when inclusive**: a match preceded in its clause by a negation (不要求, 无需, 不限, 不会拒绝…,
   or the "有无…" of "whether or not"), or followed by "均可 / 不限 / 没关系",
   is what the law asks for, not against it ("不要求无犯罪记录，欢迎刑满释放人员").

A job closed by law to people with a record (保安员) is not discrimination: that bar is declared on the
job (enterprises/vocabulary.py), not screened here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select

from base_ops.enterprises.models import DiscriminatoryPhrase
from base_ops.extensions import db

# Fields of a posting the screen reads, in the order problems are reported.
SCREENED_FIELDS = ("title", "description", "requirements")

# Unicode general categories dropped before matching: punctuation (· 、 ， , . - _ * / 。 ：…),
# symbols (| ★ ~ …), separators (spaces of every width) and control/format characters
# (zero-width space and joiners, BOM, soft hyphen). Letters, digits and marks are kept.
_DROPPED_CATEGORIES = ("P", "S", "Z", "C")

# Variants OpenCC's t2s leaves as they are (both are valid simplified words), read as the common form.
_VARIANTS = {"纪录": "记录", "証明": "证明", "証": "证", "劳動": "劳动", "犯罪紀": "犯罪记"}

# Where a clause ends: a negation in one clause says nothing of the next ("不要求学历，无犯罪记录").
_CLAUSE_ENDS = frozenset("。；;！!？?\n\r，,")

# ---------------------------------------------------------------- the phrase families (on folded text)

_CRIME = r"(?:违法犯罪|刑事犯罪|犯罪|刑事|违法|不良)"
_RECORD = r"(?:记录|前科|案底|历史|史|经历|证明|行为|问题)"
_CLEAN_RECORD = (
    rf"(?:无|没有|没|未有|不得有|不能有|不可有|不允许有|不曾有|从未有)(?:任何)?{_CRIME}{_RECORD}"
    r"|(?:无|没有|没|不得有|不能有)(?:前科|案底|劣迹)"
    r"|(?:未|没有|没|从未|未曾|不曾)(?:受过|受到|被判过|判过|有过|犯过|坐过|服过)(?:任何)?"
    r"(?:刑事处罚|刑事责任|刑罚|刑事|刑|罪|判刑|劳改|劳教|牢)"
    r"|良民证|(?:身家|背景|历史|档案|个人)清白|政审"
)
_RELEASED = (
    r"(?:有前科|有案底|有犯罪记录|有犯罪史|有违法犯罪记录|有刑事记录|有不良记录|刑满释放|刑释|劳改释放|解教|两劳"
    r"|劳改|劳教|坐过牢|蹲过监狱|服过刑|进过监狱|吃过牢饭|有过犯罪|犯过罪|前科|释放)"
    r"(?:人员|者|人士|的人|的|人)?"
)
_EXCLUDE_AFTER = (r"(?:勿扰|免谈|勿投|请勿|慎投|莫扰|绕道|不要|不收|不招|不录|不用|不予录用|不予考虑|不考虑|不录用"
                  r"|不接受|谢绝|拒绝|除外|禁止|一律不|不适合|请绕)")
_EXCLUDE_BEFORE = (r"(?:谢绝|拒绝|不招|不收|不要|不录用|不接受|不考虑|禁止|不欢迎|不适合|不允许|不予录用"
                   r"|不会录用|不会招|不予考虑|恕不录用)")

FAMILIES = (
    ("clean_record", re.compile(_CLEAN_RECORD)),
    ("excludes_released", re.compile(f"{_RELEASED}(?:一律|一概|均|都|决|绝|坚决|恕|请)?{_EXCLUDE_AFTER}")),
    ("excludes_released", re.compile(f"{_EXCLUDE_BEFORE}{_RELEASED}")),
)

# A match is inclusive when its clause says, right before it, that the thing is not asked for or welcome.
_NEGATIONS = (
    "不要求", "不需要", "不需", "无需", "无须", "毋须", "毋需", "不用", "不必", "不限", "不查", "不看", "不问",
    "不介意", "不在意", "不歧视", "不论", "无论", "不计较", "不强求", "不做要求", "不作要求", "无要求", "没有要求",
    "不设", "不会", "不", "不排斥", "不拒绝",
)  # not 欢迎/接受: "欢迎无犯罪记录者" and "须接受政审" still demand a clean record
# words that may stand between the negation and the phrase ("不要求应聘者提供无犯罪记录证明")
_FILLERS = ("应聘者", "求职者", "候选人", "员工", "本人", "提供", "出具", "开具", "具有", "具备", "持有", "对", "其",
            "的", "任何", "是否", "必须", "一定", "要求", "有")
_INCLUSIVE_AFTER = ("均可", "皆可", "都可", "都可以", "亦可", "也可", "不限", "没关系", "无所谓", "不影响", "不是问题",
                    "一视同仁", "不是障碍", "也欢迎", "欢迎", "可以")


@lru_cache(maxsize=1)
def _converter():
    import opencc  # OpenCC's own Python binding (C++), loaded once

    return opencc.OpenCC("t2s.json")


def _to_simplified(text: str) -> str:
    """Traditional/variant to simplified, one character for one, so positions stay those of the text."""
    converted = _converter().convert(text)
    if len(converted) != len(text):  # a phrase-level conversion changed the length: go character by character
        converted = "".join(ch if len(c := _converter().convert(ch)) != 1 else c for ch in text)
    for variant, common in _VARIANTS.items():
        converted = converted.replace(variant, common)
    return converted


def _fold_char(ch: str) -> str:
    """One character as matched: NFKC, casefolded; '' for the categories dropped."""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return "".join(c for c in folded if not unicodedata.category(c).startswith(_DROPPED_CATEGORIES))


def _folded(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` it came from."""
    simplified = _to_simplified(text)
    out, origin = [], []
    for index, ch in enumerate(simplified):
        for c in _fold_char(ch):
            out.append(c)
            origin.append(index)
    return "".join(out), origin


def normalise(text: str | None) -> str:
    """Simplified, NFKC (full-width -> half-width), casefolded, without separators or punctuation."""
    if not text:
        return ""
    return _folded(text)[0]


@dataclass(frozen=True)
class Finding:
    field: str
    phrase: str


def _clause_before(text: str, start: int) -> str:
    """The original text of the match's clause before the match, folded."""
    begin = start
    while begin > 0 and text[begin - 1] not in _CLAUSE_ENDS:
        begin -= 1
    return normalise(text[begin:start])


def _clause_after(text: str, end: int) -> str:
    stop = end
    while stop < len(text) and text[stop] not in _CLAUSE_ENDS:
        stop += 1
    return normalise(text[end:stop])


def _is_inclusive(simplified: str, start: int, end: int, matched: str) -> bool:
    """Whether the match is negated or welcomed in its clause (see the module docstring, step 3)."""
    before = _clause_before(simplified, start)
    if matched.startswith("无") and before.endswith("有"):
        return True  # 有无犯罪记录: "whether or not", a question, not a demand
    trimmed = before
    changed = True
    while changed and trimmed:
        changed = False
        for filler in _FILLERS:
            if trimmed.endswith(filler) and trimmed != filler:
                trimmed = trimmed[: -len(filler)]
                changed = True
    if any(trimmed.endswith(n) or before.endswith(n) for n in _NEGATIONS):
        return True
    after = _clause_after(simplified, end)
    return any(after.startswith(word) or after.startswith("者" + word) or after.startswith("人员" + word)
               for word in _INCLUSIVE_AFTER)


def _matches(text: str, phrases: Iterable[str], *, families: bool):
    """(position, -length, phrase named) of every non-inclusive match in `text`: the listed phrases, and
    the families when asked."""
    simplified = _to_simplified(text)
    haystack, origin = _folded(text)
    if not haystack:
        return []
    found = []

    def consider(start: int, end: int, named: str) -> None:
        first, last = origin[start], origin[end - 1] + 1
        if not _is_inclusive(simplified, first, last, haystack[start:end]):
            found.append((start, start - end, named))

    for _family, pattern in FAMILIES if families else ():
        for match in pattern.finditer(haystack):
            consider(match.start(), match.end(), match.group(0))
    for phrase in phrases:
        needle = normalise(phrase)
        if not needle:
            continue
        position = haystack.find(needle)
        while position >= 0:
            consider(position, position + len(needle), phrase)
            position = haystack.find(needle, position + 1)
    return found


def find_phrase(text: str | None, phrases: Iterable[str], *, families: bool = False) -> str | None:
    """The offending phrase found earliest in the text, the longest at the same place, or None.

    A listed phrase is named as stored; a family match by the words found (folded to simplified).
    """
    if not text:
        return None
    found = _matches(text, phrases, families=families)
    return min(found)[2] if found else None


def active_phrases() -> list[str]:
    return list(db.session.execute(
        select(DiscriminatoryPhrase.phrase).where(DiscriminatoryPhrase.is_active).order_by(DiscriminatoryPhrase.id)
    ).scalars())


def screen(fields: dict[str, str | None], phrases: Iterable[str] | None = None) -> Finding | None:
    """The first discriminatory phrase in the screened fields (families and the admin's list), or None."""
    phrases = list(active_phrases() if phrases is None else phrases)
    for name in SCREENED_FIELDS:
        phrase = find_phrase(fields.get(name), phrases, families=True)
        if phrase is not None:
            return Finding(name, phrase)
    return None
