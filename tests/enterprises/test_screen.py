"""The discrimination screen (seed 000 art. 20/35): phrases are found however they are spaced,
punctuated or typed in full-width forms; clean text passes."""

from __future__ import annotations

import pytest

from base_ops.enterprises import screen

PHRASES = ["无犯罪记录", "有前科者勿扰", "需政审", "背景清白", "无前科"]


@pytest.mark.parametrize(("text", "expected"), [
    ("要求无犯罪记录", "无犯罪记录"),
    ("无 犯 罪 记 录", "无犯罪记录"),
    ("无\u3000犯罪\t记录", "无犯罪记录"),  # ideographic space, tab
    ("无·犯·罪·记·录", "无犯罪记录"),
    ("无、犯罪，记录", "无犯罪记录"),
    ("无-犯_罪*记/录|", "无犯罪记录"),
    ("无犯\u200b罪\u200d记\ufeff录", "无犯罪记录"),  # zero-width space, joiner, BOM
    ("无犯罪.记录", "无犯罪记录"),
    ("有前科者，勿扰！", "有前科者勿扰"),
    ("需 政 审", "需政审"),
    ("背景\n清白", "背景清白"),
])
def test_phrase_found_however_written(text, expected):
    assert screen.find_phrase(text, PHRASES) == expected


def test_full_width_latin_and_digits_are_folded():
    assert screen.normalise("ＡＢＣ　１２３") == "abc123"
    assert screen.find_phrase("须提供ＮＯ－ＣＲＩＭＥ证明", ["no crime"]) == "no crime"


def test_the_earliest_then_longest_phrase_is_named():
    assert screen.find_phrase("要求无违法犯罪记录", ["犯罪记录", "无违法犯罪记录"]) == "无违法犯罪记录"
    assert screen.find_phrase("需政审，背景清白", ["背景清白", "需政审"]) == "需政审"


def test_phrases_themselves_are_normalised():
    assert screen.find_phrase("要求无犯罪记录", ["无 犯罪·记录"]) == "无 犯罪·记录"


@pytest.mark.parametrize("text", ["负责小区日常保洁", "吃苦耐劳，有叉车证优先", "", None, "记录员 犯规"])
def test_clean_text_passes(text):
    assert screen.find_phrase(text, PHRASES) is None


def test_screen_reports_the_first_field_in_order():
    finding = screen.screen({"title": "保洁员", "description": "需政审", "requirements": "无犯罪记录"}, PHRASES)
    assert finding == screen.Finding("description", "需政审")
    assert screen.screen({"title": "保洁员", "description": "日常保洁", "requirements": None}, PHRASES) is None
