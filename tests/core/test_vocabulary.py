"""Every word the users read for a code has one home: the `vocabulary.py` of its domain (issue 16).

Forms, pages, spreadsheets and messages take labels from there, so a label cannot be written twice and
drift ("Deceased" on one page, "Died" on another). A label table outside a vocabulary module fails here,
and so does a table that misses a value of its enum (a code would reach the page).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from pathlib import Path

import base_ops

PACKAGE_ROOT = Path(base_ops.__file__).parent
LABEL_TABLE = re.compile(r"^([A-Z][A-Z_]*_LABELS|STATUS_WORDS)\s*=\s*\{", re.M)
# Label tables that live elsewhere on purpose, each with its reason.
ELSEWHERE = {
    "ROLE_LABELS": "roles are the kernel's (who may open which page), not a domain's",
}


def _vocabularies():
    for module in pkgutil.walk_packages([str(PACKAGE_ROOT)], prefix="base_ops."):
        if module.name.endswith(".vocabulary"):
            yield importlib.import_module(module.name)


def test_label_tables_live_only_in_vocabulary_modules():
    misplaced = []
    for path in PACKAGE_ROOT.rglob("*.py"):
        if path.name == "vocabulary.py" or "translations" in path.parts:
            continue
        for name in LABEL_TABLE.findall(path.read_text(encoding="utf-8")):
            if name not in ELSEWHERE:
                misplaced.append(f"{path.relative_to(PACKAGE_ROOT)}: {name}")
    assert not misplaced, "label tables outside a vocabulary.py:\n" + "\n".join(misplaced)


def test_each_enum_table_labels_every_value():
    tables = 0
    for module in _vocabularies():
        for name, table in vars(module).items():
            if not name.endswith("_LABELS") or not isinstance(table, dict) or not table:
                continue
            keys = list(table)
            if not all(isinstance(k, enum.Enum) for k in keys):
                continue
            tables += 1
            enum_class = type(keys[0])
            if name == "MOVE_LABELS":  # buttons exist for the moves a person makes, not for every status
                continue
            missing = [member.value for member in enum_class if member not in table]
            assert not missing, f"{module.__name__}.{name} has no label for {missing}"
    assert tables >= 8, tables


def test_labels_are_translated_words_not_codes(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh_CN"):
        for module in _vocabularies():
            for name, table in vars(module).items():
                if name.endswith("_LABELS") and isinstance(table, dict):
                    for code, label in table.items():
                        text = str(label)
                        assert text and text != str(code) and not re.fullmatch(r"[a-z_]+", text), \
                            f"{module.__name__}.{name}[{code!r}] reads {text!r}"
