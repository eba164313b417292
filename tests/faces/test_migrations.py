"""Migrations that move data: existing faces keep their vectors and their events keep
answering from the embedder they had."""

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("faces", "0010_face_landmarks")]


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
