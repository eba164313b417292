import factory
import numpy as np
from django.contrib.auth import get_user_model

from faces.models import VECTOR_MODELS, Face, vector_row
from photos.models import Album, Event, Photo

DLIB = "dlib-resnet-v1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")


class AlbumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Album

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Album {n}")


class PhotoFactory(factory.django.DjangoModelFactory):
    """A photo row; its file is a placeholder name unless ``file`` is given (rows for
    search and paging tests, where the pixels are not read)."""

    class Meta:
        model = Photo

    album = factory.SubFactory(AlbumFactory)
    event = factory.SelfAttribute("album.event")
    file = "events/placeholder.jpg"
    original_filename = factory.Sequence(lambda n: f"photo-{n}.jpg")
    content_hash = factory.Sequence(lambda n: f"{n:064d}")
    width = 100
    height = 100


class FaceFactory(factory.django.DjangoModelFactory):
    """A face of a photo; ``embedding=`` (and ``embedder=``, dlib's by default) also
    stores its vector in the table of its size, as processing does."""

    class Meta:
        model = Face

    photo = factory.SubFactory(PhotoFactory)
    event = factory.SelfAttribute("photo.event")
    x = 0
    y = 0
    width = 80
    height = 80
    score = 0.9

    @classmethod
    def _create(cls, model_class, *args, embedding=None, embedder=DLIB, **kwargs):
        face = super()._create(model_class, *args, **kwargs)
        if embedding is not None and face.status == Face.Status.VISIBLE:
            vector_row(face, embedder, embedding).save()
        return face


def vector_of(face: Face, embedder: str = DLIB) -> np.ndarray | None:
    """The face's stored vector from ``embedder``, or None (a hidden face keeps none)."""
    for model in VECTOR_MODELS.values():
        row = model.objects.filter(face=face, embedder=embedder).first()
        if row is not None:
            return np.asarray(row.embedding, dtype=np.float32)
    return None
