"""A separate benchmark database filled with synthetic, realistic face vectors.

Identities are clustered unit vectors (a centre plus noise comparable to the spread
of one person's real dlib embeddings); each identity attends one event. Rows are
loaded with COPY and the HNSW index is built afterwards, as a bulk import would.
"""

import os
import time
from pathlib import Path

import numpy as np

# Per-component noise around an identity's centre: pairs of one person's faces land at
# L2 0.25-0.4, like real dlib unit vectors; different people at about 1.4.
NOISE = 0.022

# The real embedder's name, so that selfie requests search these rows.
BENCH_EMBEDDER = "dlib-resnet-v1"


def use_bench_database(name: str = "photos_bench") -> None:
    """Point Django at its own database on the same server (before django.setup())."""
    if os.environ.get("DATABASE_URL"):
        base = os.environ["DATABASE_URL"]
    else:
        from pathlib import Path

        from config.embedded_db import embedded_database_url

        base = embedded_database_url(Path(__file__).resolve().parent.parent / "var" / "pgdata")
    import psycopg

    with psycopg.connect(base, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    prefix, _, rest = base.partition("://")
    credentials_host, _, path = rest.partition("/")
    query = path.partition("?")[2]
    os.environ["DATABASE_URL"] = f"{prefix}://{credentials_host}/{name}" + (
        f"?{query}" if query else ""
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def empty_bench_database():
    """The bench database migrated and emptied of events, photos and faces; returns
    its owner user."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE faces_face, photos_photo, photos_album, photos_event CASCADE")
    owner, _ = get_user_model().objects.get_or_create(username="bench-owner")
    return owner


def one_album_event(name: str, slug: str):
    """An empty bench database holding one event of one album: (event, album)."""
    from photos.models import Album, Event

    event = Event.objects.create(owner=empty_bench_database(), name=name, slug=slug)
    return event, Album.objects.create(event=event, title="All")


def populate(
    *, faces: int, events: int, big_event_faces: int, seed: int = 0, hnsw: bool = True
) -> dict:
    """Fill the database; returns what the measurements need (events, identities)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from photos.models import Album, Event

    owner = empty_bench_database()
    rng = np.random.default_rng(seed)
    other, _ = get_user_model().objects.get_or_create(username="bench-other")
    started = time.perf_counter()
    event_rows = [
        Event(owner=owner if index < 10 else other, name=f"Bench {index}", slug=f"bench-{index}")
        for index in range(events)
    ]
    Event.objects.bulk_create(event_rows)
    albums = Album.objects.bulk_create([Album(event=e, title="All") for e in event_rows])
    # The first event is the big one; the rest share the remaining faces evenly.
    per_event = [big_event_faces] + _split(faces - big_event_faces, events - 1)
    identities, photo_id, face_rows, photo_rows = [], 0, [], []
    day0 = np.datetime64("2026-06-01T00:00")
    for event, album, count in zip(event_rows, albums, per_event, strict=True):
        people = max(5, count // 25)  # about 25 faces per person per event
        centres = unit(rng.normal(size=(people, 128)))
        identities.append((event.pk, centres))
        photos = max(1, count // 3)
        first_photo = photo_id + 1
        for index in range(photos):
            photo_id += 1
            taken = day0 + np.timedelta64(int(index * 60), "s")
            photo_rows.append((photo_id, album.pk, event.pk, f"{photo_id:064x}", str(taken)))
        members = rng.integers(0, people, size=count)
        noise = rng.normal(scale=NOISE, size=(count, 128))
        vectors = unit(centres[members] + noise).astype(np.float32)
        for index in range(count):
            face_rows.append((first_photo + int(rng.integers(0, photos)), event.pk, vectors[index]))
    _copy(photo_rows, face_rows)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The graph of 1M faces needs about 1.2 GB to be built in memory (spilling to
        # disk is several times slower); both cores.
        cursor.execute("SET maintenance_work_mem = '3GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        cursor.execute("DROP INDEX IF EXISTS facevector128_hnsw")
        if hnsw:
            cursor.execute(
                "CREATE INDEX facevector128_hnsw ON faces_facevector128 USING hnsw "
                "(embedding vector_l2_ops) WITH (m = 24, ef_construction = 100)"
            )
        cursor.execute("VACUUM ANALYZE faces_face")
        cursor.execute("VACUUM ANALYZE faces_facevector128")
        cursor.execute("ANALYZE")
    data = {
        "events": [e.pk for e in event_rows],
        "owner_events": [e.pk for e in event_rows[:10]],
        "identities": identities,
        "load_seconds": round(load_seconds, 1),
        "index_seconds": round(time.perf_counter() - started, 1),
    }
    _save(data)
    return data


SAVED = Path(__file__).resolve().parent.parent / "var" / "bench-populated.npz"


def _save(data: dict) -> None:
    SAVED.parent.mkdir(exist_ok=True)
    np.savez(
        SAVED,
        events=np.array(data["events"]),
        owner_events=np.array(data["owner_events"]),
        identity_events=np.array([event for event, _ in data["identities"]]),
        seconds=np.array([data["load_seconds"], data["index_seconds"]]),
        **{f"centres_{i}": centres for i, (_, centres) in enumerate(data["identities"])},
    )


def reload_populated() -> dict:
    """What ``populate`` returned for the rows already in the database."""
    saved = np.load(SAVED)
    events = saved["identity_events"].tolist()
    return {
        "events": saved["events"].tolist(),
        "owner_events": saved["owner_events"].tolist(),
        "identities": [(event, saved[f"centres_{i}"]) for i, event in enumerate(events)],
        "load_seconds": float(saved["seconds"][0]),
        "index_seconds": float(saved["seconds"][1]),
    }


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def _copy(photo_rows, face_rows) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS facevector128_hnsw")
        with cursor.copy(
            "COPY photos_photo (id, album_id, event_id, content_hash, taken_at, file, thumbnail, "
            "preview, original_filename, size_bytes, width, height, uploaded_at, "
            "processing_status, processing_error, processing_attempts) FROM STDIN"
        ) as copy:
            for pid, album, event, digest, taken in photo_rows:
                copy.write_row(
                    (
                        pid,
                        album,
                        event,
                        digest,
                        taken + "+00",
                        "bench.jpg",
                        "",
                        "",
                        f"{pid}.jpg",
                        0,
                        2000,
                        1500,
                        "2026-06-01 00:00+00",
                        "done",
                        "",
                        1,
                    )
                )
        cursor.execute("SELECT setval('photos_photo_id_seq', (SELECT max(id) FROM photos_photo))")
        cursor.execute("SELECT coalesce(max(id), 0) FROM faces_face")
        first_face = cursor.fetchone()[0] + 1
        with cursor.copy(
            "COPY faces_face (id, photo_id, event_id, x, y, width, height, score, "
            "is_matchable, status, created_at) FROM STDIN"
        ) as copy:
            for number, (photo, event, _) in enumerate(face_rows):
                copy.write_row(
                    (
                        first_face + number,
                        photo,
                        event,
                        10,
                        10,
                        80,
                        80,
                        0.95,
                        True,
                        "visible",
                        "2026-06-01 00:00+00",
                    )
                )
        cursor.execute("SELECT setval('faces_face_id_seq', (SELECT max(id) FROM faces_face))")
        with cursor.copy(
            "COPY faces_facevector128 (face_id, photo_id, event_id, embedder, is_matchable, "
            "embedding) FROM STDIN"
        ) as copy:
            for number, (photo, event, vector) in enumerate(face_rows):
                text = "[" + ",".join(f"{v:.6f}" for v in vector) + "]"
                copy.write_row((first_face + number, photo, event, BENCH_EMBEDDER, True, text))
        cursor.execute(
            "INSERT INTO faces_eventembedder "
            "(event_id, embedder, since, switching_to, grouped_with, grouped_faces) "
            "SELECT DISTINCT event_id, %s, now(), '', '', 0 FROM faces_face "
            "ON CONFLICT (event_id) DO NOTHING",
            [BENCH_EMBEDDER],
        )
