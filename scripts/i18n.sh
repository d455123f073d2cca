#!/usr/bin/env bash
# Translation catalogues for Flask-Babel (base_ops/translations/).
#
#   scripts/i18n.sh extract   msgids from base_ops/**.py and templates/** -> messages.pot
#   scripts/i18n.sh update    merge messages.pot into zh_Hans_CN/LC_MESSAGES/messages.po (Simplified Chinese)
#   scripts/i18n.sh compile   .po -> .mo, which the app reads (the Makefile runs this first)
#   scripts/i18n.sh all       extract, update, compile
#
# Source strings (msgids) are English; Simplified Chinese (zh_CN) is the default UI
# language and the only catalogue (English needs none). *.mo files are not committed.
# Needs only the project venv: .venv/bin/pybabel, else pybabel on PATH, or PYBABEL=...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TRANSLATIONS="base_ops/translations"
# I18N_POT: extract elsewhere (tests/core/test_i18n.py extracts into a temp file).
POT="${I18N_POT:-$TRANSLATIONS/messages.pot}"
# Catalogue directories are named as Babel names the locale, not as the app
# spells it: Flask-Babel parses "zh_CN" (BABEL_DEFAULT_LOCALE, the language
# switch) into Locale zh_Hans_CN and looks for zh_Hans_CN/ (then zh/), never
# zh_CN/. A zh_CN/ directory would silently leave the UI in English.
LOCALES=(zh_Hans_CN)
WIDTH=120

if [[ -z "${PYBABEL:-}" ]]; then
    if [[ -x "$ROOT/.venv/bin/pybabel" ]]; then
        PYBABEL="$ROOT/.venv/bin/pybabel"
    else
        PYBABEL="pybabel"
    fi
fi

extract() {
    tmp="$(mktemp)"
    trap 'rm -f "$tmp"' EXIT
    # --ignore-dirs replaces Babel's default, which skips every directory whose
    # name starts with "_" (that would lose templates/_macros/).
    "$PYBABEL" --quiet extract \
        --mapping-file=babel.cfg \
        --keywords=_l --keywords=lazy_gettext \
        --ignore-dirs='.* __pycache__ tests migrations node_modules instance' \
        --add-location=file --sort-by-file \
        --project=base_ops --version=0.1.0 \
        --copyright-holder="base_ops" \
        --width="$WIDTH" \
        --output-file="$tmp" \
        .
    # Keep the old file when only the creation date changed: no churn in diffs.
    if [[ -f "$POT" ]] && diff -q <(grep -v '^"POT-Creation-Date:' "$POT") \
                                   <(grep -v '^"POT-Creation-Date:' "$tmp") >/dev/null; then
        echo "i18n: $POT unchanged"
    else
        cp "$tmp" "$POT"
        echo "i18n: wrote $POT ($(grep -c '^msgid ' "$POT") entries incl. header)"
    fi
}

update() {
    local locale po
    for locale in "${LOCALES[@]}"; do
        po="$TRANSLATIONS/$locale/LC_MESSAGES/messages.po"
        if [[ -f "$po" ]]; then
            # No fuzzy guesses: a new or changed msgid stays untranslated until
            # someone translates it (tests/core/test_i18n.py lists them).
            "$PYBABEL" --quiet update --input-file="$POT" --output-dir="$TRANSLATIONS" --locale="$locale" \
                --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width="$WIDTH"
        else
            "$PYBABEL" --quiet init --input-file="$POT" --output-dir="$TRANSLATIONS" --locale="$locale" \
                --width="$WIDTH"
        fi
        echo "i18n: updated $po"
    done
}

compile_catalogues() {
    "$PYBABEL" compile --directory="$TRANSLATIONS" --statistics
}

case "${1:-}" in
    extract) extract ;;
    update) update ;;
    compile) compile_catalogues ;;
    all) extract; update; compile_catalogues ;;
    *)
        echo "usage: $0 extract|update|compile|all" >&2
        exit 2
        ;;
esac
