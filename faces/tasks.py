"""django-q2 tasks: ids in, one service call, one log line."""

import logging

from faces import services

logger = logging.getLogger(__name__)


def process_photo(photo_id: int) -> int | None:
    """Renditions and faces for one photo. Returns its face count."""
    photo = services.process_photo(photo_id=photo_id)
    if photo is None:
        logger.info("Photo %s is gone or being processed elsewhere; skipped", photo_id)
        return None
    logger.info("Photo %s: %s, %s faces", photo_id, photo.faces_status, photo.face_count)
    return photo.face_count


def requeue_stale_photos() -> int:
    count = services.requeue_stale_photos()
    if count:
        logger.info("Re-queued or failed %s interrupted photos", count)
    return count


def group_changed_events() -> int:
    """Group the faces of every event that changed into people. Returns how many events."""
    event_ids = services.group_changed_events()
    if event_ids:
        logger.info("Faces grouped into people for events %s", event_ids)
    return len(event_ids)
