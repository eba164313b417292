"""django-q2 tasks of the registrations app: ids in, one service call, one log line."""

import logging

from django_q.tasks import async_task

from core.schedules import Periodic
from registrations import links, notify, services

logger = logging.getLogger(__name__)


def queue_matching(sender, *, event_id: int, face_ids: list[int], **kwargs) -> None:
    """Receiver of faces.signals.faces_grouped (connected in registrations/apps.py)."""
    if services.has_registrations(event_id):
        async_task(match_new_faces, event_id, face_ids, task_name=f"registrations-{event_id}")


def match_new_faces(event_id: int, face_ids: list[int]) -> int:
    waiting = notify.match_new_faces(event_id=event_id, face_ids=face_ids)
    if waiting:
        logger.info("Event %s: %s registered attendees have new photos waiting", event_id, waiting)
    return waiting


def send_due_emails() -> int:
    queued = notify.send_due()
    if queued:
        logger.info("Queued %s 'new photos' emails", queued)
    return queued


def delete_expired_registrations() -> int:
    deleted = services.delete_expired()
    links.delete_old_links()
    logger.info("Deleted %s expired registrations", deleted)
    return deleted


PERIODIC = [
    Periodic("email registered attendees", send_due_emails, "minutes", 1),
    Periodic("delete expired registrations", delete_expired_registrations, "daily"),
]
