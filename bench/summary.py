"""The summary `make bench` ends with: one line per benchmark from the JSON each bench wrote under bench/results/.

    .venv/bin/python bench/summary.py [--strict]

Columns: the figure, the baseline measured in the same run, figure ÷ baseline, the target and whether it holds.
For each bench the newer of its full and its --quick result file is read (a quick result is marked as such), and
the time it was written is shown, so a part that did not run this time (e.g. the catalog on PostgreSQL) shows
its older figures for what they are. --strict exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _load(name: str) -> tuple[dict | None, str]:
    """The newer of NAME.json and NAME-quick.json, and how to label it (BENCH_RESULTS_DIR overrides the folder)."""
    results = Path(os.environ.get("BENCH_RESULTS_DIR") or RESULTS)
    found = [path for path in (results / f"{name}.json", results / f"{name}-quick.json") if path.exists()]
    if not found:
        return None, ""
    path = max(found, key=lambda p: p.stat().st_mtime)
    when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%m-%d %H:%M")
    return json.loads(path.read_text()), when + (" quick" if path.stem.endswith("-quick") else "")


def _row(bench, figure, baseline, ratio, target, ok, when) -> dict:
    return {"bench": bench, "figure": figure, "baseline": baseline, "ratio": ratio, "target": target,
            "result": "-" if ok is None else ("PASS" if ok else "FAIL"), "measured": when}


def scan_rows() -> list[dict]:
    data, when = _load("scan")
    if data is None:
        return [_row("scan", "not run", "", "", "", None, "")]
    rows = []
    for label, part in (("dense", data), ("typical", data.get("typical") or {})):
        scanner, grep = part.get("scanner", {}), part.get("grep", {})
        if "mb_per_s" not in scanner:
            continue
        mbps = scanner["mb_per_s"]
        rows.append(_row(f"PI scan, {label} {part['file_mb']:,.0f} MB", f"{mbps:g} MB/s",
                         f"grep -cP {grep.get('mb_per_s', '?')} MB/s", f"{part.get('scanner_to_grep', '?')}",
                         "≥ 40 MB/s a core", mbps >= 40, when))
    return rows


def proof_rows() -> list[dict]:
    data, when = _load("proofs")
    if data is None:
        return [_row("certificate log proofs", "not run", "", "", "", None, "")]
    ratio = data["ratio"]
    large = data["proofs"][str(ratio["large"])]
    baseline = large.get("one_node_fetch_median_us")
    return [_row(f"inclusion proof at {ratio['large']:,} leaves ({data['database']['dialect']})",
                 f"{large['median_us']:,.0f} µs median",
                 f"one node read {baseline:,.0f} µs" if baseline else "(none recorded)",
                 f"{large['proof_to_one_node_fetch']}" if baseline else "",
                 f"t({ratio['large']:,})/t({ratio['small']:,}) = {ratio['value']} ≤ {ratio['aim']}",
                 ratio["value"] <= ratio["aim"], when)]


def catalog_rows() -> list[dict]:
    rows = []
    for kind in ("sqlite", "postgresql"):
        data, when = _load(f"catalog-{kind}")
        if data is None:
            rows.append(_row(f"catalog search ({kind})", "not run", "", "", "", None, ""))
            continue
        sizes = data["sizes"]
        p95 = data.get("targets", {}).get("p95")
        size = str(p95["size"]) if p95 else max(sizes, key=int)
        mix = sizes[size]["mix"]
        api, sql = mix["api"]["p95_ms"], mix["sql"]["p95_ms"]
        rows.append(_row(f"catalog search mix p95, {int(size):,} listings ({kind})", f"{api:.1f} ms",
                         f"raw SQL {sql:.1f} ms", f"{api / sql:.2f}",
                         f"p95 ≤ {p95['limit_ms']:g} ms" if p95 else "", p95["pass"] if p95 else None, when))
    return rows


def _http(name: str, title: str, endpoint: str) -> list[dict]:
    data, when = _load(name)
    if data is None:
        return [_row(title, "not run", "", "", "", None, "")]
    rows = []
    for database, run in data["runs"].items():
        figure = run["endpoints"][endpoint]
        target = run["target"]
        failed = f", {figure['failed']} failed" if figure["failed"] else ""
        rows.append(_row(f"{title} ({database})", f"{figure['rps']:,.0f} req/s{failed}",
                         f"hello-world {run['hello_rps']:,.0f} req/s", f"{figure['ratio']:.3f}",
                         f"≥ {target['ratio_at_least']} × hello", target["pass"] and not figure["failed"], when))
        durable = run["endpoints"].get("durable")
        if durable:  # the delivery bench's second baseline: what a durable commit per call allows at best
            rows.append(_row(f"  its ceiling: a durable 2-row commit alone ({database})",
                             f"{durable['rps']:,.0f} req/s", f"hello-world {run['hello_rps']:,.0f} req/s",
                             f"{durable['ratio']:.3f}", f"records at {figure['of_durable_ceiling']:.3f} of it", None,
                             when))
    return rows


def registration_rows() -> list[dict]:
    data, when = _load("registration")
    if data is None:
        return [_row("registration path", "not run", "", "", "", None, "")]
    rows = []
    for database, run in data["runs"].items():
        floor = run["products"] / run["baseline"]["seconds"]
        rows.append(_row(f"registration path ({database})",
                         f"{run['products_per_s']:.2f} products/s ({run['ms_per_product']:,.0f} ms)",
                         f"its {run['commits_per_product']:g} commits alone {floor:.2f}/s", f"{run['ratio']:.3f}",
                         "", None, when))
    return rows


def rows() -> list[dict]:
    return [*scan_rows(), *proof_rows(), *catalog_rows(),
            *_http("http", "listing API GET /api/v1/listings?q=陈皮", "listing_api"),
            *_http("delivery", "delivery GET …/records (consent-gated)", "records"), *registration_rows()]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def render(table: list[dict]) -> str:
    columns = [("bench", "benchmark"), ("figure", "figure"), ("baseline", "baseline (same run)"),
               ("ratio", "figure ÷ baseline"), ("target", "target"), ("result", "result"), ("measured", "measured")]
    widths = {key: max(_width(title), *(_width(str(row[key])) for row in table)) for key, title in columns}

    def line(cells: dict) -> str:
        return "  ".join(str(cells[key]) + " " * (widths[key] - _width(str(cells[key]))) for key, _ in columns)

    header = line({key: title for key, title in columns})
    return "\n".join([header, "-" * _width(header), *(line(row) for row in table)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strict", action="store_true", help="exit 1 when any target is missed")
    args = parser.parse_args()
    table = rows()
    print("\nBenchmark summary (bench/results/*.json)\n")
    print(render(table))
    missed = [row["bench"] for row in table if row["result"] == "FAIL"]
    if missed:
        print(f"\ntargets missed: {len(missed)} ({'; '.join(missed)}); the machine's load shows in each bench's output")
    if args.strict and missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
