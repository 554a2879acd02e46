"""What a patient looks like to someone without the ``anon`` right.

Issue 3: the first three letters of the last name, and the age instead of the
birth date.  Every view of this layer that shows a patient goes through
``patient_identity``, so no output (list, export, report) can forget it.
"""

from __future__ import annotations

import datetime as dt


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    """Whole years from ``birth_date`` to ``day`` (None when the birth date is unknown)."""
    if birth_date is None:
        return None
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def patient_identity(
    first_name: str | None,
    last_name: str | None,
    birth_date: dt.date | None,
    *,
    visible: bool,
    today: dt.date,
) -> tuple[str, str | None, str | None, dt.date | None, int | None]:
    """What a viewer may see of a patient: label, first name, last name, birth date, age.

    Without ``visible`` (the ``anon`` right), names and birth date are None and
    the label is the first three letters of the last name.
    """
    age = age_on(birth_date, today)
    if visible:
        label = " ".join(part for part in (last_name, first_name) if part)
        return label, first_name, last_name, birth_date, age
    return (last_name or "")[:3], None, None, None, age
