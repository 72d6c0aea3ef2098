"""User ops of the scene_bbox example: look up each scene in PostgreSQL.

``fetch_meta`` adds a scene's city and start time from ``scene_meta``;
``fetch_bbox`` adds the bounding box of its trajectory points from
``scene_points`` as four numeric columns (``min_x``, ``min_y``, ``max_x``,
``max_y``; plain columns rather than PostGIS, so the example needs nothing
beyond PostgreSQL itself). A scene without metadata or without points raises,
so datamill sets it aside with the op's name as its ``step``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from datamill.ops import Mapper


@cache
def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, pool_pre_ping=True)


class _Lookup(Mapper):
    """Looks up the batch's tokens in one query and adds the columns it finds."""

    needs_text = False  # it reads the token column: the dataset needs no text

    query = ""
    columns: tuple[str, ...] = ()
    missing = ""

    def __init__(self, url: str, token_column: str = "scene_token", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url, self.token_column = url, token_column

    def process_batch(self, table: pa.Table) -> pa.Table:
        tokens = table.column(self.token_column).to_pylist()
        with _engine(self.url).connect() as conn:
            found = {r[0]: r[1:] for r in conn.execute(sa.text(self.query), {"tokens": tokens})}
        lacking = [t for t in tokens if t not in found]
        if lacking:
            raise LookupError(f"{self.missing} for scene {lacking[0]}")
        for i, name in enumerate(self.columns):
            table = table.append_column(name, pa.array([found[t][i] for t in tokens]))
        return table


class FetchMeta(_Lookup):
    name = "fetch_meta"
    query = "SELECT scene_token, city, start_time FROM scene_meta WHERE scene_token = ANY(:tokens)"
    columns = ("city", "start_time")
    missing = "no metadata"


class FetchBbox(_Lookup):
    name = "fetch_bbox"
    query = (
        "SELECT scene_token, min(x), min(y), max(x), max(y) FROM scene_points "
        "WHERE scene_token = ANY(:tokens) GROUP BY scene_token"
    )
    columns = ("min_x", "min_y", "max_x", "max_y")
    missing = "no trajectory points"
