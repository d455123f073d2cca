"""Jobs closed by law to people with a criminal record (docs/domain.md "Lawful bars on some jobs"): the one
table of them, with the law and article that close each, read by postings, referrals, training and the seeds.

A barred job is not discrimination (the screen, enterprises/screen.py, is for everything else): an
enterprise may post it for others, the posting says so, the base never refers a subject to it and the
training catalogue does not train subjects for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Bar:
    job: str  # the job kind, as a training skill names it
    words: tuple[str, ...]  # words in a posting's title that mean this job
    law: str
    article: str
    barred: str  # who the law closes the job to

    def citation(self) -> str:
        return f"{self.law} {self.article}"


# 《保安服务管理条例》 (国务院令第564号) art. 17: 曾被收容教育、强制隔离戒毒、劳动教养或者3次以上行政拘留的，
# 曾因故意犯罪被刑事处罚的 … 不得担任保安员. 保安服务 under the same regulation (art. 2) includes 门卫、巡逻、
# 守护、押运、随身护卫、安全检查: the words below are the job titles people post those under.
BARS: tuple[Bar, ...] = (
    Bar(job="保安", words=("保安", "安保", "押运", "护卫", "门卫", "秩序维护", "安检员"), law="《保安服务管理条例》",
        article="第十七条",
        barred=_l("anyone once given a criminal penalty for an intentional crime")),
)


@lru_cache(maxsize=4096)  # a list page asks for each of its postings' titles
def _folded(text: str | None) -> str:
    """The text as the screen reads it (simplified, half-width, no spaces or punctuation). Imported here:
    the screen imports the models, which ask this module whether a posting is barred."""
    from base_ops.enterprises.screen import normalise

    return normalise(text)


def bar_for_skill(skill: str | None) -> Bar | None:
    """The bar of a training skill (a job kind), or None."""
    return next((bar for bar in BARS if skill and _folded(skill) == _folded(bar.job)), None)


def bar_for_title(title: str | None) -> Bar | None:
    """The bar of a posting by the words of its title (postings have no job-kind field), or None."""
    folded = _folded(title)
    return next((bar for bar in BARS if any(_folded(word) in folded for word in bar.words)), None)


def is_barred(bar: Bar | None, resident) -> bool:
    """Whether the law closes this job to this person.

    Everyone the base serves is a subject (安置帮教对象) with a criminal record, and the system does not
    tell an intentional crime from a negligent one, so every resident is barred from every barred job;
    the rule is kept as a function so that the day it is finer, it changes here only.
    """
    return bar is not None and resident is not None


def warning(bar: Bar) -> str:
    """What a posting for a barred job says (to the enterprise, the base manager and the API)."""
    return _("By law, %(job)s jobs are closed to %(barred)s (%(law)s %(article)s): the base does not refer "
             "its residents to this posting.", job=bar.job, barred=bar.barred, law=bar.law, article=bar.article)
