"""Measure matching quality on a labelled folder of photos, tuned on some people and
reported on the others.

Layout and conventions: faces.evaluation.dataset. Each photo's faces come from the
product's pipeline once (faces.evaluation.cache); the grouping and every search run the
product's own code in memory (faces.evaluation.engine); the figures are computed by
faces.evaluation.scoring.

``cross_validate`` splits the people (and the strangers) into ``folds`` by a hash of
their names. For each fold it builds two events: one of the other folds' people, where
each setting of a small grid is tried and the one with the best recall at the wanted
precision is chosen ("tuning"), and one of this fold's people, on which the chosen
setting, the product's defaults and the previous product's rules are reported. Nothing
of a fold's people is seen while tuning for it.
"""

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

from faces.calibration import calibrated, family
from faces.engines import get_detector
from faces.evaluation.cache import FaceCache
from faces.evaluation.dataset import Dataset, fold_dataset, split
from faces.evaluation.engine import Grouping, IndexedEvent
from faces.evaluation.scoring import (
    AbsentScore,
    Score,
    answers_for,
    score_absent,
    score_search,
)
from faces.matching import MatchRules
from ml.base import Embedder

ANSWERS = (0, 1, 3)


@dataclass(frozen=True)
class Setting:
    grouping: Grouping
    rules: MatchRules

    @classmethod
    def for_embedder(cls, embedder_name: str) -> "Setting":
        """The product's defaults for that embedder (faces.calibration)."""
        return cls(Grouping.for_embedder(embedder_name), MatchRules.for_embedder(embedder_name))

    def shifted(self, shift: float) -> "Setting":
        """The thresholds that accept a match by its distance from the selfie (sure,
        maybe, agreement, alone, the joining reach, the clearly-nearest centre) lowered
        by ``shift``: the search as it goes for people whose photos lie farther from
        their selfie than the tuning people's (another year, light or pose). The outer
        limits (reach, guard), the questions' thresholds (check_from, confirm), the
        grouping and the distances between faces and a person's centre stay.
        docs/match-quality.md, "A stand-in for people nobody tuned for"."""
        if not shift:
            return self
        r = self.rules
        return replace(
            self,
            rules=replace(
                r,
                sure=r.sure - shift,
                maybe=r.maybe - shift,
                agreement=r.agreement - shift,
                sure_alone=r.sure_alone - shift,
                join_reach=r.join_reach - shift,
                clear_centre=r.clear_centre - shift,
            ),
        )

    def describe(self) -> dict:
        g, r = self.grouping, self.rules
        return {
            "mode": r.mode,
            "grouping": g.threshold,
            "relative": g.relative,
            "sure": r.sure,
            "sure_alone": r.sure_alone,
            "agreement": r.agreement,
            "guard": r.person_guard,
            "maybe": r.maybe,
            "join_centre": r.join_centre,
            "join_reach": r.join_reach,
            "clear_centre": r.clear_centre,
            "clear_margin": r.clear_margin,
        }


# The rules before this evaluation existed: one face under 0.33 vouched for its whole
# group (grouped without the relative rule), up to 0.45 from the selfie.
PREVIOUS = Setting(
    Grouping(threshold=0.40, relative=None),
    MatchRules(
        sure=0.33,
        sure_alone=0.33,
        agreement=2.0,
        maybe=0.38,
        check_from=9.0,
        join_centre=0,
        clear_centre=0,
    ),
)
SINGLE = Setting(Grouping(relative=None), MatchRules(sure=0.33, maybe=0.38, mode="single"))


def baselines(embedder_name: str) -> dict[str, Setting]:
    """What the defaults are compared with: dlib's previous rules and single-shot, or
    single-shot at the embedder's own sure threshold."""
    if family(embedder_name) == "dlib":
        return {"previous": PREVIOUS, "single": SINGLE}
    c = calibrated(embedder_name)
    return {
        "single": Setting(
            Grouping(threshold=c.grouping, relative=None),
            MatchRules(sure=c.sure, maybe=c.maybe, mode="single"),
        )
    }


def grid(base: Setting) -> list[Setting]:
    """The settings tried while tuning: the grouping's relative rule, the agreement,
    the thresholds around the defaults, and joining near a found person's centre on or
    off."""
    r = base.rules
    settings = []
    # Steps relative to the defaults, so that one grid fits every embedder's scale
    # (for dlib: agreement 0.28/0.30/0.32, sure 0.33/0.34/0.36, alone 0.30/0.32).
    for relative, agreement, sure, alone, join in itertools.product(
        (None, 1.4, 1.6, 1.8),
        (r.agreement * 0.933, r.agreement, r.agreement * 1.067),
        (r.sure, r.sure * 1.03, r.sure * 1.09),
        (r.sure_alone, r.sure_alone * 1.067),
        sorted({0.0, r.join_centre}),
    ):
        settings.append(
            Setting(
                replace(base.grouping, relative=relative),
                replace(
                    r,
                    agreement=round(agreement, 3),
                    sure=round(sure, 3),
                    sure_alone=round(alone, 3),
                    join_centre=join,
                ),
            )
        )
    return settings


def run(event: IndexedEvent, setting: Setting, answers=ANSWERS) -> dict[int, Score]:
    """Search every selfie of the event; a Score per number of questions answered."""
    event.group(setting.grouping)
    scores = {count: Score() for count in answers}
    for person, selfie in sorted(event.selfies.items()):
        if selfie is None:
            for count in answers:
                score_search(scores[count], event, person, set(), {})
            continue
        decision, candidates = event.search(selfie, setting.rules)
        for count in answers:
            found = decision.answered(answers_for(event, person, decision, count))
            score_search(scores[count], event, person, found, candidates)
    return scores


def absent_guests(event: IndexedEvent, selfies: dict, setting: Setting) -> AbsentScore:
    """Search the event with selfies of people who are in none of its photos."""
    event.group(setting.grouping)
    present = {person for photo in event.photos for person in photo.people}
    score = AbsentScore()
    for person, selfie in sorted(selfies.items()):
        if selfie is None or person in present:
            continue
        decision, _ = event.search(selfie, setting.rules)
        score_absent(score, event, person, decision)
    return score


def tune(event: IndexedEvent, settings: list[Setting], min_precision: float) -> Setting:
    """The setting with the best recall at ``min_precision`` (else the most precise)."""
    results = [(run(event, s, answers=(0,))[0], s) for s in settings]
    good = [(score, s) for score, s in results if score.precision >= min_precision]
    if good:
        return max(good, key=lambda item: (item[0].recall, item[0].precision))[1]
    return max(results, key=lambda item: (item[0].precision, item[0].recall))[1]


@dataclass
class FoldResult:
    fold: int
    people: int
    tuning_people: int
    gallery_photos: int
    chosen: Setting
    scores: dict[str, dict[int, Score]] = field(default_factory=dict)  # label -> answers
    absent: AbsentScore = field(default_factory=AbsentScore)  # the defaults, other folds


def cross_validate(
    root: Path,
    *,
    folds: int = 3,
    groups: int = 20,
    hard_groups: int = 30,
    min_precision: float = 0.98,
    defaults: Setting | None = None,
    answers: tuple[int, ...] = ANSWERS,
    embedder: Embedder | None = None,
    progress=None,
    shift: float = 0.0,
) -> list[FoldResult]:
    """Tune on the other folds' people, report on each fold's (see the module doc).

    ``shift``: the held-out searches use every setting shifted (``Setting.shifted``),
    as the people nobody tuned for would meet it; tuning and the guests in no photo
    (whose distances are a stranger's, whoever they are) are not shifted."""
    cache, detector = FaceCache(embedder=embedder), get_detector()
    defaults = defaults or Setting.for_embedder(cache.embedder.name)
    parts = split(root, folds)
    results = []
    for fold in range(folds):
        tuning_people = set().union(*(parts[k][0] for k in range(folds) if k != fold))
        tuning_strangers = set().union(*(parts[k][1] for k in range(folds) if k != fold))
        tuning_set = Dataset.from_folder(
            root,
            people=tuning_people,
            strangers=tuning_strangers,
            groups=groups,
            hard_groups=hard_groups,
            detector=detector,
            seed=100 + fold,
        )
        tuning = IndexedEvent(tuning_set, cache, progress)
        chosen = tune(tuning, grid(defaults), min_precision)
        # The held-out event, as the benches build it too.
        held_set = fold_dataset(
            root, fold, detector=detector, folds=folds, groups=groups, hard_groups=hard_groups
        )
        held = IndexedEvent(held_set, cache, progress)
        result = FoldResult(fold, len(held.selfies), len(tuning.selfies), len(held.photos), chosen)
        compared = {"tuned": chosen, "defaults": defaults, **baselines(cache.embedder.name)}
        for label, setting in compared.items():
            result.scores[label] = run(held, setting.shifted(shift), answers)
        # The tuning people are in none of the held-out event's photos.
        result.absent = absent_guests(held, tuning.selfies, defaults)
        results.append(result)
    return results


def pooled(results: list[FoldResult], label: str, answers: int) -> Score:
    """The held-out searches of every fold as one Score."""
    total = Score()
    for result in results:
        total.add(result.scores[label][answers])
    return total


def pooled_absent(results: list[FoldResult]) -> AbsentScore:
    total = AbsentScore()
    for result in results:
        total.add(result.absent)
    return total


def evaluate_all(
    root: Path,
    *,
    groups: int = 20,
    hard_groups: int = 30,
    answers: tuple[int, ...] = ANSWERS,
    embedder: Embedder | None = None,
    progress=None,
    shift: float = 0.0,
) -> dict[str, dict[int, Score]]:
    """Everyone in one bigger event, the defaults and the previous rules: no tuning and
    no split, so not a held-out figure (the defaults were tuned on these people).
    ``shift`` as in :func:`cross_validate`."""
    dataset = Dataset.from_folder(
        root, groups=groups, hard_groups=hard_groups, detector=get_detector()
    )
    cache = FaceCache(embedder=embedder)
    event = IndexedEvent(dataset, cache, progress)
    compared = {"defaults": Setting.for_embedder(cache.embedder.name)}
    compared.update(baselines(cache.embedder.name))
    return {
        label: run(event, setting.shifted(shift), answers) for label, setting in compared.items()
    }
