"""From the faces near a selfie to results and questions (faces.matching), on numbers."""

import numpy as np

from faces.matching import CandidateFace, Facts, MatchRules, PersonSummary, decide

RULES = MatchRules(
    sure=0.33,
    maybe=0.40,
    person_guard=0.45,
    agreement=0.30,
    sure_alone=0.30,
    check_from=0.36,
    confirm=0.36,
)


def unit(vector):
    return (vector / np.linalg.norm(vector)).astype(np.float32)


class Space:
    """Vectors at chosen distances from a selfie (and from each other)."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.selfie = unit(self.rng.normal(size=128))

    def at(self, distance, around=None):
        centre = self.selfie if around is None else around
        side = self.rng.normal(size=128)
        side = unit(side - side.dot(centre) * centre)
        # |c - v| = distance for v = cos(t) c + sin(t) side, with distance = 2 sin(t/2)
        angle = 2 * np.arcsin(distance / 2)
        return unit(np.cos(angle) * centre + np.sin(angle) * side)


def face(space, photo, vector, person, event=1, face_id=None):
    return CandidateFace(
        photo_id=photo,
        face_id=face_id or photo * 10,
        distance=float(np.linalg.norm(vector - space.selfie)),
        event_id=event,
        person=person,
        embedding=vector,
    )


def centre_of(*vectors):
    return PersonSummary(unit(np.mean(vectors, axis=0)), len(vectors))


def test_a_person_whose_centre_agrees_is_found_with_all_their_faces_in_the_guard():
    s = Space(1)
    vectors = [s.at(0.25), s.at(0.30), s.at(0.41), s.at(0.47)]
    faces = [face(s, i + 1, v, person=5) for i, v in enumerate(vectors)]
    people = {(1, 5): PersonSummary(unit(s.at(0.22)), 4)}
    decision = decide(faces, RULES, people, s.selfie)
    assert [m.photo_id for m in decision.sure] == [1, 2, 3]  # 4 is past the guard


def test_one_look_alike_face_does_not_bring_in_its_whole_person():
    """The previous rule: a face under 0.33 vouched for its person. Now the person's
    centre must agree; a stranger with one close face becomes a question."""
    s = Space(2)
    close, usual = s.at(0.31), s.at(0.42)
    faces = [face(s, 1, close, person=9), face(s, 2, usual, person=9)]
    people = {(1, 9): PersonSummary(unit(s.at(0.40)), 12)}
    decision = decide(faces, RULES, people, s.selfie)
    assert decision.sure == []
    (question,) = decision.questions
    assert (question.kind, question.photo_id) == ("candidate", 1)
    assert [m.photo_id for m in decision.maybe] == [1]


def test_of_two_people_seen_in_one_photo_only_the_nearer_is_the_guest():
    """Two accepted people with faces in one photo (brothers in a family photo) cannot
    both be the guest: the one whose centre is nearer the selfie is found, the other is
    asked about."""
    s = Space(6)
    guest = [s.at(0.24), s.at(0.28)]
    brother = [s.at(0.30), s.at(0.32)]
    faces = [
        face(s, 1, guest[0], person=5),
        face(s, 2, guest[1], person=5),
        face(s, 2, brother[0], person=6, face_id=21),  # beside the guest in photo 2
        face(s, 3, brother[1], person=6),
    ]
    people = {
        (1, 5): PersonSummary(unit(s.at(0.18)), 2),
        (1, 6): PersonSummary(unit(s.at(0.27)), 2),
    }
    decision = decide(faces, RULES, people, s.selfie)
    assert [m.photo_id for m in decision.sure] == [1, 2]
    assert [(q.kind, q.photo_id) for q in decision.questions] == [("candidate", 3)]
    # Never seen together, both are accepted (the agreement rule alone decides).
    apart = [f if f.face_id != 21 else face(s, 4, brother[0], person=6) for f in faces]
    decision = decide(apart, RULES, people, s.selfie)
    assert [m.photo_id for m in decision.sure] == [1, 2, 4, 3]


def test_a_person_of_one_face_needs_the_stricter_threshold():
    s = Space(3)
    faces = [face(s, 1, s.at(0.29), person=None), face(s, 2, s.at(0.32), person=4)]
    people = {(1, 4): PersonSummary(faces[1].embedding, 1)}
    decision = decide(faces, RULES, people, s.selfie)
    assert [m.photo_id for m in decision.sure] == [1]
    assert [q.photo_id for q in decision.questions] == [2]


def test_people_are_per_event_and_a_photo_is_listed_once():
    s = Space(4)
    mine = [s.at(0.20), s.at(0.28)]
    faces = [
        face(s, 1, mine[0], person=5, event=1),
        face(s, 1, s.at(0.39), person=6, event=1, face_id=11),  # same photo, someone else
        face(s, 2, mine[1], person=5, event=2),  # person 5 of another event
    ]
    people = {(1, 5): centre_of(mine[0]), (2, 5): PersonSummary(unit(s.at(0.35)), 3)}
    people[(1, 5)] = PersonSummary(unit(s.at(0.15)), 2)
    decision = decide(faces, RULES, people, s.selfie)
    assert [(m.photo_id, m.face_id) for m in decision.sure] == [(1, 10)]


def test_single_mode_is_one_lookup_per_photo():
    s = Space(5)
    faces = [face(s, 1, s.at(0.25), person=5), face(s, 2, s.at(0.38), person=5)]
    rules = MatchRules(sure=0.33, maybe=0.40, mode="single")
    decision = decide(faces, rules)
    assert [m.photo_id for m in decision.sure] == [1]
    assert [m.photo_id for m in decision.maybe] == [2]
    assert decision.questions == []


def test_a_check_question_takes_out_a_merged_look_alike():
    """Venus's selfie finds a person that merged Venus and Serena: asking about the
    farthest face (Serena) and hearing "no" removes Serena's photos, not Venus's."""
    s = Space(6)
    venus = [s.at(0.22), s.at(0.26), s.at(0.28)]
    serena_centre = s.at(0.40)
    serena = [s.at(0.08, around=serena_centre), s.at(0.10, around=serena_centre)]
    faces = [face(s, i + 1, v, person=3) for i, v in enumerate(venus + serena)]
    people = {(1, 3): PersonSummary(unit(np.mean(venus + serena, axis=0)), 5)}
    decision = decide(faces, RULES, people, s.selfie)
    assert {m.photo_id for m in decision.sure} == {1, 2, 3, 4, 5}
    check = decision.questions[0]
    assert check.kind == "check" and check.photo_id in (4, 5)
    assert set(check.no_removes) == {4, 5}
    assert decision.answered({check.face_id: False}) == {1, 2, 3}
    assert decision.answered({check.face_id: True}) == {1, 2, 3, 4, 5}


def test_yes_to_a_candidate_adds_faces_near_the_selfie_or_the_face_shown():
    s = Space(7)
    shown = s.at(0.34)
    twin_of_shown = s.at(0.10, around=shown)  # far-ish from the selfie, near the face
    stranger = s.at(0.43)  # same group (a merge), near neither
    faces = [
        face(s, 1, shown, person=8),
        face(s, 2, twin_of_shown, person=8),
        face(s, 3, stranger, person=8),
    ]
    people = {(1, 8): PersonSummary(unit(s.at(0.38)), 3)}
    decision = decide(faces, RULES, people, s.selfie)
    (question,) = decision.questions
    assert question.face_id == 10
    if np.linalg.norm(stranger - shown) >= RULES.confirm:
        assert set(question.yes_adds) == {1, 2}
    assert decision.answered({10: True}) == set(question.yes_adds)
    assert decision.answered({10: False}) == set()


def person_at(s, centre_distance, person, first_photo, size=4, spread=0.18):
    """A person of ``size`` faces, each ``spread`` from a centre ``centre_distance``
    from the selfie."""
    centre = unit(s.at(centre_distance))
    members = [
        face(s, first_photo + i, s.at(spread, around=centre), person=person) for i in range(size)
    ]
    return members, PersonSummary(centre, size)


def found_person(s, size=6):
    """A found person: faces near the selfie, their centre 0.22 from it."""
    members, summary = person_at(s, 0.22, person=1, first_photo=100, size=size, spread=0.20)
    return summary.centre, members, {(1, 1): summary}


def test_a_face_left_alone_near_a_found_persons_centre_joins_them():
    """A turned or half-hidden face the grouping could not place, 0.37 from the selfie
    (past every sure threshold) but 0.30 from the found person's centre: both agree."""
    s = Space(8)
    centre, members, people = found_person(s)
    alone = face(s, 1, s.at(0.30, around=centre), person=None)
    in_small = face(s, 2, s.at(0.30, around=centre), person=7)
    people[(1, 7)] = PersonSummary(in_small.embedding, 1)
    assert alone.distance < RULES.join_reach and in_small.distance < RULES.join_reach
    faces = [*members, alone, in_small]
    decision = decide(faces, RULES, people, s.selfie)
    assert {1, 2} <= {m.photo_id for m in decision.sure}
    assert not any(q.kind == "candidate" and q.photo_id in (1, 2) for q in decision.questions)
    off = MatchRules(**{**RULES.__dict__, "join_centre": 0.0})
    assert not {1, 2} & {m.photo_id for m in decide(faces, off, people, s.selfie).sure}


def test_only_faces_near_both_the_centre_and_the_selfie_join():
    s = Space(9)
    centre, members, people = found_person(s)
    far_from_centre = face(s, 1, s.at(0.36), person=None)  # about 0.42 from the centre
    # 0.32 from the centre, on its far side from the selfie: about 0.42 from the selfie.
    away = unit(centre - s.selfie - (centre - s.selfie).dot(centre) * centre)
    side = s.at(0.32, around=centre) - centre
    side = unit(side - side.dot(centre) * centre - side.dot(away) * away)
    direction = unit(0.18 * away + 0.98 * side)
    angle = 2 * np.arcsin(0.32 / 2)
    far_from_selfie = face(
        s, 2, unit(np.cos(angle) * centre + np.sin(angle) * direction), person=None
    )
    assert np.linalg.norm(far_from_centre.embedding - centre) > RULES.join_centre
    assert np.linalg.norm(far_from_selfie.embedding - centre) < RULES.join_centre
    assert RULES.join_reach <= far_from_selfie.distance < RULES.person_guard
    decision = decide([*members, far_from_centre, far_from_selfie], RULES, people, s.selfie)
    assert not {1, 2} & {m.photo_id for m in decision.sure}


def test_a_person_of_their_own_never_joins_and_a_small_centre_never_pulls():
    """A person of four faces is someone the agreement rule already weighed; and the
    centre of two faces is not a centre."""
    s = Space(10)
    centre, members, people = found_person(s)
    near_centre = s.at(0.28, around=centre)
    other = [face(s, 1 + i, s.at(0.05, around=near_centre), person=2) for i in range(4)]
    people[(1, 2)] = PersonSummary(unit(np.mean([f.embedding for f in other], axis=0)), 4)
    assert np.linalg.norm(other[0].embedding - centre) < RULES.join_centre
    assert other[0].distance < RULES.join_reach
    decision = decide([*members, other[0]], RULES, people, s.selfie)
    assert 1 not in {m.photo_id for m in decision.sure}
    people[(1, 2)] = PersonSummary(people[(1, 2)].centre, 3)  # small enough: it joins
    assert 1 in {m.photo_id for m in decide([*members, other[0]], RULES, people, s.selfie).sure}

    s = Space(11)
    centre, members, people = found_person(s, size=2)
    alone = face(s, 1, s.at(0.30, around=centre), person=None)
    decision = decide([*members, alone], RULES, people, s.selfie)
    assert 1 not in {m.photo_id for m in decision.sure}
    people[(1, 1)] = PersonSummary(centre, 3)
    assert 1 in {m.photo_id for m in decide([*members, alone], RULES, people, s.selfie).sure}


def test_the_organisers_word_keeps_a_face_out_of_a_found_person():
    """A face the organiser placed in its person, or whose person they set apart from
    the found one, stays where they put it, however near the centre."""
    s = Space(12)
    centre, members, people = found_person(s)
    placed = face(s, 1, s.at(0.30, around=centre), person=7)
    apart = face(s, 2, s.at(0.30, around=centre), person=8)
    people[(1, 7)] = PersonSummary(placed.embedding, 1)
    people[(1, 8)] = PersonSummary(apart.embedding, 1)
    faces = [*members, placed, apart]
    assert {1, 2} <= {m.photo_id for m in decide(faces, RULES, people, s.selfie).sure}
    facts = Facts(apart=frozenset({(1, 8)}), placed=frozenset({placed.face_id}))
    decision = decide(faces, RULES, people, s.selfie, facts)
    assert not {1, 2} & {m.photo_id for m in decision.sure}


def test_a_person_whose_centre_is_clearly_the_nearest_is_found():
    """A guest far from their selfie (another year, light or pose): their centre 0.32
    away fails agreement (0.30) and no face is under 0.33, but nobody else is near."""
    s = Space(13)
    mine, my_summary = person_at(s, 0.32, person=1, first_photo=1)
    other, other_summary = person_at(s, 0.44, person=2, first_photo=20)
    people = {(1, 1): my_summary, (1, 2): other_summary}
    assert min(f.distance for f in mine) >= RULES.sure
    decision = decide([*mine, *other], RULES, people, s.selfie)
    assert {m.photo_id for m in decision.sure} == {f.photo_id for f in mine}
    off = MatchRules(**{**RULES.__dict__, "clear_centre": 0.0})
    assert decide([*mine, *other], off, people, s.selfie).sure == []


def test_a_guest_in_no_photo_has_no_clearly_nearest_person():
    """Strangers' centres lie about as far from a selfie as each other: no margin."""
    s = Space(14)
    first, first_summary = person_at(s, 0.32, person=1, first_photo=1)
    second, second_summary = person_at(s, 0.36, person=2, first_photo=20)
    people = {(1, 1): first_summary, (1, 2): second_summary}
    assert decide([*first, *second], RULES, people, s.selfie).sure == []


def test_only_a_centre_of_three_faces_or_more_can_be_clearly_nearest():
    s = Space(15)
    pair, pair_summary = person_at(s, 0.30, person=1, first_photo=1, size=2)
    far, far_summary = person_at(s, 0.44, person=2, first_photo=20)
    people = {(1, 1): pair_summary, (1, 2): far_summary}
    assert decide([*pair, *far], RULES, people, s.selfie).sure == []
    people[(1, 1)] = PersonSummary(pair_summary.centre, 3)
    assert len(decide([*pair, *far], RULES, people, s.selfie).sure) == 2


def test_centres_weigh_people_within_their_own_event():
    """People are per event: a search of two events finds the guest's clearly nearest
    person in each, and a lone face joins only a found person of its own event."""
    s = Space(16)
    here, here_summary = person_at(s, 0.32, person=1, first_photo=1)
    there = [
        face(s, 20 + i, f.embedding, person=1, event=2, face_id=200 + i) for i, f in enumerate(here)
    ]
    people = {(1, 1): here_summary, (2, 1): here_summary}
    decision = decide([*here, *there], RULES, people, s.selfie)
    assert {m.photo_id for m in decision.sure} == {f.photo_id for f in here + there}

    centre, members, people = found_person(s)
    lone = s.at(0.30, around=centre)
    other_event = face(s, 50, lone, person=None, event=2)
    same_event = face(s, 51, lone, person=None, event=1, face_id=510)
    decision = decide([*members, other_event, same_event], RULES, people, s.selfie)
    assert 51 in {m.photo_id for m in decision.sure}
    assert 50 not in {m.photo_id for m in decision.sure}
