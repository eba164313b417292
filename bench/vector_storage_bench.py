#!/usr/bin/env python
"""Vectors of two embedders side by side: one table with an index per embedder, or a
table per vector size? Decides where face vectors live (docs/faces.md, "Embedders").

    .venv/bin/python bench/vector_storage_bench.py [--faces 60000] [--events 30]

In its own database (photos_bench_vectors), for ``--faces`` faces of each of two
embedders (128 and 512 numbers: dlib and ArcFace), clustered like real faces:

- **one table**: ``vector`` without a size, an ``embedder`` column, and per embedder a
  partial B-tree on (event) and a partial HNSW index on ``embedding::vector(n)``
  (pgvector's documented way to keep several models in one table);
- **two tables**: one per size, ``vector(128)`` and ``vector(512)``, each with its
  B-tree on (event, embedder) and its HNSW index.

Measures the exact search inside one event (every distance computed, B-tree) and the
HNSW search across all events (iterative scan), p50/p95 over 100 queries, with the
query plans checked to use the intended index. Writes bench/results/vector_storage.json.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import numpy as np  # noqa: E402

from bench.searchdata import use_bench_database  # noqa: E402

SIZES = {"dlib": 128, "arcface": 512}
NOISE = {"dlib": 0.022, "arcface": 0.02}


def vectors(rng, count: int, size: int, noise: float, events: int):
    people = max(5, count // 25)
    centres = rng.normal(size=(people, size))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    who = rng.integers(0, people, size=count)
    rows = centres[who] + rng.normal(scale=noise, size=(count, size))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    event = who % events
    return rows.astype(np.float32), event, centres


def literal(vector) -> str:
    return "[" + ",".join(f"{v:.6f}" for v in vector) + "]"


def build(cursor, rng, args) -> dict:
    cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    cursor.execute("DROP TABLE IF EXISTS one_table, dlib_table, arcface_table")
    cursor.execute(
        "CREATE TABLE one_table (id bigserial PRIMARY KEY, event int, embedder text, "
        "embedding vector)"
    )
    for name, size in SIZES.items():
        cursor.execute(
            f"CREATE TABLE {name}_table (id bigserial PRIMARY KEY, event int, "
            f"embedder text, embedding vector({size}))"
        )
    centres = {}
    for name, size in SIZES.items():
        rows, events, centres[name] = vectors(rng, args.faces, size, NOISE[name], args.events)
        records = [(int(e), name, literal(v)) for v, e in zip(rows, events, strict=True)]
        for table in ("one_table", f"{name}_table"):
            with cursor.copy(f"COPY {table} (event, embedder, embedding) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(record)
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '1GB'")
    for name, size in SIZES.items():
        cursor.execute(
            f"CREATE INDEX one_{name}_event ON one_table (event) WHERE embedder = '{name}'"
        )
        cursor.execute(
            f"CREATE INDEX one_{name}_hnsw ON one_table USING hnsw "
            f"((embedding::vector({size})) vector_l2_ops) WITH (m = 24, ef_construction = 100) "
            f"WHERE embedder = '{name}'"
        )
        cursor.execute(f"CREATE INDEX {name}_event ON {name}_table (event, embedder)")
        cursor.execute(
            f"CREATE INDEX {name}_hnsw ON {name}_table USING hnsw (embedding vector_l2_ops) "
            "WITH (m = 24, ef_construction = 100)"
        )
    cursor.execute("ANALYZE one_table")
    for name in SIZES:
        cursor.execute(f"ANALYZE {name}_table")
    return {"centres": centres, "index_seconds": round(time.perf_counter() - started, 1)}


QUERIES = {
    "one table": {
        "exact": "SELECT id FROM one_table WHERE embedder = %(name)s AND event = %(event)s "
        "AND (embedding::vector({size})) <-> %(q)s::vector({size}) < 0.45",
        "hnsw": "SELECT id FROM one_table WHERE embedder = %(name)s "
        "ORDER BY (embedding::vector({size})) <-> %(q)s::vector({size}) LIMIT 100",
    },
    "two tables": {
        "exact": "SELECT id FROM {name}_table WHERE embedder = %(name)s AND event = %(event)s "
        "AND embedding <-> %(q)s::vector({size}) < 0.45",
        "hnsw": "SELECT id FROM {name}_table WHERE embedder = %(name)s "
        "ORDER BY embedding <-> %(q)s::vector({size}) LIMIT 100",
    },
}


def measure(cursor, rng, centres, args) -> dict:
    results = {}
    cursor.execute("SET hnsw.iterative_scan = relaxed_order")
    cursor.execute("SET hnsw.ef_search = 400")
    for layout, shapes in QUERIES.items():
        for name, size in SIZES.items():
            for shape, template in shapes.items():
                sql = template.format(name=name, size=size)
                samples, rows = [], 0
                for _ in range(args.queries):
                    person = int(rng.integers(0, len(centres[name])))
                    query = centres[name][person] + rng.normal(scale=NOISE[name], size=size)
                    params = {"name": name, "event": person % args.events, "q": literal(query)}
                    started = time.perf_counter()
                    cursor.execute(sql, params)
                    rows += len(cursor.fetchall())
                    samples.append(time.perf_counter() - started)
                cursor.execute("EXPLAIN " + sql, params)
                plan = " ".join(row[0] for row in cursor.fetchall())
                ordered = sorted(samples)
                results[f"{layout} / {name} / {shape}"] = {
                    "p50_ms": round(1000 * statistics.median(ordered), 2),
                    "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
                    "rows_per_query": round(rows / args.queries, 1),
                    "index": next(
                        (w for w in plan.split() if w.endswith(("_hnsw", "_event"))), "-"
                    ),
                }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=60000, help="Faces per embedder.")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    use_bench_database("photos_bench_vectors")
    import psycopg

    rng = np.random.default_rng(0)
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        cursor = connection.cursor()
        built = build(cursor, rng, args)
        results = measure(cursor, rng, built["centres"], args)
        cursor.execute(
            "SELECT pg_relation_size('one_table'), "
            "pg_relation_size('dlib_table') + pg_relation_size('arcface_table')"
        )
        one_size, two_size = cursor.fetchone()
    print(
        f"{args.faces} faces per embedder, {args.events} events; indexes {built['index_seconds']} s"
    )
    print(f"{'layout / embedder / search':36} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6}  index")
    for key, row in results.items():
        print(
            f"{key:36} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} "
            f"{row['rows_per_query']:6.1f}  {row['index']}"
        )
    print(f"table sizes: one table {one_size / 2**20:.0f} MB, two tables {two_size / 2**20:.0f} MB")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "faces": args.faces,
        "events": args.events,
        "results": results,
        "table_mb": {"one": one_size / 2**20, "two": two_size / 2**20},
    }
    (out / "vector_storage.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
