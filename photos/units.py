"""Sizes as people read them: one rule for every page and message (1 MB = 1024² bytes,
as the upload page's limit is stated)."""


def megabytes(size: int) -> str:
    """``52428800`` -> ``"50 MB"``; at least one decimal below 10 MB."""
    value = size / (1024 * 1024)
    return f"{value:.1f} MB" if value < 10 and value != int(value) else f"{value:.0f} MB"
