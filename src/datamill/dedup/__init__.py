"""Data-Juicer's document deduplicators, in two phases.

Per partition, :func:`hash_partition` turns texts into hashes (committed with
the partition); then :func:`decide` reads all committed hashes, groups them out
of core with DuckDB and links clusters with union-find in numpy, and returns
the rows to drop with the row each duplicates. The kept set is Data-Juicer
1.6.1's for ``document_deduplicator``, ``document_simhash_deduplicator`` and
``document_minhash_deduplicator``.
"""

from datamill.dedup.api import decide, hash_partition, hash_schema
from datamill.dedup.params import (
    PARAMS_BY_OP,
    DedupParams,
    DocumentDeduplicatorParams,
    DocumentMinhashDeduplicatorParams,
    DocumentSimhashDeduplicatorParams,
    parse_params,
)

__all__ = [
    "PARAMS_BY_OP",
    "DedupParams",
    "DocumentDeduplicatorParams",
    "DocumentMinhashDeduplicatorParams",
    "DocumentSimhashDeduplicatorParams",
    "decide",
    "hash_partition",
    "hash_schema",
    "parse_params",
]
