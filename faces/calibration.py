"""Distances that decide matches and groups, calibrated per embedder.

Each embedder spreads faces on its own scale (dlib's unit vectors put two photos of one
person about 0.3 apart, ArcFace's about 0.8), so every threshold belongs to the
embedder whose vectors it compares. The numbers below were tuned on some people of the
development set and reported on the others (docs/match-quality.md, docs/faces.md;
``evaluate_faces --embedder NAME`` shows them). A ``FACES_*`` setting, when set,
overrides the calibrated value for whichever embedder is in use.
"""

from dataclasses import dataclass, replace

from django.conf import settings


@dataclass(frozen=True)
class Calibration:
    grouping: float  # average linkage under this distance...
    grouping_relative: float  # ...and at most this many times the spread inside a group
    grouping_floor: float  # (the spread counted at least this)
    # ...and in a small event (SMALL_EVENT_FACES faces at most), where few photos per
    # person make the spread look small and people split (bench/people_small_events.py)
    grouping_floor_small: float
    sure: float  # a face this close finds its person...
    agreement: float  # ...when the person's centre is this close
    alone: float  # a person of one face needs this
    guard: float  # a found person's faces count up to this
    maybe: float  # "Is this you?" about people with a face under this
    check_from: float  # ...and about a found person's face farther than this
    confirm: float  # "yes" adds faces this close to the selfie or the face shown
    reuse: float  # a selfie this close to an event face was cut out of the photo
    # A face the grouping left alone joins a found person when this close to their
    # centre and under ``join_reach`` from the selfie (faces.matching; 0: never).
    join_centre: float
    join_reach: float
    # A person whose centre is under ``clear_centre`` from the selfie and at least
    # ``clear_margin`` nearer than any other person's is found (faces.matching; 0: never).
    clear_centre: float
    clear_margin: float
    # A stored face under this many pixels (short side, in the photo) is its embedding
    # averaged with its mirror image's (faces.analysis.embed_faces); 0: none is.
    mirror_below_px: int


# Events with at most this many faces group with ``grouping_floor_small`` (a 50-person
# event of news photos holds about 500).
SMALL_EVENT_FACES = 600


def grouping_rule(calibration: "Calibration", faces: int) -> dict:
    """The grouping's settings (faces.grouping) for an event of ``faces`` faces."""
    small = faces <= SMALL_EVENT_FACES
    return {
        "threshold": calibration.grouping,
        "relative": calibration.grouping_relative,
        "spread_floor": calibration.grouping_floor_small if small else calibration.grouping_floor,
    }


CALIBRATIONS = {
    # Tuned on half of the 90 people, reported on the other half (2 folds).
    "dlib": Calibration(
        grouping=0.40,
        grouping_relative=1.6,
        grouping_floor=0.28,
        grouping_floor_small=0.32,  # tuned on fold 0's small events, reported on fold 1
        sure=0.33,
        agreement=0.30,
        alone=0.30,
        guard=0.45,
        maybe=0.40,
        check_from=0.36,
        confirm=0.36,
        reuse=0.12,
        # Chosen on one fold's people, reported on the other's (docs/match-quality.md,
        # "Faces near a found person's centre").
        join_centre=0.34,
        join_reach=0.40,
        # Chosen on fold 0's people, reported on fold 1's (docs/match-quality.md, "A
        # clearly nearest person").
        clear_centre=0.34,
        clear_margin=0.10,
        mirror_below_px=80,  # docs/match-quality.md, "Small faces with their mirror image"
    ),
    # Chosen on the tuning half of the 2-fold split (fold 1's people): their genuine
    # selfie-to-face distances reach 1.15 at the 95th percentile and the nearest
    # impostor was 1.18 (dlib: 0.40 and 0.31). Reported on the other half.
    "arcface": Calibration(
        grouping=1.20,
        grouping_relative=1.6,
        grouping_floor=0.95,
        grouping_floor_small=0.95,  # not measured for ArcFace: its usual floor
        sure=1.12,
        agreement=1.05,
        alone=1.10,
        guard=1.22,
        maybe=1.20,
        check_from=1.16,
        confirm=1.16,
        reuse=0.45,  # bench/selfie_reuse_bench.py: 90 % of cut-outs, no real photo
        # Not measured for ArcFace (no model file on the development machine): off.
        join_centre=0.0,
        join_reach=0.0,
        clear_centre=0.0,
        clear_margin=0.0,
        # Not measured for ArcFace (its model is not on the development machine), so
        # its stored faces stay plain and its thresholds keep their meaning.
        mirror_below_px=0,
    ),
}

# Setting name -> field it overrides.
OVERRIDES = {
    "FACES_GROUPING_THRESHOLD": "grouping",
    "FACES_GROUPING_RELATIVE": "grouping_relative",
    "FACES_GROUPING_SPREAD_FLOOR": "grouping_floor",
    "FACES_GROUPING_SPREAD_FLOOR_SMALL": "grouping_floor_small",
    "FACES_MATCH_THRESHOLD": "sure",
    "FACES_PERSON_AGREEMENT_THRESHOLD": "agreement",
    "FACES_MATCH_ALONE_THRESHOLD": "alone",
    "FACES_PERSON_GUARD_THRESHOLD": "guard",
    "FACES_MAYBE_THRESHOLD": "maybe",
    "FACES_CHECK_FROM_DISTANCE": "check_from",
    "FACES_CONFIRM_THRESHOLD": "confirm",
    "FACES_SELFIE_REUSE_DISTANCE": "reuse",
    "FACES_JOIN_CENTRE_THRESHOLD": "join_centre",
    "FACES_JOIN_REACH": "join_reach",
    "FACES_CLEAR_NEAREST_THRESHOLD": "clear_centre",
    "FACES_CLEAR_NEAREST_MARGIN": "clear_margin",
    "FACES_MIRROR_BELOW_PX": "mirror_below_px",
}


def family(embedder_name: str) -> str:
    """ "dlib" for "dlib-resnet-v1", "arcface" for "arcface-w600k_mbf-9cc6e4a7"..."""
    return embedder_name.split("-", 1)[0].split(":", 1)[0]


def calibrated(embedder_name: str) -> Calibration:
    """The embedder's calibrated thresholds, without the settings' overrides.

    An embedder nobody calibrated (the CLIP comparison) gets dlib's: it is there to be
    compared, not to serve.
    """
    return CALIBRATIONS.get(family(embedder_name), CALIBRATIONS["dlib"])


def calibration_for(embedder_name: str) -> Calibration:
    """The thresholds in force for ``embedder_name``: calibrated, then the settings'."""
    overrides = {
        field: getattr(settings, name)
        for name, field in OVERRIDES.items()
        if getattr(settings, name, None) is not None
    }
    return replace(calibrated(embedder_name), **overrides)
