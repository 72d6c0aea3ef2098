"""Create and fill the example's source tables, and write the token list.

    python examples/scene_bbox/setup_db.py --url URL --scenes 5000 --out scene_tokens.parquet

About 2% of the scenes get no metadata and 1% no trajectory points, so some
fail at ``fetch_meta`` and some at ``fetch_bbox``. ``--fix`` later adds what
was missing, as an operator would after finding the cause.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

CITIES = ["boston", "singapore", "shanghai", "pittsburgh", "las_vegas"]


def tokens(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(n)]


def create(url: str, n: int, seed: int, out: Path) -> None:
    rng = random.Random(seed + 1)
    toks = tokens(n, seed)
    no_meta = set(rng.sample(toks, n // 50))
    no_points = set(rng.sample(toks, n // 100))
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS scene_meta, scene_points, clips_bbox"))
        conn.execute(
            sa.text(
                "CREATE TABLE scene_meta (scene_token text PRIMARY KEY, city text, start_time timestamptz)"
            )
        )
        conn.execute(
            sa.text("CREATE TABLE scene_points (scene_token text, x double precision, y double precision)")
        )
        conn.execute(sa.text("CREATE INDEX ON scene_points (scene_token)"))
        start = datetime(2024, 1, 1, tzinfo=UTC)
        meta = [
            {"t": t, "c": rng.choice(CITIES), "s": start + timedelta(minutes=i)}
            for i, t in enumerate(toks)
            if t not in no_meta
        ]
        conn.execute(sa.text("INSERT INTO scene_meta VALUES (:t, :c, :s)"), meta)
        points = [
            {"t": t, "x": rng.uniform(0, 1000), "y": rng.uniform(0, 1000)}
            for t in toks
            if t not in no_points
            for _ in range(rng.randint(3, 8))
        ]
        conn.execute(sa.text("INSERT INTO scene_points VALUES (:t, :x, :y)"), points)
    pq.write_table(pa.table({"scene_token": toks}), out)
    print(f"{n} scenes ({len(no_meta)} without metadata, {len(no_points)} without points) -> {out}")


def fix(url: str, n: int, seed: int) -> None:
    """Add the missing metadata and points."""
    toks = tokens(n, seed)
    with sa.create_engine(url).begin() as conn:
        have_meta = {r[0] for r in conn.execute(sa.text("SELECT scene_token FROM scene_meta"))}
        have_points = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT scene_token FROM scene_points"))}
        meta = [{"t": t} for t in toks if t not in have_meta]
        points = [{"t": t} for t in toks if t not in have_points]
        if meta:
            conn.execute(sa.text("INSERT INTO scene_meta VALUES (:t, 'unknown', now())"), meta)
        if points:
            conn.execute(sa.text("INSERT INTO scene_points VALUES (:t, 0, 0), (:t, 1, 1)"), points)
    print(f"fixed: {len(meta)} scenes got metadata, {len(points)} got points")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the PostgreSQL database")
    parser.add_argument("--scenes", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("scene_tokens.parquet"))
    parser.add_argument("--fix", action="store_true", help="add the missing metadata and points")
    args = parser.parse_args()
    if args.fix:
        fix(args.url, args.scenes, args.seed)
    else:
        create(args.url, args.scenes, args.seed, args.out)


if __name__ == "__main__":
    main()
