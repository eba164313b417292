"""Grouping an event's faces into people. Pure numpy, no ORM.

Constrained average linkage: candidate pairs closer than ``threshold`` are taken
closest first; two groups merge when

- the mean squared distance between all their members (computed from the groups'
  vector sums, since for unit vectors |a-b|² = 2 - 2a·b) stays under ``threshold``²;
- and it is at most ``relative`` times the spread inside each of them (their own mean
  squared distance, at least ``spread_floor``²): two look-alike people are each tight
  clusters a little apart, while the photos of one person are about as far from each
  other as from the rest of that person (docs/match-quality.md);
- and they share no photo: one photo never shows the same person twice.
"""

import numpy as np


def group_faces(
    vectors: np.ndarray,
    photo_ids: np.ndarray,
    *,
    threshold: float,
    relative: float | None = None,
    spread_floor: float = 0.28,
) -> np.ndarray:
    """A group label (the index of one member) for each row of unit ``vectors``."""
    count = len(vectors)
    vectors = np.asarray(vectors, dtype=np.float32)
    parent = np.arange(count)
    # Only groups of two or more get a sum of their own (a face alone is its vector):
    # one float64 copy per face would be 400 MB at 100,000 faces of 512 numbers.
    sums: dict[int, np.ndarray] = {}
    sizes: dict[int, int] = {}
    photos: dict[int, set[int]] = {}
    floor = spread_floor * spread_floor

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def total(group: int) -> np.ndarray:
        return sums[group] if group in sums else vectors[group]

    def size(group: int) -> int:
        return sizes.get(group, 1)

    def faces_photos(group: int) -> set[int]:
        return photos[group] if group in photos else {int(photo_ids[group])}

    def spread(group: int) -> float:
        """Mean squared distance between the group's members (the floor for one face)."""
        n = size(group)
        if n < 2:
            return floor
        inner = (sums[group].dot(sums[group]) - n) / (n * (n - 1))
        return max(floor, 2 - 2 * inner)

    limit = threshold * threshold
    for i, j in close_pairs(vectors, threshold):
        a, b = root(i), root(j)
        if a == b or faces_photos(a) & faces_photos(b):
            continue
        between = 2 - 2 * float(total(a).dot(total(b))) / (size(a) * size(b))
        if between >= limit:
            continue
        if relative is not None and between > relative * max(spread(a), spread(b)):
            continue
        if size(a) < size(b):
            a, b = b, a
        parent[b] = a
        sums[a] = total(a).astype(np.float64) + total(b)
        sizes[a] = size(a) + size(b)
        photos[a] = faces_photos(a) | faces_photos(b)
        for merged in (sums, sizes, photos):
            merged.pop(b, None)
    return np.array([root(i) for i in range(count)])


# Entries of one block of the similarity matrix: 16M float32 (64 MB) whatever the event.
BLOCK_ENTRIES = 16 * 1024 * 1024


def close_pairs(vectors: np.ndarray, threshold: float):
    """(i, j) for i < j closer than ``threshold``, closest first.

    Computed in blocks of rows sized so that one block stays at BLOCK_ENTRIES entries
    (64 MB) however many faces there are, kept as compact arrays, sorted once, and
    handed out in slices (a 100,000-face event has millions of such pairs).
    """
    count = len(vectors)
    rows_per_block = max(16, BLOCK_ENTRIES // max(1, count))
    # For unit vectors |a-b|^2 = 2 - 2 a.b: closer than threshold <=> a.b > this.
    min_dot = 1.0 - threshold * threshold / 2.0
    found_i, found_j, found_dot = [], [], []
    for start in range(0, count, rows_per_block):
        block = vectors[start : start + rows_per_block]
        # Only the columns from this block on: the pairs before were seen already.
        dots = block @ vectors[start:].T
        rows, cols = np.nonzero(dots > min_dot)
        keep = cols > rows
        rows, cols = rows[keep], cols[keep]
        found_dot.append(dots[rows, cols])
        found_i.append((rows + start).astype(np.int32))
        found_j.append((cols + start).astype(np.int32))
        del dots
    if not found_dot:
        return
    dot = np.concatenate(found_dot)
    order = np.argsort(-dot, kind="stable")  # closest (largest dot) first
    del dot
    pair_i, pair_j = np.concatenate(found_i)[order], np.concatenate(found_j)[order]
    del order
    for first in range(0, len(pair_i), 65536):
        rows, cols = pair_i[first : first + 65536], pair_j[first : first + 65536]
        yield from zip(rows.tolist(), cols.tolist(), strict=True)


def centres(vectors: np.ndarray, labels: np.ndarray) -> dict[int, tuple[np.ndarray, int]]:
    """Each group's centre (the unit mean of its vectors) and size."""
    out = {}
    for label in np.unique(labels):
        members = vectors[labels == label]
        mean = members.mean(axis=0)
        out[int(label)] = (mean / (np.linalg.norm(mean) or 1.0), len(members))
    return out


class GroupSums:
    """Running sums of groups' unit vectors, for assigning new faces one at a time.

    Room for ``capacity`` groups is allocated at once: a new face that starts a group of
    its own must not copy the whole matrix.
    """

    def __init__(self, sums: np.ndarray, counts: np.ndarray, capacity: int) -> None:
        # An event without people yet still has its vectors' width: (0, 128).
        dims = sums.shape[1] if sums.ndim == 2 else 1
        self.sums = np.zeros((capacity, dims), dtype=np.float64)
        self.counts = np.zeros(capacity, dtype=np.int64)
        self.active = len(counts)
        self.sums[: self.active] = sums
        self.counts[: self.active] = counts

    def add_group(self, vector: np.ndarray) -> int:
        index = self.active
        self.sums[index], self.counts[index] = vector, 1
        self.active += 1
        return index

    def add_member(self, index: int, vector: np.ndarray) -> None:
        self.sums[index] += vector
        self.counts[index] += 1

    def spreads(self, floor: float) -> np.ndarray:
        """Each group's mean squared distance between members (``floor``² at least)."""
        sums, counts = self.sums[: self.active], self.counts[: self.active].astype(np.float64)
        squared = np.einsum("ij,ij->i", sums, sums)
        pairs = np.maximum(counts * (counts - 1), 1.0)
        inner = (squared - counts) / pairs
        return np.where(counts >= 2, np.maximum(floor * floor, 2 - 2 * inner), floor * floor)


def assign_faces(
    groups: GroupSums,
    vectors: np.ndarray,
    photo_ids: list[int],
    group_photos: list[set[int]],
    *,
    threshold: float,
    relative: float | None,
    spread_floor: float,
) -> list[int]:
    """The group each new face joins (an index into ``groups``), in order; a face that
    joins none starts a group of its own, which later faces can join.

    The same rule as :func:`group_faces` applies between one face and a group: mean
    squared distance to its members under ``threshold``², at most ``relative`` times the
    group's spread, and no face of the group in the same photo. ``group_photos`` holds
    each existing group's photos among those of the new faces, and grows here.
    """
    limit = threshold * threshold
    floor = spread_floor * spread_floor
    chosen = []
    for vector, photo_id in zip(np.asarray(vectors, dtype=np.float64), photo_ids, strict=True):
        active = groups.active
        between = 2 - 2 * (groups.sums[:active] @ vector) / np.maximum(groups.counts[:active], 1)
        allowed = between < limit
        if relative is not None:
            allowed &= between <= relative * np.maximum(groups.spreads(spread_floor), floor)
        for index in np.flatnonzero(allowed):
            if photo_id in group_photos[index]:
                allowed[index] = False
        if allowed.any():
            index = int(np.flatnonzero(allowed)[np.argmin(between[allowed])])
            groups.add_member(index, vector)
        else:
            index = groups.add_group(vector)
            group_photos.append(set())
        group_photos[index].add(photo_id)
        chosen.append(index)
    return chosen


def map_groups(labels: np.ndarray, previous: list[int | None]) -> dict[int, int | None]:
    """Which earlier person each new group continues: the one most of its faces were in,
    largest overlaps first, each person continued by one group at most (None: a new
    person). ``previous[i]`` is face i's person before, None for a new face."""
    overlaps: dict[tuple[int, int], int] = {}
    for label, person in zip(labels.tolist(), previous, strict=True):
        if person is not None:
            overlaps[(label, person)] = overlaps.get((label, person), 0) + 1
    mapping: dict[int, int | None] = {label: None for label in set(labels.tolist())}
    taken: set[int] = set()
    for (label, person), _ in sorted(overlaps.items(), key=lambda item: (-item[1], item[0][1])):
        if mapping[label] is None and person not in taken:
            mapping[label] = person
            taken.add(person)
    return mapping


def merge_new_groups(
    groups: GroupSums,
    first_new: int,
    group_photos: list[set[int]],
    *,
    threshold: float,
    relative: float | None,
    spread_floor: float,
) -> dict[int, int]:
    """Let the groups started by new faces (index ``first_new`` on) merge, by
    :func:`group_faces`' rule between two groups, into another group (an earlier
    person or another new group): a face at a time cannot bring two halves of one
    person together, two groups can. Returns {merged group: group it went into}."""
    limit = threshold * threshold
    merged: dict[int, int] = {}
    for index in range(first_new, groups.active):
        if groups.counts[index] == 0:
            continue
        active = groups.active
        counts = groups.counts[:active]
        sizes = np.maximum(counts, 1) * groups.counts[index]
        between = 2 - 2 * (groups.sums[:active] @ groups.sums[index]) / sizes
        allowed = (counts > 0) & (between < limit)
        allowed[index] = False
        if relative is not None:
            spreads = groups.spreads(spread_floor)
            allowed &= between <= relative * np.maximum(spreads, spreads[index])
        for other in np.flatnonzero(allowed):
            if group_photos[other] & group_photos[index]:
                allowed[other] = False
        if not allowed.any():
            continue
        target = int(np.flatnonzero(allowed)[np.argmin(between[allowed])])
        groups.sums[target] += groups.sums[index]
        groups.counts[target] += groups.counts[index]
        groups.sums[index], groups.counts[index] = 0, 0
        group_photos[target] |= group_photos[index]
        merged[index] = target
    return {index: _final(index, merged) for index in merged}


def _final(index: int, merged: dict[int, int]) -> int:
    while index in merged:
        index = merged[index]
    return index
