"""django-q2 tasks of the faces app: ids in, one service call, one log line."""

import logging

from django.conf import settings
from django_q.tasks import async_task

from core.schedules import Periodic
from faces import people_upkeep, processing, reembedding, vector_refresh
from faces.engines import embedder_named, get_embedder
from photos import languages

logger = logging.getLogger(__name__)


def queue_processing(sender, *, photo_ids: list[int], **kwargs) -> None:
    """Receiver of photos.signals.processing_requested (connected in faces/apps.py):
    one task per photo, named after it."""
    for photo_id in photo_ids:
        async_task(process_photo, photo_id, task_name=f"photo-{photo_id}")


def process_photo(photo_id: int) -> bool:
    """Renditions and faces for one photo. Its models run in this task; the photo is
    stored by the worker's helper thread while the next task starts (faces.processing.
    process_photo_overlapped). Returns whether the photo was taken."""
    with languages.of_photo(photo_id):
        if settings.Q_CLUSTER.get("sync"):  # run in the caller's thread and transaction
            finishing = processing.finished(processing.process_photo(photo_id=photo_id))
        else:
            finishing = processing.process_photo_overlapped(photo_id=photo_id)
    if finishing is None:
        logger.info("Photo %s is gone or being processed elsewhere; skipped", photo_id)
        return False
    finishing.add_done_callback(lambda done: _log_processed(photo_id, done.result()))
    return True


def _log_processed(photo_id: int, photo) -> None:
    if photo is None:
        logger.info("Photo %s was not stored (see above)", photo_id)
    else:
        faces = photo.faces.count()
        logger.info("Photo %s: %s, %s faces", photo_id, photo.processing_status, faces)


def requeue_stale_photos() -> int:
    count = processing.requeue_stale_photos()
    if count:
        logger.info("Re-queued or failed %s interrupted photos", count)
    return count


def group_changed_events() -> int:
    """Group the faces of every event that changed into people. Returns how many events."""
    event_ids = people_upkeep.group_changed_events()
    if event_ids:
        logger.info("Faces grouped into people for events %s", event_ids)
    return len(event_ids)


def reembed_event(event_id: int, embedder_name: str, after: int = 0) -> int:
    """Part of a model change: vectors for the next PHOTOS_PER_TASK photos of the event
    (ids above ``after``), then the same task for the rest, or the switch at the end."""
    embedder = embedder_named(embedder_name)
    missing = reembedding.photos_missing(event_id=event_id, embedder=embedder)
    missing = [photo_id for photo_id in missing if photo_id > after]
    batch = missing[: reembedding.PHOTOS_PER_TASK]
    stored, problems = reembedding.reembed_photos(photo_ids=batch, embedder=embedder)
    for problem in problems:
        logger.warning("Event %s, switching to %s: %s", event_id, embedder_name, problem)
    if len(missing) > len(batch):
        queue_reembedding(event_id, embedder_name, after=batch[-1])
        return stored
    reembedding.reseed_hidden_people(event_id=event_id, embedder=embedder)
    if reembedding.finish_if_covered(event_id=event_id):
        logger.info("Event %s now answers from %s", event_id, embedder_name)
    else:
        logger.warning(
            "Event %s is not fully covered by %s yet; `manage.py reembed_faces --status` "
            "shows what is left, and running reembed_faces again resumes",
            event_id,
            embedder_name,
        )
    return stored


def queue_reembedding(event_id: int, embedder_name: str, after: int = 0) -> None:
    async_task(reembed_event, event_id, embedder_name, after, task_name=f"reembed-{event_id}")


def start_vector_refreshes() -> int:
    """Queue a pass for each event whose vectors follow an earlier rule
    (faces.vector_refresh). Returns how many were queued."""
    event_ids = vector_refresh.start_refreshes(embedder=get_embedder())
    for event_id in event_ids:
        queue_vector_refresh(event_id)
    if event_ids:
        logger.info("Face vectors of events %s to be brought up to the rule in force", event_ids)
    return len(event_ids)


def refresh_event_vectors(event_id: int, after: int = 0, refreshed: int = 0) -> int:
    """Part of a pass: the next chunk of photos with stale vectors (ids above
    ``after``), then the same task for the rest, or the end of the pass."""
    embedder = get_embedder()
    chunk = vector_refresh.refresh_chunk(event_id=event_id, embedder=embedder, after=after)
    for problem in chunk.problems:
        logger.warning("Event %s, refreshing face vectors: %s", event_id, problem)
    refreshed += chunk.refreshed
    if chunk.last_photo is not None:
        queue_vector_refresh(event_id, after=chunk.last_photo, refreshed=refreshed)
    else:
        vector_refresh.finish(event_id=event_id, embedder=embedder, refreshed=refreshed)
        logger.info(
            "Event %s: %s face vectors brought up to the rule in force", event_id, refreshed
        )
    return chunk.refreshed


def queue_vector_refresh(event_id: int, after: int = 0, refreshed: int = 0) -> None:
    async_task(refresh_event_vectors, event_id, after, refreshed, task_name=f"refresh-{event_id}")


PERIODIC = [
    Periodic("requeue stale photos", requeue_stale_photos, "minutes", 5),
    Periodic("group faces into people", group_changed_events, "minutes", 1),
    Periodic("refresh stored face vectors", start_vector_refreshes, "minutes", 10),
]
