"""The days a bucket of the date facet covers, worked out independently of the engine and the widget."""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta


def bucket_days(value: str) -> tuple[date, date]:
    """First and last day of a bucket: YYYY-MM-DD, YYYY-Www (ISO 8601 week), YYYY-MM or YYYY.

    >>> bucket_days("2020-W53")
    (datetime.date(2020, 12, 28), datetime.date(2021, 1, 3))
    """
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", value):
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return monday, monday + timedelta(days=6)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = int(m[1]), int(m[2])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1), date(int(value), 12, 31)
    return date.fromisoformat(value), date.fromisoformat(value)
