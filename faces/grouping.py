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
    for i, j in _close_pairs(vectors, threshold):
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


def _close_pairs(vectors: np.ndarray, threshold: float):
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
