"""``datamill dashboard``: serve the jobs' progress to a browser, and /metrics to Prometheus."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path
from typing import Any

from rich.console import Console

from datamill.cli.common import reject_extra
from datamill.control.jobs import DEFAULT_BASE_DIR


def add_parser(sub: Any) -> None:
    d = sub.add_parser(
        "dashboard",
        help="watch jobs in a browser; Prometheus metrics",
        description=(
            "Serve a live dashboard of the jobs under a base directory (or of one job directory), "
            "with /metrics for Prometheus. Reads the jobs like `datamill monitor`; never writes into them."
        ),
    )
    d.add_argument(
        "--base-dir",
        type=Path,
        default=DEFAULT_BASE_DIR,
        help="the recipes' work_dir, or one job's directory (default ./outputs)",
    )
    d.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    d.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    d.add_argument(
        "--allow-control", action="store_true", help="show Stop buttons (each stop needs the token)"
    )
    d.add_argument(
        "--token", help="the secret a stop must carry (default: a new random one, printed at launch)"
    )
    d.add_argument("--interval", type=float, default=1.0, help="seconds between live updates (default 1)")
    d.set_defaults(handler=dashboard)


def dashboard(args: argparse.Namespace, extra: list[str], err: Console) -> int:
    reject_extra(extra)
    from datamill.dashboard import require

    require()
    from datamill.dashboard.guard import check_bind
    from datamill.errors import ConfigError

    check_bind(args.host, args.token)
    if args.interval <= 0:
        raise ConfigError(f"--interval must be a number of seconds above 0 (got {args.interval:g}).")
    if not args.base_dir.is_dir():
        raise ConfigError(f"--base-dir {args.base_dir} is not a directory (give the recipes' work_dir).")
    import uvicorn

    from datamill.dashboard.app import Settings, create_app

    token = args.token or secrets.token_urlsafe(18)
    settings = Settings(args.base_dir, token, args.allow_control, args.host, args.interval, freeze_gc=True)
    app = create_app(settings)
    out = Console(soft_wrap=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/"
    out.print(f"datamill dashboard: {url}  (jobs in {args.base_dir.resolve()})", highlight=False)
    out.print(f"  metrics for Prometheus: {url}metrics", highlight=False)
    if args.allow_control:
        out.print(f"  control is on; stop token: {token}", highlight=False)
        out.print(f"  (or open {url}#token={token} to have the page hold it)", highlight=False)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
