"""Migrations that move data: existing faces keep their vectors and their events keep
answering from the embedder they had."""

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Photos at the state those faces migrations knew (its later ones renamed columns).
BEFORE = [("faces", "0010_face_landmarks"), ("photos", "0014_event_language")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_face_vectors_move_to_their_table_and_each_event_keeps_its_embedder():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Event, Album = old.get_model("photos", "Event"), old.get_model("photos", "Album")
    Photo, Face = old.get_model("photos", "Photo"), old.get_model("faces", "Face")
    owner = User.objects.create(username="owner")
    rng = np.random.default_rng(0)
    events = []
    for number, embedders in enumerate([["dlib-resnet-v1"] * 3, ["other", "other", "dlib"]]):
        event = Event.objects.create(owner=owner, name=f"E{number}", slug=f"e{number}")
        album = Album.objects.create(event=event, title="A")
        photo = Photo.objects.create(
            album=album, event=event, content_hash=f"{number:064d}", width=10, height=10
        )
        for index, embedder in enumerate(embedders):
            vector = rng.normal(size=128)
            Face.objects.create(
                photo=photo,
                event=event,
                x=index,
                y=0,
                width=50,
                height=50,
                score=0.9,
                embedding=vector / np.linalg.norm(vector),
                embedder=embedder,
            )
        events.append(event.pk)
    hidden = Face.objects.filter(event_id=events[0]).order_by("x").last()
    Face.objects.filter(pk=hidden.pk).update(status="hidden", embedding=None)

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Vector = new.get_model("faces", "FaceVector128")
    EventEmbedder = new.get_model("faces", "EventEmbedder")
    assert Vector.objects.count() == 5  # every face with a vector; not the hidden one
    assert not Vector.objects.filter(face_id=hidden.pk).exists()
    assert dict(EventEmbedder.objects.values_list("event_id", "embedder")) == {
        events[0]: "dlib-resnet-v1",
        events[1]: "other",  # the embedder most of the event's faces had
    }
    assert set(EventEmbedder.objects.values_list("switching_to", flat=True)) == {""}


BEFORE_THE_MOVE = [
    ("photos", "0015_processing_state_is_photos"),
    ("faces", "0012_people"),
    ("registrations", "0002_hide_requests_and_pending_changes"),
]


@pytest.mark.django_db(transaction=True)
def test_the_columns_that_leave_photos_keep_every_value_both_ways():
    """faces' and registrations' columns of photos' tables move to their own tables
    (issue 28): every event's grouping versions and retention days arrive, and going
    back puts them back."""
    old = migrate(BEFORE_THE_MOVE)
    User, Event = old.get_model("auth", "User"), old.get_model("photos", "Event")
    owner = User.objects.create(username="owner")
    values = {}
    for number in range(5):
        event = Event.objects.create(
            owner=owner,
            name=f"E{number}",
            slug=f"e{number}",
            faces_version=number * 3,
            faces_grouped_version=number * 2,
            registration_retention_days=10 + number,
        )
        values[event.pk] = (number * 3, number * 2, 10 + number)

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    grouping = new.get_model("faces", "EventGrouping")
    retention = new.get_model("registrations", "EventRetention")
    moved = {
        row.event_id: (
            row.version,
            row.grouped_version,
            retention.objects.get(pk=row.event_id).days,
        )
        for row in grouping.objects.all()
    }
    assert moved == values
    assert "faces_version" not in {f.name for f in new.get_model("photos", "Event")._meta.fields}

    back = migrate(BEFORE_THE_MOVE)
    rows = back.get_model("photos", "Event").objects.values_list(
        "pk", "faces_version", "faces_grouped_version", "registration_retention_days"
    )
    assert {pk: rest for pk, *rest in rows} == {pk: list(v) for pk, v in values.items()}
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
