import factory
from django.contrib.auth import get_user_model

from photos.models import Album, Event


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
