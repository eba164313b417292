"""django-q2 tasks of the faces app: ids in, one service call, one log line."""

import logging

from django_q.tasks import async_task

from core.schedules import Periodic
from faces import people, processing

logger = logging.getLogger(__name__)


def queue_processing(sender, *, photo_ids: list[int], **kwargs) -> None:
    """Receiver of photos.signals.processing_requested (connected in faces/apps.py):
    one task per photo, named after it."""
    for photo_id in photo_ids:
        async_task(process_photo, photo_id, task_name=f"photo-{photo_id}")


def process_photo(photo_id: int) -> int | None:
    """Renditions and faces for one photo. Returns its face count."""
    photo = processing.process_photo(photo_id=photo_id)
    if photo is None:
        logger.info("Photo %s is gone or being processed elsewhere; skipped", photo_id)
        return None
    logger.info("Photo %s: %s, %s faces", photo_id, photo.faces_status, photo.face_count)
    return photo.face_count


def requeue_stale_photos() -> int:
    count = processing.requeue_stale_photos()
    if count:
        logger.info("Re-queued or failed %s interrupted photos", count)
    return count


def group_changed_events() -> int:
    """Group the faces of every event that changed into people. Returns how many events."""
    event_ids = people.group_changed_events()
    if event_ids:
        logger.info("Faces grouped into people for events %s", event_ids)
    return len(event_ids)


PERIODIC = [
    Periodic("requeue stale photos", requeue_stale_photos, "minutes", 5),
    Periodic("group faces into people", group_changed_events, "minutes", 1),
]
