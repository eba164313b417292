"""Every address a person may hold keeps working across the layout's changes: attendee
links, share links and the links in emails resolve as they always did (issue 28 moved
their views to the attendees app; their paths and cookies did not change)."""

import pytest
from django.urls import resolve

TOKEN = "A" * 43


@pytest.mark.parametrize(
    "path, view",
    [
        (f"/e/{TOKEN}/", "attendees.views.attendee"),
        (f"/e/{TOKEN}/search/", "attendees.views.attendee_search"),
        (f"/e/{TOKEN}/photos/", "attendees.views.attendee_results"),
        (f"/e/{TOKEN}/photos/12/preview/", "attendees.views.attendee_photo"),
        (f"/e/{TOKEN}/questions/7/face.jpg", "attendees.views.attendee_question_face"),
        (f"/e/{TOKEN}/questions/7/", "attendees.views.attendee_question_answer"),
        (f"/e/{TOKEN}/download.zip", "attendees.views.attendee_download"),
        (f"/e/{TOKEN}/forget/", "attendees.views.attendee_forget"),
        (f"/p/{TOKEN}/", "attendees.shared.shared"),
        (f"/p/{TOKEN}/photos/3/thumbnail/", "attendees.shared.shared_photo"),
        (f"/p/{TOKEN}/download.zip", "attendees.shared.shared_download"),
        (f"/e/{TOKEN}/register/", "registrations.views.register"),
        (f"/e/{TOKEN}/me/", "registrations.views.mine"),
        (f"/e/{TOKEN}/me/abc:def:ghi/", "registrations.views.login"),
        (f"/e/{TOKEN}/delete/12:abcdef/", "registrations.views.delete"),
    ],
)
def test_the_addresses_people_hold_resolve_as_before(path, view):
    match = resolve(path)
    assert f"{match.func.__module__}.{match.func.__name__}" == view


def test_browser_ids_and_camera_tickets_given_before_the_move_stay_valid():
    """Their signatures' salts are those of the app they began in (faces)."""
    from attendees import camera, limits

    assert limits.COOKIE_SALT == "faces.limits.browser-id"
    assert camera.SALT == "faces.camera.capture-ticket"
