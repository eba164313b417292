"""Rules that weigh a person's centre (the unit mean of all their faces) against the
selfie. Pure Python, used by faces.matching.decide, on its structures:

- ``groups``: the faces near the selfie per key, ``("person", (event, person))`` or
  ``("face", face id)`` for an ungrouped face, closest first;
- ``people``: each (event, person)'s ``PersonSummary`` (centre and size);
- ``rules``: the ``MatchRules`` in force; ``facts``: the organiser's word (``Facts``).

A centre is the average of many photos of a person: a steadier witness than the one
selfie or any one face. docs/match-quality.md has the measurements.
"""

import numpy as np

# A centre of fewer faces is not a centre: joining near a found person's centre
# (:func:`join_near_centres`) and the clearly nearest person (:func:`clearly_nearest`)
# need this many. Joining takes faces of people of at most ``JOIN_MAX_OTHER`` faces: a
# bigger person is someone of their own, whom the agreement rule already weighed.
CENTRE_MIN_FACES = 3
JOIN_MAX_OTHER = 3


def clearly_nearest(groups: dict, people: dict, rules, selfie) -> set[tuple]:
    """The people whose centre is clearly the selfie's nearest in their event.

    Agreement asks for absolute closeness, which a guest far from their selfie (another
    year, light or pose) fails for every one of their photos. Being clearly nearer
    than anyone else is evidence too: in each event, the nearest centre, of a person of
    at least ``CENTRE_MIN_FACES`` faces, under ``rules.clear_centre`` and at least
    ``rules.clear_margin`` nearer than the event's next person's centre (people of two
    faces or more among the faces near the selfie; the search's reach when there is
    none). People are per event, so a search of several events compares each event's
    people among themselves. A guest who is in no photo has no such person: their
    nearest two people are about as far (docs/match-quality.md, "A clearly nearest
    person").
    """
    if rules.clear_centre <= 0 or selfie is None:
        return set()
    by_event: dict[int, list[tuple[float, tuple]]] = {}
    for key in groups:
        if key[0] == "person" and key[1] in people and people[key[1]].size >= 2:
            distance = float(np.linalg.norm(people[key[1]].centre - selfie))
            by_event.setdefault(key[1][0], []).append((distance, key))
    found = set()
    for ranked in by_event.values():
        ranked.sort()
        nearest, key = ranked[0]
        following = ranked[1][0] if len(ranked) > 1 else rules.reach
        if people[key[1]].size < CENTRE_MIN_FACES or nearest >= rules.clear_centre:
            continue
        if following - nearest >= rules.clear_margin:
            found.add(key)
    return found


def join_near_centres(
    accepted: dict, candidates: list, groups: dict, people: dict, rules, facts
) -> tuple[dict, list]:
    """Faces the grouping left alone, near a found person's centre, join that person.

    A face the grouping could not place (ungrouped, or in a person of at most
    ``JOIN_MAX_OTHER`` faces: a turned, small or half-hidden face that no one else's
    faces vouch for) joins the found person of its event whose centre is nearest, when
    that centre is under ``rules.join_centre`` from it and the selfie under
    ``rules.join_reach``. The centre is the average of many photos of the person, a
    steadier witness than the one selfie; both must agree. Faces the organiser placed
    in a person, and people the organiser set apart from the found one, never join
    (their word is a fact). Measured in docs/match-quality.md, "Faces near a found person's centre".
    """
    if rules.join_centre <= 0:
        return accepted, candidates
    centres = {
        key: people[key[1]].centre
        for key in accepted
        if key[0] == "person" and key[1] in people and people[key[1]].size >= CENTRE_MIN_FACES
    }
    if not centres:
        return accepted, candidates
    joined = {key: list(members) for key, members in accepted.items()}
    moved: set[int] = set()
    for key, members in groups.items():
        if key in accepted or not _is_small(key, people):
            continue
        for face in members:
            if face.distance >= rules.join_reach or face.embedding is None:
                continue
            if face.face_id in facts.placed:
                continue
            near = {
                target: float(np.linalg.norm(face.embedding - centre))
                for target, centre in centres.items()
                if target[1][0] == face.event_id and not facts.people_apart(key, target)
            }
            near = {target: d for target, d in near.items() if d < rules.join_centre}
            if near:
                joined[min(near, key=near.get)].append(face)
                moved.add(face.face_id)
    if not moved:
        return accepted, candidates
    joined = {key: sorted(members, key=lambda f: f.distance) for key, members in joined.items()}
    left = [
        (key, [f for f in members if f.face_id not in moved], s) for key, members, s in candidates
    ]
    return joined, [c for c in left if c[1]]


def _is_small(key: tuple, people: dict) -> bool:
    """An ungrouped face, or a person of at most ``JOIN_MAX_OTHER`` faces."""
    if key[0] != "person":
        return True
    summary = people.get(key[1])
    return summary is not None and summary.size <= JOIN_MAX_OTHER
