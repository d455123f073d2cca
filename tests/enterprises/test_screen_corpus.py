"""The discrimination screen read as people write (issue 18; docs/domain.md "Lawful bars on some jobs"):
traditional and variant characters, the common wordings and frames, and inclusive text let through.
A corpus of real-style postings both ways; the screen reads only its own phrase families here (no list)."""

from __future__ import annotations

import pytest

from base_ops.enterprises import screen

REFUSED = [
    "要求無犯罪記錄",
    "无犯罪纪录",
    "無犯罪记录",
    "身体健康，无违法犯罪记录，能吃苦耐劳",
    "应聘者须提供无犯罪记录证明",
    "入职需开具无犯罪证明",
    "需提供良民证",
    "没有案底，没有不良嗜好",
    "本人无前科，品行端正",
    "未受过刑事处罚",
    "从未受过任何刑事处罚者优先",
    "有前科者勿扰",
    "有前科者，勿扰！",
    "刑满释放人员免谈",
    "刑滿釋放人員勿擾",
    "两劳人员不予录用",
    "谢绝劳改释放人员",
    "不招有犯罪记录的人",
    "有案底的不要",
    "坐过牢的请绕道",
    "进过监狱的一律不要",
    "背景清白，需政审",
    "需通过政审",
    "身家清白，五官端正",
    "品行端正，无不良记录",
    "司机：驾龄三年以上，无犯罪记录者优先",
    "保安队长（需無違法犯罪紀錄）",
    "无 犯 罪 记 录",
    "无·犯罪，记录",
    "要求：１、无犯罪记录；２、吃苦耐劳",
    "学历不限，无犯罪记录",
    "不要求学历，但必须无犯罪记录",
    "入职须接受政审",
    "欢迎无犯罪记录者应聘",
    "我们不会录用有前科的人",
]

ACCEPTED = [
    "不要求无犯罪记录，欢迎刑满释放人员",
    "欢迎刑满释放人员应聘",
    "不要求应聘者提供无犯罪记录证明",
    "无需提供无犯罪证明",
    "不论有无犯罪记录均可",
    "有无犯罪记录均可，一视同仁",
    "我们不歧视有前科人员，欢迎来电",
    "接受刑满释放人员",
    "不会拒绝有前科者",
    "本岗位不查犯罪记录",
    "负责小区日常保洁，包吃住",
    "叉车司机，持证上岗，月薪五千",
    "普工：吃苦耐劳，服从安排",
    "有无前科不影响录用",
    "厨师助理，有健康证优先",
    "记录员，负责仓库出入库记录",
    "做好安全巡查记录",
    "不需要政审",
    "释放压力的好岗位：园艺工",
    "对犯罪记录不做要求",
]


@pytest.mark.parametrize("text", REFUSED)
def test_a_discriminatory_posting_is_refused(text):
    assert screen.find_phrase(text, [], families=True) is not None, text


@pytest.mark.parametrize("text", ACCEPTED)
def test_an_inclusive_or_ordinary_posting_passes(text):
    assert screen.find_phrase(text, [], families=True) is None, (text, screen.find_phrase(text, [], families=True))


def test_the_corpus_is_large_enough_both_ways():
    assert len(REFUSED) + len(ACCEPTED) >= 40
    assert len(REFUSED) >= 20 and len(ACCEPTED) >= 20


def test_traditional_characters_are_named_in_simplified():
    assert screen.find_phrase("要求無犯罪記錄", [], families=True) == "无犯罪记录"


def test_a_listed_phrase_is_negated_like_a_family():
    assert screen.find_phrase("不要求背调合格", ["背调合格"]) is None
    assert screen.find_phrase("需背调合格", ["背调合格"]) == "背调合格"


def test_screen_reads_families_and_the_list():
    finding = screen.screen({"title": "保洁员", "description": "吃苦耐劳", "requirements": "無犯罪記錄"}, [])
    assert finding == screen.Finding("requirements", "无犯罪记录")
    assert screen.screen({"title": "保洁员", "description": "欢迎刑满释放人员", "requirements": None}, []) is None
