#!/usr/bin/env python
"""The organiser's word in search: two look-alikes the grouping merged, separated by
the organiser, then searched with each one's selfie.

    .venv/bin/python bench/people_decisions_bench.py ../shared/testdata/faces

Builds an event (bench database) of Serena and Venus Williams, Tiger Woods, Andre
Agassi and Bill Gates (their photos 2-10), indexes and groups it as the product does,
prints the people it finds (by who is really in them), then does what an organiser
would: moves Venus's faces out of a person that holds both sisters to a new person
(one action, faces.organiser_decisions.move_faces) and names both. Then searches with
each one's photo 1 (never in the event) and prints whose photos come back, sure and
through "Is this you?". Exits 1 if a selfie returns the other sister's photos.
"""

import argparse
import hashlib
import io
import os
import sys
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.searchdata import use_bench_database  # noqa: E402

NAMES = ["Serena_Williams", "Venus_Williams", "Tiger_Woods", "Andre_Agassi", "Bill_Gates"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    args = parser.parse_args()
    use_bench_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from faces import api, organiser_decisions, people_upkeep
    from faces.models import FacePerson, Person
    from photos.filters import SearchFilters
    from photos.models import Event, Photo
    from photos.services import delete_event

    call_command("migrate", verbosity=0)
    root = args.dataset / "identities"
    get_user_model().objects.get_or_create(username="bench-people")
    slug = f"lookalikes-{uuid.uuid4().hex[:6]}"
    files = [str(root / name / f"{i}.jpg") for name in NAMES for i in range(2, 11)]
    call_command("index_photos", "--event", slug, "--owner", "bench-people", "--sync", *files,
                 stdout=io.StringIO())  # fmt: skip
    event = Event.objects.get(slug=slug)
    people_upkeep.group_event_faces(event_id=event.pk, full=True)
    who = {
        hashlib.sha256((root / name / f"{i}.jpg").read_bytes()).hexdigest(): name
        for name in NAMES
        for i in range(1, 11)
    }
    hashes = dict(Photo.objects.filter(event=event).values_list("pk", "content_hash"))

    def person_of_photo(photo_id: int) -> str:
        return who[hashes[photo_id]]

    try:
        print("People found by the grouping:")
        for person in Person.objects.filter(event=event):
            faces = FacePerson.objects.filter(person=person).select_related("face")
            inside = Counter(person_of_photo(m.face.photo_id) for m in faces)
            print(f"  person {person.pk}: {dict(inside)}")
        merged = max(Person.objects.filter(event=event), key=lambda p: p.memberships.count())
        venus_faces = [
            m.face for m in merged.memberships.select_related("face")
            if person_of_photo(m.face.photo_id) == "Venus_Williams"
        ]  # fmt: skip
        if venus_faces and len(venus_faces) < merged.memberships.count():
            venus = organiser_decisions.move_faces(faces=venus_faces, to=None)
            organiser_decisions.rename(person=venus, name="Venus")
            organiser_decisions.rename(person=merged, name="Serena")
            print(f"The organiser moved Venus's {len(venus_faces)} faces to a new person.")
        else:
            print("The grouping kept the sisters apart: nothing to separate.")
        wrong = 0
        for name in NAMES[:3]:
            with (root / name / "1.jpg").open("rb") as fp:
                search = api.search_by_selfie(fp=fp, filters=SearchFilters(event_ids=[event.pk]))
            sure = Counter(person_of_photo(m.photo_id) for m in search.sure)
            asked = Counter(person_of_photo(q.photo_id) for q in search.questions)
            print(f"{name}'s selfie: sure {dict(sure)}, asked about {dict(asked)}")
            sister = {"Serena_Williams": "Venus_Williams", "Venus_Williams": "Serena_Williams"}
            if name in sister and (sure[sister[name]] or asked[sister[name]]):
                wrong += 1
    finally:
        delete_event(event=event)
    print("each sister gets only her own photos" if not wrong else "A SISTER GOT THE OTHER'S")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
