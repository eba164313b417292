"""Fixed-window rate limits on one atomic counter per key, in PostgreSQL or in Redis.

A window starts at a key's first hit and lasts ``window_seconds``; later hits never
extend it, so a 15-minute lockout ends 15 minutes after it began. Each hit is a single
statement (PostgreSQL ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, or Redis
``INCR`` + ``EXPIRE NX`` in one transaction), so concurrent hits from any number of
processes are all counted. Counters are never culled to make room: expired rows are
deleted by an hourly task (``core.tasks.delete_expired_rate_counters``).

Django's database cache is not used: its ``incr`` is get-then-set (hits are lost under
concurrency), every ``set`` restarts the expiry, and past ``MAX_ENTRIES`` it culls a third
of its keys, counters included (docs/security.md, "Rate limits").
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.db import connection
from django.db.models.functions import Now

from core.models import RateCounter

# An expired row restarts at 1 with a new window; a live one keeps its expiry.
# statement_timestamp(), not now(): a hit inside a long transaction still sees the clock.
HIT_SQL = """
INSERT INTO core_ratecounter AS counter (key, count, expires_at)
VALUES (%(key)s, 1, statement_timestamp() + make_interval(secs => %(seconds)s))
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counter.expires_at <= statement_timestamp()
                 THEN 1 ELSE counter.count + 1 END,
    expires_at = CASE WHEN counter.expires_at <= statement_timestamp()
                      THEN EXCLUDED.expires_at ELSE counter.expires_at END
RETURNING count
"""

REFUND_SQL = """
UPDATE core_ratecounter SET count = count - 1
WHERE key = %(key)s AND count > 0 AND expires_at > statement_timestamp()
"""

# Decrement only a live key: DECR on a missing one would create it with no expiry.
REDIS_REFUND = "if redis.call('exists', KEYS[1]) == 1 then redis.call('decr', KEYS[1]) end"

_redis_clients: dict[str, object] = {}


def hit(scope: str, key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for ``key``; False once more than ``limit`` fall in its window."""
    return add_hit(scope, key, window_seconds=window_seconds) <= limit


def add_hit(scope: str, key: str, *, window_seconds: int) -> int:
    """Count one hit for ``key``; returns the hits in its window, this one included."""
    name = _name(scope, key)
    if settings.REDIS_URL:
        pipe = _redis().pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, window_seconds, nx=True)
        count, _ = pipe.execute()
    else:
        with connection.cursor() as cursor:
            cursor.execute(HIT_SQL, {"key": name, "seconds": window_seconds})
            (count,) = cursor.fetchone()
    return count


def count(scope: str, key: str) -> int:
    """Hits counted for ``key`` in its current window, without counting one (0 if expired)."""
    name = _name(scope, key)
    if settings.REDIS_URL:
        return int(_redis().get(name) or 0)
    live = RateCounter.objects.filter(key=name, expires_at__gt=Now())
    return live.values_list("count", flat=True).first() or 0


def refund(scope: str, key: str) -> None:
    """Take back one hit (a hit that turned out not to count), keeping the window."""
    name = _name(scope, key)
    if settings.REDIS_URL:
        _redis().eval(REDIS_REFUND, 1, name)
    else:
        with connection.cursor() as cursor:
            cursor.execute(REFUND_SQL, {"key": name})


def delete_expired() -> int:
    """Delete the counters whose window has ended. Returns how many (Redis expires its own)."""
    deleted, _ = RateCounter.objects.filter(expires_at__lte=Now()).delete()
    return deleted


def client_key(request) -> str:
    """A keyed hash of the client's address: rate limits without keeping the address.

    IPv6 clients are keyed by their /64 network: one home or phone is given a whole /64
    and can pick any of its 2**64 addresses, so a per-address limit would not hold.
    """
    return private_key(_network(client_address(request)))


def client_networks(request) -> list[str]:
    """Keys (keyed hashes) for the client's address and the wider networks it belongs
    to, narrowest first: an IPv4 address alone; for IPv6 its /64 (one home or phone)
    and its /48 (one site: a /48 holds 65,536 /64s, which one attacker can hold)."""
    address = client_address(request)
    networks = [_network(address)]
    ip = _ip(address)
    if ip is not None and ip.version == 6 and not ip.ipv4_mapped:
        networks.append(str(ipaddress.IPv6Network((int(ip), 48), strict=False)))
    return [private_key(network) for network in networks]


def client_address(request) -> str:
    """The client's address as given (behind a trusted proxy: the last hop it added)."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        address = forwarded.split(",")[-1].strip() or address
    return address


def private_key(value: str) -> str:
    """A keyed hash (HMAC with SECRET_KEY) of ``value``: a counter's key that names no
    address or email, and cannot be reversed by trying every address."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


def _ip(address: str):
    try:
        return ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return None


def _network(address: str) -> str:
    ip = _ip(address)
    if ip is None:
        return address  # not an address (a unix socket, a proxy's odd header): as given
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:  # ::ffff:192.0.2.1 from a dual-stack socket is an IPv4 client
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(ip), 64), strict=False))


def _name(scope: str, key: str) -> str:
    return f"rate:{scope}:{key}"


def _redis():
    url = settings.REDIS_URL
    if url not in _redis_clients:
        import redis  # only deployments with REDIS_URL need it

        _redis_clients[url] = redis.Redis.from_url(url)
    return _redis_clients[url]
