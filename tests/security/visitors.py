"""Every kind of visitor, for the access tests."""

from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

# staff: a superuser; moderator: staff in the Moderators group, no other power.
KINDS = ["anonymous", "attendee", "attendee_other_link", "owner", "stranger", "staff", "moderator"]
LOGIN = 302  # sent to the login page


def visitor(kind, world, images) -> Client:
    client = Client()
    if kind in ("owner", "stranger", "staff", "moderator"):
        client.force_login(UserFactory(username=kind))
    if kind in ("attendee", "attendee_other_link"):
        event = world["event"] if kind == "attendee" else world["other_event"]
        with images["obama2.jpg"].open("rb") as fp:
            client.post(
                reverse("attendees:search", args=[event.attendee_token]),
                {"selfie": fp, "consent": "on"},
            )
    return client
