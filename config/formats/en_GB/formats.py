"""British English: Django's formats, with a 24-hour clock (20 Jun 2026 14:30) and
short month names without the year (20 Jun). Other languages keep Django's own."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
