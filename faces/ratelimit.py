"""Fixed-window rate limits in the shared cache (the database cache by default)."""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache


def allow(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for ``key``; False once more than ``limit`` hits fall in the window."""
    cache_key = bucket_key(scope, key, window_seconds)
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def bucket_key(scope: str, key: str, window_seconds: int) -> str:
    """The cache key counting hits for ``key`` in the current window."""
    return f"rate:{scope}:{key}:{int(time.time() // window_seconds)}"


def client_key(request) -> str:
    """A keyed hash of the client's address: rate limits without keeping the address."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        address = forwarded.split(",")[-1].strip() or address
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]
