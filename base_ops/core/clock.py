"""Today's date where the bases are (China Standard Time), in one place so tests can freeze it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(LOCAL_ZONE).date()
