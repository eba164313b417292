"""Smart search: photos found by a description ("group photo outside") or by example.

Each processed photo gets one CLIP vector (``PhotoEmbedding``), computed in batches by
a background job once its faces are done. A search embeds the words (or reuses a
photo's vector), then ranks the filtered photos by cosine similarity through pgvector,
keeping those above a cut-off. Face search never reads any of this.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext
from pgvector.django import CosineDistance

from ml import loader
from ml.clip import ClipModel
from ml.loader import inference_lock
from photos.filters import SearchFilters
from photos.images import ImageError, open_image
from photos.models import Photo
from smart.models import EMBEDDING_DIMENSIONS, PhotoEmbedding

logger = logging.getLogger(__name__)

# CLIP looks at a 224-pixel square: a 448-pixel decode is plenty and fast.
DECODE_SIDE = 448


@dataclass(frozen=True)
class EmbedReport:
    embedded: int = 0
    unreadable: int = 0
    remaining: int = 0


@dataclass(frozen=True)
class SmartMatch:
    photo_id: int
    similarity: float


def get_clip() -> ClipModel:
    """The configured CLIP model (``PHOTOS_CLIP_MODEL``), loaded once per process, sized
    for the smart search column; ClipUnavailable says how to turn smart search on."""
    return loader.get_clip(settings.PHOTOS_CLIP_MODEL, dimensions=EMBEDDING_DIMENSIONS)


# --- computing embeddings --------------------------------------------------------------


def photos_to_embed(*, model_name: str, event_ids: list[int] | None = None) -> QuerySet:
    """Processed photos without a vector from ``model_name`` (new, or from another model)."""
    photos = Photo.objects.filter(processing_status=Photo.Status.DONE).exclude(
        clip__model_name=model_name
    )
    if event_ids is not None:
        photos = photos.filter(event_id__in=event_ids)
    return photos.order_by("id")


def embed_pending_photos(
    *,
    event_ids: list[int] | None = None,
    recompute: bool = False,
    time_budget: float | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> EmbedReport:
    """Embed photos in batches until none is left or ``time_budget`` seconds are spent.

    Several workers may run this at once: each batch locks its photo rows with SKIP
    LOCKED, so a photo is embedded by one of them. Raises ClipUnavailable when off.
    """
    model = get_clip()
    if recompute:
        stale = PhotoEmbedding.objects.all()
        if event_ids is not None:
            stale = stale.filter(event_id__in=event_ids)
        stale.delete()
    started = time.monotonic()
    embedded = unreadable = 0
    while time_budget is None or time.monotonic() - started < time_budget:
        done, failed = _embed_next_batch(model, event_ids=event_ids)
        if not done and not failed:
            break
        embedded, unreadable = embedded + done, unreadable + failed
        if on_batch:
            on_batch(done + failed)
    remaining = photos_to_embed(model_name=model.name, event_ids=event_ids).count()
    return EmbedReport(embedded=embedded, unreadable=unreadable, remaining=remaining)


def _embed_next_batch(model: ClipModel, *, event_ids: list[int] | None) -> tuple[int, int]:
    with transaction.atomic():
        batch = list(
            photos_to_embed(model_name=model.name, event_ids=event_ids)
            .select_for_update(skip_locked=True, of=("self",))
            .only("id", "event_id", "file", "thumbnail")[: settings.PHOTOS_CLIP_BATCH_SIZE]
        )
        if not batch:
            return 0, 0
        readable, images = [], []
        for photo in batch:
            image = _load_for_clip(photo)
            if image is not None:
                readable.append(photo)
                images.append(image)
        if readable:
            with inference_lock:
                vectors = model.embed_images(images)
            _store(readable, vectors, model.name)
        # A photo whose file cannot be read now (storage trouble) gets an all-zero
        # row: it is never found, and it is not retried by every run; `clip_index
        # --recompute` tries again.
        unreadable = [photo for photo in batch if photo not in readable]
        if unreadable:
            _store(unreadable, np.zeros((len(unreadable), 512), np.float32), model.name)
    return len(readable), len(unreadable)


def _load_for_clip(photo: Photo):
    field = photo.thumbnail if photo.thumbnail else photo.file
    try:
        with field.open("rb") as fp:
            return open_image(
                fp, max_pixels=settings.PHOTOS_MAX_PIXELS, decode_side=DECODE_SIDE
            ).image
    except (ImageError, OSError) as error:
        logger.warning("Photo %s cannot be read for smart search: %s", photo.pk, error)
        return None


def _store(photos: list[Photo], vectors: np.ndarray, model_name: str) -> None:
    rows = [
        PhotoEmbedding(photo=photo, event_id=photo.event_id, model_name=model_name, embedding=v)
        for photo, v in zip(photos, vectors, strict=True)
    ]
    PhotoEmbedding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["photo"],
        update_fields=["event", "model_name", "embedding", "created_at"],
    )


def embedding_counts(*, event_ids: list[int] | None, model_name: str) -> tuple[int, int]:
    """(photos with a vector from ``model_name``, processed photos) in the events."""
    photos = Photo.objects.filter(processing_status=Photo.Status.DONE)
    vectors = PhotoEmbedding.objects.filter(model_name=model_name)
    if event_ids is not None:
        photos = photos.filter(event_id__in=event_ids)
        vectors = vectors.filter(event_id__in=event_ids)
    return vectors.count(), photos.count()


# --- searching -------------------------------------------------------------------------


def search_by_text(text: str, *, filters: SearchFilters) -> list[SmartMatch]:
    """Photos that look like ``text`` describes, most similar first."""
    model = get_clip()
    with inference_lock:
        vector = model.embed_text(text)
    return nearest_photos(
        vector,
        model_name=model.name,
        filters=filters,
        min_similarity=settings.PHOTOS_CLIP_TEXT_MIN_SIMILARITY,
    )


class NotEmbedded(LookupError):
    """The example photo has no smart search vector yet."""


def more_like_this(photo: Photo, *, filters: SearchFilters) -> list[SmartMatch]:
    """Photos that look like ``photo`` (itself excluded), most similar first."""
    model = get_clip()
    example = PhotoEmbedding.objects.filter(photo=photo, model_name=model.name).first()
    if example is None or not np.any(example.embedding):
        raise NotEmbedded(gettext("This photo has not been prepared for smart search yet."))
    matches = nearest_photos(
        np.asarray(example.embedding),
        model_name=model.name,
        filters=filters,
        min_similarity=settings.PHOTOS_CLIP_SIMILAR_MIN_SIMILARITY,
        limit=settings.PHOTOS_CLIP_MAX_RESULTS + 1,
    )
    return [m for m in matches if m.photo_id != photo.pk][: settings.PHOTOS_CLIP_MAX_RESULTS]


def nearest_photos(
    vector: np.ndarray,
    *,
    model_name: str,
    filters: SearchFilters,
    min_similarity: float,
    limit: int | None = None,
) -> list[SmartMatch]:
    """The filtered photos closest to ``vector`` with similarity >= ``min_similarity``."""
    limit = limit or settings.PHOTOS_CLIP_MAX_RESULTS
    rows = filtered_embeddings(model_name=model_name, filters=filters).annotate(
        distance=CosineDistance("embedding", vector)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Across every event the HNSW index serves the ORDER BY; the iterative scan
        # keeps filtered results complete (same as face search).
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [max(100, limit)])
        nearest = list(rows.order_by("distance").values_list("photo_id", "distance")[:limit])
    matches = [SmartMatch(photo_id, 1 - distance) for photo_id, distance in nearest]
    matches = [m for m in matches if m.similarity >= min_similarity]
    return sorted(matches, key=lambda m: -m.similarity)


def filtered_embeddings(*, model_name: str, filters: SearchFilters) -> QuerySet:
    return filters.apply(PhotoEmbedding.objects.filter(model_name=model_name))
