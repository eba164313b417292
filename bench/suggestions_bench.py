#!/usr/bin/env python
"""Time and peak memory of finding "The same person?" pairs among an event's people,
by a full people x people distance matrix (before) and by the grouping's block-wise
pair finder (faces.grouping.close_pairs, what faces.people_review uses now).

    .venv/bin/python bench/suggestions_bench.py [--people 2000,7000,15000]

The people's centres are synthetic 128-number unit vectors around 300 "looks", so
that people of one look lie 0.5-0.6 apart, as dlib's near strangers do. Checks that
both find the same closest pair.
"""

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faces.grouping import close_pairs  # noqa: E402

REACH = 0.6  # SUGGESTION_REACH (1.5) x dlib's grouping threshold (0.40)


def centres(count: int, rng: np.random.Generator, dims: int = 128) -> np.ndarray:
    looks = rng.normal(size=(300, dims))
    looks /= np.linalg.norm(looks, axis=1, keepdims=True)
    vectors = looks[rng.integers(0, 300, count)] + rng.normal(scale=0.045, size=(count, dims))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def by_matrix(vectors: np.ndarray) -> tuple[int, int]:
    distances = np.sqrt(np.clip(2.0 - 2.0 * vectors @ vectors.T, 0.0, None))
    np.fill_diagonal(distances, np.inf)
    rows, cols = np.where(np.triu(distances < REACH, k=1))
    closest = np.argmin(distances[rows, cols])
    return int(rows[closest]), int(cols[closest])


def by_blocks(vectors: np.ndarray) -> tuple[int, int]:
    return next(close_pairs(vectors, REACH))


def measure(function, vectors) -> tuple[tuple[int, int], float, float]:
    tracemalloc.start()
    started = time.perf_counter()
    pair = function(vectors)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return pair, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default="2000,7000,15000")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for count in [int(n) for n in args.people.split(",")]:
        vectors = centres(count, rng)
        before, before_s, before_mb = measure(by_matrix, vectors)
        now, now_s, now_mb = measure(by_blocks, vectors)
        if before != now:
            raise SystemExit(f"{count} people: the two ways disagree ({before} != {now})")
        print(
            f"{count:>6} people: matrix {before_s * 1000:.0f} ms, peak {before_mb:.0f} MB; "
            f"blocks {now_s * 1000:.0f} ms, peak {now_mb:.0f} MB; same closest pair"
        )


if __name__ == "__main__":
    main()
