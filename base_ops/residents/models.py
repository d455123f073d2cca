"""A resident's file and case notes.

Identity is derived from the ID number (GB 11643-1999): sex from the 17th digit,
birth date from characters 7-14; never typed. Offence, sentence, prison, release
date, risk, health notes, bank account and the ID number itself are sensitive
personal information (GB/T 35273-2020 Table B.2; docs/domain.md "Who is served").
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.extensions import db
from base_ops.org.models import Region, Sex

# 帮教期: 5 years after release from prison, 3 after community correction ends (seed 002 二(三)3) by
# default; the years are the 户籍 county's policy (policies/keys.py support_years_*).
SUPPORT_YEARS_KEY = {"released": "support_years_released", "correction_ended": "support_years_correction_ended"}


class SubjectType(enum.StrEnum):
    RELEASED = "released"  # 刑满释放人员
    CORRECTION_ENDED = "correction_ended"  # 解除社区矫正人员


class Diet(enum.StrEnum):
    STANDARD = "standard"
    HALAL = "halal"  # 清真
    VEGETARIAN = "vegetarian"
    MEDICAL = "medical"  # 病号餐


class CaseNoteKind(enum.StrEnum):
    TALK = "talk"  # 谈心谈话
    COUNSELLING = "counselling"  # 心理咨询
    JOB_GUIDANCE = "job_guidance"  # 就业指导
    EDUCATION = "education"  # 教育
    REWARD = "reward"  # 奖励
    BREACH = "breach"  # 违纪


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Resident(TimestampMixin, db.Model):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    birth_on: Mapped[date]
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(30))
    hukou_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    hukou_address: Mapped[str | None] = mapped_column(String(200))

    subject_type: Mapped[SubjectType] = mapped_column(enum_column(SubjectType, "subject_type"))
    released_on: Mapped[date]
    prison_name: Mapped[str | None] = mapped_column(String(100))
    prison_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    offence: Mapped[str | None] = mapped_column(String(200))
    sentence_months: Mapped[int | None]
    # 报到: registration at the 司法所 of the 户籍 (seed 002 三(三)), drives the living allowance.
    registered_on: Mapped[date | None]

    # Category flags (docs/domain.md "Who is served").
    is_homeless: Mapped[bool] = mapped_column(default=False)  # 无家可归
    has_no_relatives: Mapped[bool] = mapped_column(default=False)  # 无亲可投
    is_unemployed: Mapped[bool] = mapped_column(default=False)  # 无业可就
    reoffend_risk: Mapped[bool] = mapped_column(default=False)  # 明显重新违法犯罪倾向
    state_security: Mapped[bool] = mapped_column(default=False)  # 危安
    false_identity: Mapped[bool] = mapped_column(default=False)  # 三假
    special_hardship: Mapped[bool] = mapped_column(default=False)  # 特别困难社区矫正人员

    diet: Mapped[Diet] = mapped_column(enum_column(Diet, "diet"), default=Diet.STANDARD)
    health_notes: Mapped[str | None] = mapped_column(Text)
    bank_account: Mapped[str | None] = mapped_column(String(40))
    dibao_since: Mapped[date | None]
    # 重新犯罪: set by a discharge as `reoffended`, or recorded later in the support period; the living
    # allowance stops from the month after (docs/domain.md "Living allowance").
    reoffended_on: Mapped[date | None]
    # 脱管: a follow-up contact found the person missing on this day; the county sees the flag at once. A later
    # contact that finds him clears it (residents.services record_missing / clear_missing; docs/domain.md
    # "Follow-up after discharge").
    missing_since: Mapped[date | None]
    # 生活确有困难 (seed 002 三(三)), recorded with what proves it (e.g. 村委会出具的生活困难证明): the living
    # allowance needs both. Recorded and cleared together by residents.services (record_hardship, clear_hardship).
    hardship_recorded_on: Mapped[date | None]
    hardship_evidence: Mapped[str | None] = mapped_column(String(200))

    # The base that registered the file; scope also follows every stay.
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"))  # indexed with id below

    hukou_region: Mapped[Region] = relationship(foreign_keys=[hukou_region_code], lazy="joined")

    __table_args__ = (
        # The resident list finds the scope's ids from the first and walks the second in list order
        # (index-only scans; queries.resident_list_page, README "Performance").
        Index("ix_residents_base_id_id", "base_id", "id"),
        Index("ix_residents_name_id", "name", "id"),
        CheckConstraint("registered_on IS NULL OR registered_on >= released_on", name="registered_after_release"),
        CheckConstraint("sentence_months IS NULL OR sentence_months >= 0", name="sentence_not_negative"),
    )

    @property
    def is_three_none(self) -> bool:
        return self.is_homeless and self.has_no_relatives and self.is_unemployed

    @property
    def is_key_subject(self) -> bool:
        return self.reoffend_risk or self.state_security or self.false_identity or self.is_three_none

    @property
    def support_ends_on(self) -> date:
        """The end of the 帮教期: the years the 户籍 county's policy sets on the day of release (or of the end
        of correction)."""
        from base_ops.policies.services import applied  # the policies package reads regions; no import cycle

        key = SUPPORT_YEARS_KEY[SubjectType(self.subject_type).value]
        return add_years(self.released_on, applied(key, self.hukou_region_code, self.released_on).whole)

    def age_on(self, day: date) -> int:
        return day.year - self.birth_on.year - ((day.month, day.day) < (self.birth_on.month, self.birth_on.day))


class CaseNote(TimestampMixin, db.Model):
    """A dated 帮教记录 on a resident's file (seed 002 二(三)5: 一人一档)."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    stay_id: Mapped[int | None] = mapped_column(ForeignKey("stays.id"))
    kind: Mapped[CaseNoteKind] = mapped_column(enum_column(CaseNoteKind, "case_note_kind"))
    noted_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    author = relationship("User", lazy="joined")

    __table_args__ = (Index("ix_case_notes_resident_noted", "resident_id", "noted_on"),)

