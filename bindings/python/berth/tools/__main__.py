"""python3 -m berth.tools {show,chart,what-if}: operator tools over any backend.

    python3 -m berth.tools show --config berth.toml
    python3 -m berth.tools show --set backend.name=zookeeper --set backend.connect=zk1:2181 --json
    python3 -m berth.tools chart --config berth.toml -o load.png
    python3 -m berth.tools what-if --config berth.toml --add-server srv-9=2.0 --remove-server srv-3
    python3 -m berth.tools what-if --config berth.toml --policy least_load
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Sequence

from ..errors import BerthError
from .chart import write_chart
from .cluster import observe
from .show import as_dict, as_json, as_table
from .whatif import Change, PlanError, WhatIfResult, what_if


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="a Berth TOML file (the cluster's backend section)")
    p.add_argument("--set", dest="settings", metavar="SECTION.KEY=VALUE", action="append", default=[],
                   help="an option override, e.g. backend.name=file (repeatable)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a snapshot (default 10)")


def _server_arg(text: str) -> tuple[str, float]:
    # "=" rather than ":", which host:port ids already use.
    sid, sep, capacity = text.rpartition("=")
    if not sep:
        return text, 1.0
    try:
        value = float(capacity)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the capacity {capacity!r} is not a number") from None
    if not sid or not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected ID or ID=CAPACITY with a positive capacity")
    return sid, value


def _policy_setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected key=value")
    return key.removeprefix("policy."), value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python3 -m berth.tools", description="Berth operator tools")
    sub = top.add_subparsers(dest="command", required=True)

    show = sub.add_parser("show", help="the current snapshot as a table")
    _add_source(show)
    show.add_argument("--json", action="store_true", help="one JSON object instead of the table")

    chart = sub.add_parser("chart", help="a PNG of per-server load")
    _add_source(chart)
    chart.add_argument("-o", "--output", default="berth-load.png", help="the PNG to write (default berth-load.png)")
    chart.add_argument("--title", help="the chart's title")

    whatif = sub.add_parser("what-if", help="the streams a change would move, from the live assignment")
    _add_source(whatif)
    whatif.add_argument("--add-server", metavar="ID[=CAPACITY]", action="append", default=[], type=_server_arg,
                        help="a server to add (capacity 1 unless given)")
    whatif.add_argument("--remove-server", metavar="ID", action="append", default=[], help="a server to remove")
    whatif.add_argument("--policy", help="another policy to run instead of the snapshot's")
    whatif.add_argument("--policy-set", metavar="KEY=VALUE", action="append", default=[], type=_policy_setting,
                        help="a setting of the simulated policy, e.g. band=0.05 (repeatable)")
    whatif.add_argument("--limit", type=int, default=20, help="moves listed (default 20; totals count all)")
    whatif.add_argument("--json", action="store_true", help="one JSON object instead of the report")
    return top


def _report(result: WhatIfResult, change: Change, limit: int) -> str:
    before, after = result.before, result.after
    lines = [f"what-if on version {result.live.version} ({result.live.policy}, {len(result.live.servers)} servers, "
             f"{result.live.stream_count} streams): {change.describe(result.live.policy)}",
             f"{'':16}{'before':>12}{'after':>12}",
             f"{'servers':16}{len(before.servers):>12}{len(after.servers):>12}",
             f"{'max/LB':16}{before.max_over_lb:>12.3f}{after.max_over_lb:>12.3f}",
             f"{'lower bound':16}{before.lower_bound:>12.3f}{after.lower_bound:>12.3f}",
             f"moved {len(result.moves)} of {before.stream_count} streams ({result.moved_stream_fraction:.1%}), "
             f"{result.moved_load_fraction:.1%} of the load"]
    if change.add and not change.remove and len(before.servers):
        added = sum(c for _, c in change.add)
        fair = added / (before.total_capacity + added)
        lines.append(f"  (the least possible churn for this join: its fair share, {fair:.1%} of the load)")
    b = {s.id: s for s in before.servers}
    a = {s.id: s for s in after.servers}
    lines.append(f"{'server':24}{'load before':>12}{'after':>10}{'streams before':>16}{'after':>8}")
    for sid in sorted(set(a) | set(b)):
        sb, sa = b.get(sid), a.get(sid)
        lines.append(f"{sid:24}{(f'{sb.load:.3f}' if sb else '-'):>12}{(f'{sa.load:.3f}' if sa else '-'):>10}"
                     f"{(str(sb.streams) if sb else '-'):>16}{(str(sa.streams) if sa else '-'):>8}")
    for m in result.moves[:max(0, limit)]:
        lines.append(f"  {m.stream}: {m.source} -> {m.target} (load {m.load:g})")
    if len(result.moves) > limit:
        lines.append(f"  ... and {len(result.moves) - limit} more")
    return "\n".join(lines)


def _as_json(result: WhatIfResult, change: Change, limit: int) -> str:
    return json.dumps({
        "live_version": result.live.version,
        "change": change.describe(result.live.policy),
        "before": as_dict(result.before),
        "after": as_dict(result.after),
        "moved_streams": len(result.moves),
        "moved_stream_fraction": result.moved_stream_fraction,
        "moved_load_fraction": result.moved_load_fraction,
        "baseline_differs": result.baseline_differs,
        "moves": [{"stream": m.stream, "from": m.source, "to": m.target, "load": m.load}
                  for m in result.moves[:max(0, limit)]],
    }, indent=2, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "chart" and importlib.util.find_spec("matplotlib") is None:
        # An optional dependency: say which package to install instead of a traceback.
        print("berth.tools chart: needs matplotlib (Debian: apt install python3-matplotlib; "
              "pip: pip install 'berth-placement[chart]')", file=sys.stderr)
        return 3
    try:
        view = observe(args.config, args.settings, args.timeout)
        if args.command == "show":
            print(as_json(view) if args.json else as_table(view))
        elif args.command == "chart":
            path = write_chart(view, args.output, args.title)
            print(f"wrote {path} ({len(view.servers)} servers, version {view.version})")
        else:
            known = {s.id for s in view.servers}
            unknown = [sid for sid in args.remove_server if sid not in known]
            if unknown:
                print(f"berth.tools: cannot remove {', '.join(unknown)}: not in version {view.version}", file=sys.stderr)
                return 2
            change = Change(args.add_server, args.remove_server, args.policy, dict(args.policy_set))
            try:
                result = what_if(view, change, args.timeout, config=args.config, settings=args.settings)
            except PlanError as e:
                print(f"berth.tools what-if: {e}", file=sys.stderr)
                return e.code
            print(_as_json(result, change, args.limit) if args.json else _report(result, change, args.limit))
        return 0
    except (BerthError, ValueError, OSError) as e:
        print(f"berth.tools {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
