#!/usr/bin/env python
"""Registered attendees told about a new upload: 10,000 registrations, 500 photos.

    .venv/bin/python bench/registrations_bench.py [--registrations 10000] [--photos 500]
                                                  [--faces 10000]

In the bench database (bench/searchdata.py: synthetic dlib-like unit vectors, about 25
faces per person), one event of FACES faces is grouped into people; REGISTRATIONS
confirmed registrations are stored for it: one per person of the event (their vector a
new "selfie" of that person) and the rest strangers. PHOTOS photos of three faces each
(two of the event's people, one stranger; bench/people_bench.py) are then stored, and
the worker's side is timed as production runs it, each step on its own:

1. grouping the new faces into people (faces.people_upkeep, already measured by
   people_bench.py; shown for context),
2. finding the registered attendees in the new faces and noting their new photos
   (registrations.notify.match_new_faces: what the `faces_grouped` signal queues),
3. queueing and sending the emails (registrations.notify.send_due, then each
   registrations.emails.send_new_photos, through Django's in-memory email backend).

Checked: how many people with new photos were notified, and strangers notified.
Writes bench/results/registrations.json.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--faces", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from bench.searchdata import use_bench_database

    use_bench_database()
    import django

    django.setup()
    from django.conf import settings
    from django_q.conf import Conf

    Conf.SYNC = True  # the tasks run here, one after the other: their time is the work
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from bench.searchdata import populate

    print(f"loading {args.faces} faces into one event of the bench database...", flush=True)
    data = populate(faces=args.faces + 100, events=2, big_event_faces=args.faces, hnsw=False)
    event_id, centres = data["identities"][0]
    row = run(event_id, np.asarray(centres), args.registrations, args.photos)
    print(json.dumps(row, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "registrations.json").write_text(json.dumps(row, indent=2))


def run(event_id: int, centres: np.ndarray, registrations: int, photos: int) -> dict:
    from django.core import mail

    from bench.people_bench import _add_upload
    from faces import people_upkeep
    from faces.models import faces_changed
    from faces.signals import faces_grouped
    from registrations import notify
    from registrations.models import Registration

    people_upkeep.group_event_faces(event_id=event_id, full=True)
    people_ids = _register(event_id, centres, registrations)
    new_faces = _add_upload(event_id, centres, photos)
    faces_changed([event_id])

    # The app's receiver would run the matching inside the grouping here (tasks run
    # inline): it is timed on its own below instead.
    faces_grouped.disconnect(dispatch_uid="registrations.queue_matching")
    announced: list[list[int]] = []
    faces_grouped.connect(lambda sender, face_ids, **kw: announced.append(face_ids), weak=False)
    started = time.perf_counter()
    people_upkeep.group_event_faces(event_id=event_id)
    grouping = time.perf_counter() - started
    face_ids = [face for batch in announced for face in batch]

    started = time.perf_counter()
    waiting = notify.match_new_faces(event_id=event_id, face_ids=face_ids)
    matching = time.perf_counter() - started

    mail.outbox = []
    started = time.perf_counter()
    queued = notify.send_due()
    sending = time.perf_counter() - started

    identities_with_new = {who for _, who in new_faces if who is not None}
    notified = set(
        Registration.objects.filter(event_id=event_id, last_notified_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    right = sum(
        1
        for identity, pk in people_ids.items()
        if identity in identities_with_new and pk in notified
    )
    strangers = len(notified - set(people_ids.values()))
    return {
        "registrations": registrations,
        "new_photos": photos,
        "new_faces": len(new_faces),
        "grouping_seconds": round(grouping, 2),
        "matching_seconds": round(matching, 2),
        "emails_seconds": round(sending, 2),
        "worker_seconds_for_registrations": round(matching + sending, 2),
        "attendees_with_new_photos": waiting,
        "emails_queued": queued,
        "emails_sent": len(mail.outbox),
        "people_with_new_photos_notified": f"{right}/{len(identities_with_new & set(people_ids))}",
        "strangers_notified": strangers,
    }


def _register(event_id: int, centres: np.ndarray, count: int) -> dict[int, int]:
    """COUNT confirmed registrations: one per identity of the event, then strangers.
    Returns identity -> registration id."""
    from django.utils import timezone

    from bench.searchdata import NOISE, unit
    from registrations.models import Registration, RegistrationVector

    Registration.objects.filter(event_id=event_id).delete()
    rng = np.random.default_rng(7)
    now = timezone.now()
    rows = Registration.objects.bulk_create(
        Registration(
            event_id=event_id,
            email=f"guest{index}@example.org",
            consented_at=now,
            confirmed_at=now,
        )
        for index in range(count)
    )
    vectors = []
    for index in range(count):
        if index < len(centres):
            vector = unit(centres[index] + rng.normal(scale=NOISE, size=128))
        else:
            vector = unit(rng.normal(size=128))
        vectors.append(vector.astype(np.float32))
    RegistrationVector.objects.bulk_create(
        (
            RegistrationVector(
                registration=row, event_id=event_id, embedder="dlib-resnet-v1", embedding=vector
            )
            for row, vector in zip(rows, vectors, strict=True)
        ),
        batch_size=2000,
    )
    return {index: rows[index].pk for index in range(min(count, len(centres)))}


if __name__ == "__main__":
    main()
