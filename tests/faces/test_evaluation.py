"""The evaluation: folds by people, the product's own decision code, and the same
answers in memory as through the database."""

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from PIL import Image, ImageOps

import faces.evaluation.cache as evaluation_cache
from faces import people_upkeep, processing
from faces.engines import get_detector, get_embedder
from faces.evaluation import Setting
from faces.evaluation.cache import FaceCache
from faces.evaluation.dataset import Dataset, fold_of
from faces.evaluation.engine import IndexedEvent
from faces.search import find_matches
from photos.filters import SearchFilters
from photos.models import Photo
from photos.services import add_photo
from tests.sample_images import no_face_image


@pytest.fixture
def dataset_root(tmp_path, images, monkeypatch):
    """Four people (two in each of two folds), a crowd of strangers, a plain wall."""
    monkeypatch.setattr(evaluation_cache, "CACHE_DIR", tmp_path / "face-cache")
    root = tmp_path / "dataset"
    people = {
        "obama": ["obama2.jpg", "obama.jpg", "obama3.jpg"],
        "joe": ["biden.jpg"],
        "hanks": ["tom_hanks.png"],
        "astronaut": ["astronaut.png"],
    }
    assert {fold_of(name, 2) for name in people} == {0, 1}
    for person, names in people.items():
        folder = root / "identities" / person
        folder.mkdir(parents=True)
        for number, name in enumerate(names, 1):
            Image.open(images[name]).convert("RGB").save(folder / f"{number}.jpg", quality=92)
        if len(names) == 1:  # a second photo: mirrored, cropped closer
            image = Image.open(images[names[0]]).convert("RGB")
            w, h = image.size
            crop = image.crop((w // 10, h // 10, w - w // 10, h - h // 10))
            ImageOps.mirror(crop).save(folder / "2.jpg", quality=85)
    (root / "distractors").mkdir()
    Image.open(images["group6.jpg"]).convert("RGB").save(root / "distractors/crowd.jpg")
    (root / "no_face").mkdir()
    no_face_image(seed=3).save(root / "no_face/wall.jpg")
    return root


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_evaluate_faces_tunes_on_one_fold_and_reports_the_other(dataset_root, db):
    report = json.loads(
        run(
            "evaluate_faces",
            "--json",
            "--folds",
            "2",
            "--groups",
            "2",
            "--hard-groups",
            "2",
            "--confirm",
            "3",
            str(dataset_root),
        )
    )
    assert report["mode"] == "folds" and len(report["folds"]) == 2
    assert sorted(f["people"] for f in report["folds"]) == [2, 2]
    assert all(f["tuning_people"] == 2 for f in report["folds"])
    defaults = report["pooled"]["defaults"]
    assert set(defaults) == {"0", "1", "3"}
    plain = defaults["0"]
    assert plain["people"] == 4
    assert plain["wrong"] == 0 and plain["no_face_matches"] == 0
    assert plain["recall"] >= 0.75  # Obama's two photos, the mirrored copies
    assert plain["group_recall"] is not None and plain["hard_group_recall"] is not None
    assert len(plain["worst"]) == 4
    assert report["pooled"]["single"]["0"]["recall"] <= plain["recall"]
    # Each fold's event searched with the other fold's selfies: nobody there is in it.
    absent = report["pooled_absent_guests"]
    assert absent["guests"] == 4 and absent["with_photos"] == 0 and absent["photos"] == 0


def test_a_guest_in_no_photo_who_gets_someones_photos_is_counted(dataset_root):
    """The absent-guest figure can fail: Obama's selfie under another name is a guest
    the event does not show, who gets Obama's photos."""
    from faces.evaluation import absent_guests

    dataset = Dataset.from_folder(dataset_root, groups=0, hard_groups=0, detector=get_detector())
    event = IndexedEvent(dataset, FaceCache())
    setting = Setting.for_embedder(get_embedder().name)
    selfies = {"obama_twin": event.selfies["obama"], "obama": event.selfies["obama"]}
    absent = absent_guests(event, selfies, setting)
    assert absent.guests == 1  # Obama is in the event: not an absent guest
    assert absent.with_photos == ["obama_twin"] and absent.photos >= 1
    assert absent.through_labelled == absent.photos


def test_a_shifted_setting_lowers_only_the_thresholds_that_accept_a_match():
    setting = Setting.for_embedder(get_embedder().name)
    shifted, rules = setting.shifted(0.03).rules, setting.rules
    for name in ("sure", "maybe", "agreement", "sure_alone", "join_reach", "clear_centre"):
        assert getattr(shifted, name) == pytest.approx(getattr(rules, name) - 0.03), name
    for name in ("reach", "person_guard", "check_from", "confirm", "join_centre", "clear_margin"):
        assert getattr(shifted, name) == getattr(rules, name), name
    assert setting.shifted(0.03).grouping == setting.grouping
    assert setting.shifted(0) is setting


def test_evaluate_faces_shift_lowers_the_reported_searches_only(dataset_root, db):
    """A shift past every threshold finds nobody in the held-out searches; tuning and
    the guests in no photo are not shifted, so the report stays whole."""
    args = ["evaluate_faces", "--json", "--groups", "1", "--hard-groups", "1"]
    report = json.loads(run(*args, "--shift", "0.5", str(dataset_root)))
    assert report["shift"] == 0.5
    plain = report["pooled"]["defaults"]["0"]
    assert plain["people"] == 4 and plain["recall"] == 0 and plain["share_without_photos"] == 1
    assert report["pooled_absent_guests"]["guests"] == 4
    with pytest.raises(CommandError, match="--shift"):
        run(*args, "--shift", "-0.1", str(dataset_root))


def test_evaluate_faces_all_in_one_event(dataset_root, db):
    text = run("evaluate_faces", "--all", "--groups", "1", "--hard-groups", "1", str(dataset_root))
    assert "Everyone in one event" in text and "product defaults" in text
    assert "Worst five people" in text


def test_the_evaluation_engine_answers_like_the_database(dataset_root, album, settings):
    """The in-memory event (tuning) and the real search (product) agree, photo for photo."""
    dataset = Dataset.from_folder(dataset_root, hard_groups=2, detector=get_detector())
    event = IndexedEvent(dataset, FaceCache())
    setting = Setting.for_embedder(get_embedder().name)
    event.group(setting.grouping)
    pk_of = {}
    for number, item in enumerate(event.photos):
        data = io.BytesIO(item.read_bytes())
        with TestCase.captureOnCommitCallbacks(execute=True):
            added = add_photo(album=album, fp=data, original_filename=item.key, queue=False)
        processing.process_photo(photo_id=added.photo.pk)
        pk_of[number] = added.photo.pk
    people_upkeep.group_event_faces(event_id=album.event_id)
    filters = SearchFilters(event_ids=[album.event_id])
    compared = 0
    for selfie in event.selfies.values():
        if selfie is None:
            continue
        in_memory, _ = event.search(selfie, setting.rules)
        stored = find_matches(
            selfie, embedder=get_embedder().name, filters=filters, rules=setting.rules
        )
        assert {pk_of[m.photo_id] for m in in_memory.sure} == {m.photo_id for m in stored.sure}
        assert [pk_of[q.photo_id] for q in in_memory.questions] == [
            q.photo_id for q in stored.questions
        ]
        compared += 1
    assert compared == 4 and Photo.objects.count() == len(event.photos)


@pytest.fixture
def dataset_with_real_groups(dataset_root, images):
    """Real group photos beside the composed ones: one shows Obama, one a person whose
    only other photo is their selfie, one strangers only."""
    crowd = Image.open(images["group6.jpg"]).convert("RGB")
    face = max(get_detector().detect(np.asarray(crowd)), key=lambda b: b.width)
    left, top = face.x - face.width // 2, face.y - face.height // 2
    selfie = crowd.crop((left, top, left + 2 * face.width, top + 2 * face.height))
    (dataset_root / "identities" / "friend").mkdir()
    selfie.resize((selfie.width * 2, selfie.height * 2)).save(
        dataset_root / "identities/friend/1.jpg", quality=92
    )
    groups = dataset_root / "groups"
    groups.mkdir()
    ImageOps.mirror(crowd).save(groups / "party.jpg", quality=88)
    together = Image.new("RGB", (900, 500), (90, 90, 90))
    together.paste(Image.open(images["obama3.jpg"]).convert("RGB").resize((400, 460)), (20, 20))
    together.paste(Image.open(images["astronaut.png"]).convert("RGB").resize((400, 400)), (480, 50))
    together.save(groups / "together.jpg", quality=88)
    no_face_image(seed=5).save(groups / "empty-hall.jpg")
    (groups / "labels.csv").write_text(
        "file,identities_present,other_people\n"
        "party.jpg,friend,the rest of the cast\n"
        "together.jpg,obama,an astronaut\n"
        "empty-hall.jpg,,\n"
    )
    return dataset_root


def test_real_group_photos_are_reported_apart_and_single_photo_people_kept(
    dataset_with_real_groups, db
):
    root = str(dataset_with_real_groups)
    args = ("evaluate_faces", "--all", "--groups", "1", "--hard-groups", "2", root)
    report = json.loads(run(*args, "--json"))
    plain = report["scores"]["defaults"]["0"]
    assert plain["people"] == 5  # "friend" has one photo, but a real group shows them
    # Obama's and the friend's appearances; the strangers' photos are not theirs to find.
    assert plain["relevant_by_part"]["real_group"] == 2
    assert plain["real_group_recall"] is not None
    bands = plain["group_recall_by_face_size"]
    assert bands and all(0 <= b["found"] <= b["relevant"] for b in bands.values())
    assert sum(b["relevant"] for b in bands.values()) == (
        plain["relevant_by_part"].get("group", 0) + plain["relevant_by_part"].get("hard_group", 0)
    )
    text = run(*args)
    assert "Real group photos:" in text and "by face size" in text


def test_each_fold_dataset_holds_only_its_own_people(dataset_root):
    from faces.evaluation.dataset import fold_datasets

    datasets = fold_datasets(dataset_root, detector=get_detector(), groups=0, hard_groups=0)
    assert len(datasets) == 2
    for fold, dataset in enumerate(datasets):
        assert dataset.people and all(fold_of(name, 2) == fold for name in dataset.people)
    assert {name for d in datasets for name in d.people} == {"obama", "joe", "hanks", "astronaut"}
