"""Partner enterprises; enterprise user accounts are scoped to one of them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from base_ops.core.db import TimestampMixin
from base_ops.extensions import db
from base_ops.org.models import Region


class Enterprise(TimestampMixin, db.Model):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码 (GB 32100-2015), validated with stdnum.cn.uscc.
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(30))

    region: Mapped[Region] = relationship(lazy="joined")
