"""Regions, bases, rooms, beds and the reference data attached to regions."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.core.enums import enum_column
from base_ops.extensions import db


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class Region(db.Model):
    """An administrative division: code PPCCDD (GB/T 2260)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(enum_column(RegionLevel, "region_level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)

    __table_args__ = (CheckConstraint("length(code) = 6", name="code_six_digits"),)

    @property
    def code_prefix(self) -> str:
        """The prefix every code inside this region starts with."""
        return region_prefix(self.code, self.level)


def region_prefix(code: str, level: RegionLevel | str) -> str:
    level = RegionLevel(level)
    if level is RegionLevel.PROVINCE:
        return code[:2]
    if level is RegionLevel.CITY:
        return code[:4]
    return code


class Base(TimestampMixin, db.Model):
    """A transitional resettlement base (过渡性安置基地)."""

    __tablename__ = "bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # docs/domain.md "At the base": maximum stay 180 days, configurable per base.
    max_stay_days: Mapped[int] = mapped_column(default=180)
    # CNY per person per day, for the meal cost.
    meal_standard: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("30.00"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The account the handover claims of the base are paid to (收款账号; issue 21).
    bank_account: Mapped[str | None] = mapped_column(String(40))

    region: Mapped[Region] = relationship(lazy="joined")
    rooms: Mapped[list[Room]] = relationship(
        back_populates="base", order_by="Room.name", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("max_stay_days > 0", name="max_stay_positive"),
        CheckConstraint("meal_standard >= 0", name="meal_standard_not_negative"),
    )


class Room(TimestampMixin, db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(ForeignKey("bases.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))

    base: Mapped[Base] = relationship(back_populates="rooms")
    beds: Mapped[list[Bed]] = relationship(
        back_populates="room", order_by="Bed.label", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("base_id", "name"),)


class Bed(TimestampMixin, db.Model):
    __tablename__ = "beds"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    label: Mapped[str] = mapped_column(String(20))

    room: Mapped[Room] = relationship(back_populates="beds", lazy="joined")
    service_periods: Mapped[list[BedServicePeriod]] = relationship(
        back_populates="bed", order_by="BedServicePeriod.start_on", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("room_id", "label"),)

    def is_in_service_on(self, night: date) -> bool:
        return any(p.covers(night) for p in self.service_periods)


class BedServicePeriod(db.Model):
    """Nights [start_on, end_on) a bed is in service; end_on NULL = still in service.

    Kept as history so past available bed-nights stay correct (docs/domain.md
    "Rates and reports": a bed-night is available when the bed is in service).
    """

    __tablename__ = "bed_service_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("beds.id"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date | None]

    bed: Mapped[Bed] = relationship(back_populates="service_periods")

    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="period_not_empty"),
        # At most one open period per bed.
        Index(
            "uq_bed_service_periods_open",
            "bed_id",
            unique=True,
            sqlite_where=text("end_on IS NULL"),
            postgresql_where=text("end_on IS NULL"),
        ),
    )

    def covers(self, night: date) -> bool:
        return self.start_on <= night and (self.end_on is None or night < self.end_on)


class DibaoStandard(TimestampMixin, db.Model):
    """Monthly 城乡最低生活保障标准 of a region for a year (docs/domain.md "Living allowance")."""

    __tablename__ = "dibao_standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    year: Mapped[int]
    monthly: Mapped[Decimal] = mapped_column(Numeric(10, 2))

    region: Mapped[Region] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("region_code", "year"),
        CheckConstraint("monthly > 0", name="monthly_positive"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
    )
