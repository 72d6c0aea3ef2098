"""``datamill ops``: the ops a recipe may use, with their parameters and defaults."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from datamill.cli.common import reject_extra
from datamill.ops.catalog import Param, catalog, describe


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "ops",
        help="list the ops a recipe may use, with their parameters and defaults",
        description=(
            "List every built-in op (Data-Juicer's names): its kind, what it does, and each parameter "
            "with its type and default. Name ops to see only those. Every op also takes text_key "
            "(default: the recipe's text_keys) and batch_size (default 1000); Data-Juicer's common "
            "keys such as num_proc are accepted and have no effect on the op itself."
        ),
    )
    p.add_argument("names", nargs="*", metavar="OP", help="ops to show (default: all)")
    p.add_argument("--kind", choices=["mapper", "filter", "deduplicator"], help="only ops of this kind")
    p.add_argument("--json", action="store_true", help="print JSON (a list of ops) instead of a table")
    p.set_defaults(handler=show)


def show(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    infos = [describe(n, "datamill ops") for n in args.names] if args.names else catalog(args.kind)
    infos = [i for i in infos if args.kind is None or i.kind == args.kind]
    if args.json:
        print(json.dumps([i.as_dict() for i in infos], indent=2))
        return 0
    table = Table("op", "kind", "parameters (default)", "what it does", show_lines=True)
    for info in infos:
        params = "\n".join(
            f"{p.name}: {p.type}" + (" (required)" if p.required else f" = {_default(p)}")
            for p in info.params
        )
        table.add_row(info.name, info.kind, params or "-", info.summary)
    Console(soft_wrap=False, width=max(Console().width, 120)).print(table)
    return 0


def _default(param: Param) -> str:
    value = param.as_dict()["default"]
    return "sys.maxsize" if value == "sys.maxsize" else repr(value)
