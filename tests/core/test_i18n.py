"""Translations: every English msgid has a Simplified Chinese translation, the UI
is Chinese by default and switches to English.

When test_every_message_is_translated fails, run `scripts/i18n.sh extract`,
`scripts/i18n.sh update`, translate the listed messages in the .po file, then
`scripts/i18n.sh compile`.
"""

from __future__ import annotations

import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from base_ops.config import PROJECT_ROOT, Config

TRANSLATIONS = PROJECT_ROOT / "base_ops" / "translations"
# Flask-Babel looks a locale up under Babel's own name for it: "zh_CN" is zh_Hans_CN.
ZH_DIR = TRANSLATIONS / str(Locale.parse(Config.BABEL_DEFAULT_LOCALE)) / "LC_MESSAGES"
PO = ZH_DIR / "messages.po"
MO = ZH_DIR / "messages.mo"

# %(name)s, %(code)r, %s, %d ... and %% (Jinja's new-style gettext always %-formats).
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[a-zA-Z]|%[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGcoua]")


def _read(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogue():
    """The .mo the app reads, rebuilt here if missing or older than the .po
    (the Makefile compiles too; this keeps a bare `pytest` honest)."""
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        catalog = _read(PO)
        tmp = MO.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(MO)
        # Flask-Babel caches loaded catalogues per process; drop a stale one
        # (domain_instance is a cached_property: absent until first used).
        from base_ops.extensions import babel

        domain = vars(babel).get("domain_instance")
        if domain is not None:
            domain.cache.clear()
    return MO


@pytest.fixture(scope="module")
def source_catalog(tmp_path_factory):
    """The msgids in the source today, extracted exactly as scripts/i18n.sh does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    env = dict(os.environ, I18N_POT=str(pot), PYBABEL=str(Path(sys.executable).parent / "pybabel"))
    subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "i18n.sh"), "extract"], check=True, env=env,
                   cwd=PROJECT_ROOT, capture_output=True, text=True)
    return _read(pot)


def _msgids(catalog):
    return [m for m in catalog if m.id]


def _strings(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def test_the_catalogue_is_where_flask_babel_looks():
    """A zh_CN/ directory would be silently ignored: Babel turns zh_CN into zh_Hans_CN."""
    for code in Config.LANGUAGES:
        if code == "en":
            continue  # the msgids are English
        name = str(Locale.parse(code))
        assert gettext.find("messages", str(TRANSLATIONS), [name]), f"no compiled catalogue for {code} ({name})"


def test_every_message_is_translated(source_catalog):
    translations = {m.id: m for m in _read(PO) if m.id}
    missing = []
    for message in _msgids(source_catalog):
        entry = translations.get(message.id)
        if entry is None or entry.fuzzy or not all(s.strip() for s in _strings(entry.string)):
            where = ", ".join(sorted({path for path, _line in message.locations}))
            missing.append(f"{message.id!r}  ({where})")
    assert not missing, (
        f"{len(missing)} message(s) without a Chinese translation in {PO.relative_to(PROJECT_ROOT)} "
        "(run scripts/i18n.sh extract && scripts/i18n.sh update, translate, then compile):\n  "
        + "\n  ".join(missing)
    )


def test_translations_keep_the_placeholders():
    wrong = []
    for entry in _msgids(_read(PO)):
        if not entry.string or entry.fuzzy:
            continue
        ids = _strings(entry.id)
        # One Chinese form serves every count, so it must carry the plural msgid's placeholders.
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in _strings(entry.string):
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{entry.id!r} -> {text!r}")
            elif "%" in PLACEHOLDER.sub("", text) and "%" not in PLACEHOLDER.sub("", ids[-1]):
                wrong.append(f"{entry.id!r} -> {text!r} (stray %: write %%)")
    assert not wrong, "placeholders differ from the msgid:\n  " + "\n  ".join(wrong)


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "登录" in page
    assert "过渡性安置基地管理系统" in page
    assert "Sign in" not in page


def test_english_switch(client):
    response = client.post("/language", data={"lang": "en"})
    assert response.status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Sign in" in page
    assert "登录" not in page

    client.post("/language", data={"lang": "zh_CN"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "xx"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_service_messages_follow_the_language(app):
    from flask_babel import force_locale

    from base_ops.core.errors import ValidationFailed
    from base_ops.core.identity import validate_uscc

    with app.test_request_context():
        with pytest.raises(ValidationFailed) as chinese:
            validate_uscc("")
        with force_locale("en"), pytest.raises(ValidationFailed) as english:
            validate_uscc("")
    assert chinese.value.fields == {"uscc": ["不能为空"]}
    assert english.value.fields == {"uscc": ["is required"]}
    assert english.value.message == "uscc: is required"
