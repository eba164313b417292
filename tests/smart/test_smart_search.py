"""Smart search with CLIP, run for real with a tiny random CLIP model saved to a folder."""

import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from faces.models import FaceVector128
from faces.processing import process_photo
from faces.selfies import search_by_selfie
from ml.clip import ClipUnavailable
from ml.loader import forget_loaded as forget_loaded_models
from photos.filters import SearchFilters
from photos.models import Photo
from photos.services import add_photo
from smart import services as smart_search
from smart import tasks
from smart.models import PhotoEmbedding
from smart.services import get_clip
from tests.clip_models import save_tiny_clip
from tests.factories import AlbumFactory, EventFactory
from tests.sample_images import no_face_image


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    return save_tiny_clip(tmp_path_factory.mktemp("tiny-clip-512"))


@pytest.fixture
def clip_on(settings, tiny_clip):
    settings.PHOTOS_CLIP_MODEL = str(tiny_clip)
    settings.PHOTOS_CLIP_TEXT_MIN_SIMILARITY = -1.0  # random weights: keep every photo
    settings.PHOTOS_CLIP_SIMILAR_MIN_SIMILARITY = -1.0
    forget_loaded_models()
    yield tiny_clip
    forget_loaded_models()


@pytest.fixture
def clip_off(settings):
    settings.PHOTOS_CLIP_MODEL = ""
    forget_loaded_models()
    yield
    forget_loaded_models()


def add_image(album, image: Image.Image, name: str) -> Photo:
    data = io.BytesIO()
    image.save(data, "JPEG", quality=90)
    data.seek(0)
    added = add_photo(album=album, fp=data, original_filename=name, queue=False)
    return process_photo(photo_id=added.photo.pk)


def scenery(seed: int) -> Image.Image:
    return no_face_image(size=(480, 360), seed=seed)


@pytest.fixture
def scenes(album):
    return [add_image(album, scenery(seed), f"scene-{seed}.jpg") for seed in range(5)]


def independent_image_vectors(folder, photos) -> np.ndarray:
    """The photos' thumbnails through transformers directly, not through ml.clip."""
    import torch
    from transformers import CLIPModel, CLIPProcessor

    model, processor = (
        CLIPModel.from_pretrained(folder).eval(),
        CLIPProcessor.from_pretrained(folder),
    )
    images = []
    for photo in photos:
        with photo.thumbnail.open("rb") as fp:
            images.append(Image.open(fp).convert("RGB"))
    with torch.inference_mode():
        output = model.get_image_features(**processor(images=images, return_tensors="pt"))
    vectors = getattr(output, "pooler_output", output).numpy()
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_processed_photos_get_a_unit_vector_from_the_background_task(clip_on, scenes):
    assert PhotoEmbedding.objects.count() == 0  # computed after processing, not inside it
    assert tasks.embed_pending_photos() == len(scenes)

    rows = {row.photo_id: row for row in PhotoEmbedding.objects.all()}
    assert set(rows) == {photo.pk for photo in scenes}
    assert {row.model_name for row in rows.values()} == {str(clip_on)}
    assert {row.event_id for row in rows.values()} == {scenes[0].event_id}
    stored = np.array([rows[photo.pk].embedding for photo in scenes])
    expected = independent_image_vectors(clip_on, [Photo.objects.get(pk=p.pk) for p in scenes])
    assert np.allclose(stored, expected, atol=1e-4)
    assert tasks.embed_pending_photos() == 0  # nothing left: idempotent


def test_photos_waiting_for_faces_are_not_embedded_yet(clip_on, album, settings):
    done = add_image(album, scenery(1), "done.jpg")
    waiting = add_photo(
        album=album, fp=_jpeg(scenery(2)), original_filename="waiting.jpg", queue=False
    ).photo
    assert waiting.processing_status == Photo.Status.PENDING
    report = smart_search.embed_pending_photos()
    assert (report.embedded, report.remaining) == (1, 0)
    assert list(PhotoEmbedding.objects.values_list("photo_id", flat=True)) == [done.pk]


def _jpeg(image: Image.Image) -> io.BytesIO:
    data = io.BytesIO()
    image.save(data, "JPEG")
    data.seek(0)
    return data


def test_text_search_ranks_by_similarity_and_applies_the_cut_off(clip_on, scenes, settings):
    smart_search.embed_pending_photos()
    text = get_clip().embed_text("people dancing on stage")
    stored = {row.photo_id: np.asarray(row.embedding) for row in PhotoEmbedding.objects.all()}
    similarity = {photo_id: float(vector @ text) for photo_id, vector in stored.items()}
    expected_order = sorted(similarity, key=lambda photo_id: -similarity[photo_id])

    matches = smart_search.search_by_text(
        "people dancing on stage", filters=SearchFilters(event_ids=[scenes[0].event_id])
    )
    assert [m.photo_id for m in matches] == expected_order
    assert [m.similarity for m in matches] == pytest.approx(
        [similarity[p] for p in expected_order], abs=1e-4
    )

    # The cut-off sits between the second and the third photo: two are kept.
    settings.PHOTOS_CLIP_TEXT_MIN_SIMILARITY = (
        similarity[expected_order[1]] + similarity[expected_order[2]]
    ) / 2
    kept = smart_search.search_by_text(
        "people dancing on stage", filters=SearchFilters(event_ids=[scenes[0].event_id])
    )
    assert [m.photo_id for m in kept] == expected_order[:2]


def test_filters_narrow_by_event_album_and_date(clip_on, owner):
    event, other_event = EventFactory(owner=owner), EventFactory(owner=owner)
    day1, day2 = AlbumFactory(event=event, title="Day 1"), AlbumFactory(event=event, title="Day 2")
    elsewhere = AlbumFactory(event=other_event)
    first = add_image(day1, scenery(1), "a.jpg")
    second = add_image(day2, scenery(2), "b.jpg")
    third = add_image(elsewhere, scenery(3), "c.jpg")
    june = timezone.make_aware(dt.datetime(2026, 6, 20, 15))
    Photo.objects.filter(pk=first.pk).update(taken_at=june)
    Photo.objects.filter(pk=second.pk).update(taken_at=june + dt.timedelta(days=1))
    smart_search.embed_pending_photos()

    def found(**filters):
        return {
            m.photo_id
            for m in smart_search.search_by_text("cake", filters=SearchFilters(**filters))
        }

    assert found(event_ids=[event.pk]) == {first.pk, second.pk}
    assert found(event_ids=[event.pk, other_event.pk]) == {first.pk, second.pk, third.pk}
    assert found(event_ids=None) == {first.pk, second.pk, third.pk}
    assert found(event_ids=[event.pk], album_id=day2.pk) == {second.pk}
    assert found(event_ids=[event.pk], taken_from=june, taken_to=june + dt.timedelta(hours=1)) == {
        first.pk
    }


def test_more_like_this_puts_a_near_copy_first_and_leaves_the_photo_out(clip_on, album):
    original = scenery(7)
    photo = add_image(album, original, "original.jpg")
    near_copy = add_image(album, original.resize((440, 330)).rotate(2), "copy.jpg")
    others = [add_image(album, scenery(seed), f"other-{seed}.jpg") for seed in (20, 21, 22)]
    smart_search.embed_pending_photos()

    matches = smart_search.more_like_this(photo, filters=SearchFilters(event_ids=[album.event_id]))
    assert matches[0].photo_id == near_copy.pk
    assert photo.pk not in {m.photo_id for m in matches}
    assert {m.photo_id for m in matches} == {near_copy.pk, *(o.pk for o in others)}


def test_more_like_this_explains_when_the_photo_has_no_vector_yet(clip_on, owner_client, album):
    photo = add_image(album, scenery(1), "new.jpg")
    response = owner_client.get(reverse("smart:search"), {"like": photo.pk})
    assert response.status_code == 409
    assert "not been prepared for smart search yet" in response.content.decode()


def test_search_page_shows_ranked_results_and_coverage(clip_on, owner_client, scenes):
    smart_search.embed_pending_photos()
    add_image(scenes[0].album, scenery(99), "late.jpg")  # processed, not embedded yet
    response = owner_client.get(
        reverse("smart:search"),
        {"q": "  group   photo outside ", "events": scenes[0].event_id},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "5 of 6 processed photos prepared for smart search" in page
    expected = smart_search.search_by_text(
        "group photo outside", filters=SearchFilters(event_ids=[scenes[0].event_id])
    )
    assert [photo.pk for photo, _ in response.context["results"]] == [m.photo_id for m in expected]
    assert f"/photos/{expected[0].photo_id}/file/thumbnail/" in page


def test_search_page_wants_words_and_never_shows_other_organisers_photos(
    clip_on, client, other_user, scenes
):
    client.force_login(other_user)
    smart_search.embed_pending_photos()
    response = client.get(reverse("smart:search"), {"q": ""})
    assert response.status_code == 400
    assert "Describe the photo you are looking for." in response.content.decode()
    response = client.get(reverse("smart:search"), {"q": "a stage"})
    assert response.status_code == 200 and response.context["results"] == []
    # Someone else's event cannot be chosen, and their photo cannot be an example.
    response = client.get(reverse("smart:search"), {"q": "x", "events": scenes[0].event_id})
    assert response.status_code == 400
    assert client.get(reverse("smart:search"), {"like": scenes[0].pk}).status_code == 404


def test_without_a_model_smart_search_is_not_offered_and_nothing_else_breaks(
    clip_off, owner_client, album
):
    photo = add_image(album, scenery(1), "a.jpg")
    # Off is not shown: no menu entry, and its address is not found.
    assert owner_client.get(reverse("smart:search"), {"q": "cake"}).status_code == 404
    assert 'href="/photos/search/"' not in owner_client.get("/").content.decode()
    assert tasks.embed_pending_photos() == 0
    assert PhotoEmbedding.objects.count() == 0
    assert photo.processing_status == Photo.Status.DONE
    for url in (photo.event.get_absolute_url(), photo.get_absolute_url()):
        page = owner_client.get(url)
        assert page.status_code == 200
        # No box that could only answer "not set up".
        assert "event-smart-search" not in page.content.decode()
        assert "More like this" not in page.content.decode()


def test_with_a_model_the_event_and_photo_pages_offer_smart_search(clip_on, owner_client, album):
    photo = add_image(album, scenery(1), "a.jpg")
    assert (
        'id="event-smart-search"'
        in owner_client.get(photo.event.get_absolute_url()).content.decode()
    )
    assert "More like this" in owner_client.get(photo.get_absolute_url()).content.decode()


def test_weights_that_cannot_load_are_explained_to_the_operator(settings, owner_client, tmp_path):
    settings.PHOTOS_CLIP_MODEL = str(tmp_path / "no-model-here")
    forget_loaded_models()
    try:
        page = owner_client.get(reverse("smart:search")).content.decode()
        assert "could not be loaded" in page and "no-model-here" not in page  # in the log
        with pytest.raises(CommandError, match="could not be loaded"):
            call_command("clip_index")
    finally:
        forget_loaded_models()


def test_a_model_with_another_vector_size_is_refused(settings, tmp_path):
    settings.PHOTOS_CLIP_MODEL = str(save_tiny_clip(tmp_path / "small", projection_dim=24))
    forget_loaded_models()
    try:
        with pytest.raises(ClipUnavailable, match="stores 512"):
            get_clip()
    finally:
        forget_loaded_models()


def test_clip_index_command_embeds_one_event_with_counts(clip_on, owner, capsys):
    event, other = EventFactory(owner=owner, slug="wedding"), EventFactory(owner=owner)
    for seed in range(3):
        add_image(AlbumFactory(event=event), scenery(seed), f"{seed}.jpg")
    add_image(AlbumFactory(event=other), scenery(9), "other.jpg")

    call_command("clip_index", "--event", "wedding")
    output = capsys.readouterr().out
    assert "3 photos embedded" in output
    assert "wedding: 3 of 3 processed photos have vectors" in output
    assert PhotoEmbedding.objects.filter(event=other).count() == 0

    call_command("clip_index", "--event", "wedding", "--recompute")
    assert "3 photos embedded" in capsys.readouterr().out
    call_command("clip_index", "--status")
    output = capsys.readouterr().out
    assert f"{other.slug}: 0 of 1 processed photos have vectors" in output
    with pytest.raises(CommandError, match="No event with the slug"):
        call_command("clip_index", "--event", "nope")


def test_clip_index_without_a_model_says_how_to_enable_it(clip_off):
    with pytest.raises(CommandError, match="PHOTOS_CLIP_MODEL"):
        call_command("clip_index")


def test_face_search_is_untouched_by_smart_search(clip_on, album, images):
    photos = {}
    for name in ("obama.jpg", "biden.jpg"):
        with images[name].open("rb") as fp:
            added = add_photo(album=album, fp=fp, original_filename=name, queue=False)
            photos[name] = process_photo(photo_id=added.photo.pk)
    faces_before = list(
        FaceVector128.objects.order_by("face_id").values_list("face_id", "photo_id", "embedding")
    )

    smart_search.embed_pending_photos()
    assert PhotoEmbedding.objects.count() == 2
    faces_after = list(
        FaceVector128.objects.order_by("face_id").values_list("face_id", "photo_id", "embedding")
    )
    assert [f[:2] for f in faces_after] == [f[:2] for f in faces_before]
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(faces_after, faces_before, strict=True))
    with images["obama2.jpg"].open("rb") as fp:
        search = search_by_selfie(fp=fp, filters=SearchFilters(event_ids=[album.event_id]))
    assert [m.photo_id for m in search.sure] == [photos["obama.jpg"].pk]


def test_a_photo_that_cannot_be_read_is_counted_never_found_and_not_retried(clip_on, album):
    readable = add_image(album, scenery(1), "ok.jpg")
    lost = add_image(album, scenery(2), "lost.jpg")
    lost.thumbnail.storage.delete(lost.thumbnail.name)
    lost.file.storage.delete(lost.file.name)

    report = smart_search.embed_pending_photos()
    assert (report.embedded, report.unreadable, report.remaining) == (1, 1, 0)
    assert smart_search.embed_pending_photos().unreadable == 0  # not retried
    found = smart_search.search_by_text("x", filters=SearchFilters(event_ids=[album.event_id]))
    assert [m.photo_id for m in found] == [readable.pk]
    with pytest.raises(smart_search.NotEmbedded):
        smart_search.more_like_this(lost, filters=SearchFilters(event_ids=[album.event_id]))


def test_a_model_that_cannot_load_is_unavailable_in_the_page_language_cause_in_the_log(
    owner_client, settings, caplog
):
    from ml.loader import forget_loaded as forget_loaded_models

    settings.PHOTOS_CLIP_MODEL = "/nowhere/clip-model"
    forget_loaded_models()
    try:
        response = owner_client.get(
            reverse("smart:search"), {"q": "cake"}, HTTP_ACCEPT_LANGUAGE="fr"
        )
    finally:
        forget_loaded_models()
    page = response.content.decode()
    assert response.status_code == 503
    assert "La recherche intelligente n’est pas disponible pour le moment" in page
    assert "/nowhere" not in page and "PHOTOS_CLIP_MODEL" not in page
    assert "/nowhere/clip-model" in caplog.text
