"""Sizes as people read them: one rule for every page and message (1 MB = 1024² bytes,
as the upload page's limit is stated), in the current language ("1,5 Mo" in French)."""

from django.utils.formats import number_format
from django.utils.translation import gettext


def megabytes(size: int) -> str:
    """``52428800`` -> ``"50 MB"``; at least one decimal below 10 MB."""
    value = size / (1024 * 1024)
    decimals = 1 if value < 10 and value != int(value) else 0
    return gettext("%(number)s MB") % {"number": number_format(round(value, decimals), decimals)}
