"""A registered guest's "hide me", and the organiser's decision.

A guest who deletes their data may ask to be hidden in the event's photos too. That is
a request, not an action: anyone can register with a photo of somebody else (cut from a
social network, say), and hiding at once would let them make that person disappear
from everyone's search. The organiser sees the faces the guest's search found and
approves or declines; the guest is emailed the decision (docs/privacy.md).
"""

import logging

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from faces import api
from registrations.models import HideRequest, Registration

logger = logging.getLogger(__name__)


def ask_to_hide(registration: Registration, *, face_ids: list[int]) -> HideRequest | None:
    """Note ``face_ids`` (the faces the attendee's search finds now) as a request to hide
    them, which the organiser decides (None: nothing to hide)."""
    if not face_ids:
        return None
    return HideRequest.objects.create(
        event_id=registration.event_id,
        email=registration.email,
        language=registration.language,
        face_ids=face_ids,
    )


def decide(request: HideRequest, *, approve: bool, user) -> HideRequest:
    """The organiser's answer to a guest's "hide me". Approving hides the people of the
    faces the guest's search found (everywhere in the event, photos added later too,
    as "Hide this person everywhere" does) and those faces that belong to nobody; the
    organiser is recorded as who hid them. The guest is emailed the decision.
    Deciding twice changes nothing (the first decision stands)."""
    with transaction.atomic():
        request = HideRequest.objects.select_for_update().get(pk=request.pk)
        if not request.is_waiting:
            return request
        if approve:
            request.faces_hidden = api.hide_people_of_faces(
                event_id=request.event_id, face_ids=request.face_ids, user=user
            )
        request.decision = (
            HideRequest.Decision.APPROVED if approve else HideRequest.Decision.DECLINED
        )
        request.decided_at, request.decided_by = timezone.now(), user
        request.save()
        transaction.on_commit(
            lambda: async_task(
                "registrations.emails.send_hide_decision",
                request.pk,
                task_name=f"hide-decision-{request.pk}",
            )
        )
    logger.info(
        "Hide request %s for event %s %s by user %s (%s faces hidden)",
        request.pk,
        request.event_id,
        request.decision,
        user.pk,
        request.faces_hidden,
    )
    return request
