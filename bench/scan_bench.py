"""Scan benchmark: generated CSVs through `scan_file` and through `grep -cP`, in the same run.

    .venv/bin/python bench/scan_bench.py [--size-mb 200] [--pi-density 0.05] [--keep]

Prints a table and writes bench/results/scan.json. Two CSVs of the same size (deterministic seeds, in a
temp dir, one at a time) have realistic columns: Chinese names, resident IDs, mobiles, cards, e-mail
addresses, credit codes, amounts, timestamps and free text, 2% of rows quoted (an ASCII comma inside).
- dense: the PI columns are a quarter full (IDs, mobiles) or less, and 15% of the free texts hold a
  mobile or an ID, about 0.8 findings per row: a file of customer records.
- typical: `--pi-density` of the rows (5% by default) carry one identifier, in its column or in the
  free text, in the same proportions as the dense file; the other rows carry none.
The scanner runs in a child process so that its peak memory (max RSS) is its own.
grep gets one combined alternation of the five shapes (no check digits: grep cannot compute them),
with the same "not inside a longer run of letters or digits" boundaries, in the C locale.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from compliance.identifiers import USCC_ALPHABET, luhn_is_valid, make_resident_id, make_uscc  # noqa: E402

SEED = 20240601
HEADER = ["序号", "姓名", "性别", "身份证号", "手机号", "银行卡号", "邮箱", "企业信用代码", "城市", "金额",
          "下单时间", "状态", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉梅红志文辉鹏飞宇浩然欣怡子涵梓轩"
CITIES = ["江门市蓬江区", "江门市新会区", "广州市天河区", "深圳市南山区", "佛山市禅城区", "珠海市香洲区", "台山市",
          "开平市"]
STATES = ["已支付", "待发货", "已完成", "已退款"]
WORDS = ("客户 表示 已经 完成 支付 请 尽快 发货 收货 地址 变更 为 联系 备注 退货 申请 审核 通过 订单 "
         "发票 抬头 物流 延迟 电话 回访 满意 投诉 处理 完毕").split()
GREP_PATTERN = "|".join([
    r"(?<![0-9A-Za-z])[1-8][0-9]{16}[0-9Xx](?![0-9A-Za-z])",
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Za-z])",
    r"(?<![0-9A-Za-z])[0-9]{16,19}(?![0-9A-Za-z])",
    r"(?<![0-9A-Za-z])[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?(?![0-9A-Za-z])",
    r"(?:(?<![0-9A-Za-z+])(?:\+86|0086|86)[ -]?|(?<![0-9A-Za-z]))1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4})"
    r"(?![0-9A-Za-z])",
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
])


def _pools(rng: random.Random, n: int = 20_000) -> dict[str, list[str]]:
    def digits(k: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(k))

    def card() -> str:
        body = "62" + digits(15)
        return next(body + c for c in "0123456789" if luhn_is_valid(body + c))

    def mobile() -> str:
        return f"1{rng.choice('3456789')}{digits(9)}"

    def text() -> str:
        words = "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        roll = rng.random()
        if roll < 0.10:
            return f"{words}，联系电话{mobile()}"
        if roll < 0.13:
            body = f"44070{rng.randint(1, 9)}{rng.randint(1950, 2005)}0101{digits(3)}"
            return f"{words}，身份证{make_resident_id(body)}"
        if roll < 0.15:
            return f'"{words}, {mobile()[:3]} {digits(4)} {digits(4)}"'  # quoted, with an ASCII comma
        return words

    return {
        "name": [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", rng.choice(GIVEN)]) for _ in range(n)],
        "id": [make_resident_id(f"4407{rng.randint(1, 99):02d}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}"
                                f"{rng.randint(1, 28):02d}{digits(3)}") for _ in range(n)],
        "mobile": [mobile() for _ in range(n)],
        "card": [card() for _ in range(n)],
        "email": [f"{rng.choice(['zhang', 'li.si', 'wang+shop', 'user'])}{rng.randint(1, 99999)}@"
                  f"{rng.choice(['163.com', 'qq.com', 'example.com.cn'])}" for _ in range(n)],
        "uscc": [make_uscc("91440" + "".join(rng.choice("0123456789") for _ in range(3))
                           + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))) for _ in range(n)],
        "amount": [f"{rng.randint(1, 999999)}.{rng.randint(0, 99):02d}" for _ in range(n)],
        "time": [f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                 f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}" for _ in range(n)],
        "text": [text() for _ in range(n)],
    }


# For the typical file: which identifier a row that carries one gets, weighted as in the dense file.
# Columns 3-7 are the ID, mobile, card, e-mail and credit-code columns; "text" puts it in the free text.
_KINDS = [(3, 0.25), (4, 0.25), (5, 0.05), (6, 0.05), (7, 0.03), ("text", 0.15)]


def _plain_texts(rng: random.Random, n: int = 20_000) -> list[str]:
    def words() -> str:
        return "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))

    return [f'"{words()}, {words()}"' if rng.random() < 0.02 else words() for _ in range(n)]


def generate(path: Path, size_mb: int, density: float | None = None) -> int:
    """Write the dense file (`density` None) or the typical one; returns the number of data rows."""
    rng = random.Random(SEED)
    pools = _pools(rng)
    target = size_mb * 1024 * 1024
    if density is not None:
        return _generate_typical(path, target, density, pools, random.Random(SEED + 1))
    pick = rng.choice
    written = 0
    row = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        while written < target:
            lines = []
            for _ in range(10_000):
                row += 1
                r = rng.random
                lines.append(",".join((
                    str(row), pick(pools["name"]), pick("男女"),
                    pick(pools["id"]) if r() < 0.25 else "",
                    pick(pools["mobile"]) if r() < 0.25 else "",
                    pick(pools["card"]) if r() < 0.05 else "",
                    pick(pools["email"]) if r() < 0.05 else "",
                    pick(pools["uscc"]) if r() < 0.03 else "",
                    pick(CITIES), pick(pools["amount"]), pick(pools["time"]), pick(STATES),
                    pick(pools["text"]),
                )))
            chunk = "\n".join(lines) + "\n"
            out.write(chunk)
            written += len(chunk.encode())
    return row


def _generate_typical(path: Path, target: int, density: float, pools: dict[str, list[str]],
                      rng: random.Random) -> int:
    pick = rng.choice
    pi_texts = [t for t in pools["text"] if any(c.isdigit() for c in t)]
    plain = _plain_texts(rng)
    sources = {3: pools["id"], 4: pools["mobile"], 5: pools["card"], 6: pools["email"], 7: pools["uscc"],
               "text": pi_texts}
    kinds = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    written = 0
    row = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        while written < target:
            lines = []
            for _ in range(10_000):
                row += 1
                cells = [str(row), pick(pools["name"]), pick("男女"), "", "", "", "", "", pick(CITIES),
                         pick(pools["amount"]), pick(pools["time"]), pick(STATES), pick(plain)]
                if rng.random() < density:
                    kind = rng.choices(kinds, weights)[0]
                    cells[12 if kind == "text" else kind] = pick(sources[kind])
                lines.append(",".join(cells))
            chunk = "\n".join(lines) + "\n"
            out.write(chunk)
            written += len(chunk.encode())
    return row


def run_scanner(path: Path) -> dict:
    # The child reports its own max RSS: RUSAGE_CHILDREN would give the largest of every child so far.
    code = (
        "import json, resource, sys, time\n"
        "from compliance.pi_scan import scan_file\n"
        "t = time.perf_counter(); r = scan_file(sys.argv[1]); t = time.perf_counter() - t\n"
        "peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'seconds': t, 'rows': r.rows_scanned, 'counts': r.counts, 'truncated': r.truncated,\n"
        "                  'peak_kb': peak_kb}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout)
    result["peak_rss_mb"] = round(result.pop("peak_kb") / 1024, 1)
    result["rss_is_own"] = True
    return result


def run_grep(path: Path) -> dict:
    grep = shutil.which("grep")
    if grep is None:
        return {"error": "grep not found"}
    started = time.perf_counter()
    done = subprocess.run([grep, "-cP", GREP_PATTERN, str(path)], capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C"})
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        return {"error": done.stderr.strip()}
    return {"seconds": seconds, "matching_lines": int(done.stdout.strip() or 0)}


def measure(path: Path, rows: int) -> dict:
    """Scan `path` and grep it, one after the other; the figures of one file."""
    size = path.stat().st_size
    scanner = run_scanner(path)
    grep = run_grep(path)
    mb = size / 1e6
    findings = sum(scanner["counts"].values())
    result = {
        "file_mb": round(mb, 1),
        "rows": rows,
        "findings": findings,
        "findings_per_row": round(findings / rows, 3) if rows else 0.0,
        "scanner": {**scanner, "mb_per_s": round(mb / scanner["seconds"], 1)},
        "grep": {**grep, "mb_per_s": round(mb / grep["seconds"], 1)} if "seconds" in grep else grep,
    }
    if "seconds" in grep:
        result["scanner_to_grep"] = round(grep["seconds"] / scanner["seconds"], 3)
    return result


def _print(label: str, result: dict) -> None:
    scanner, grep = result["scanner"], result["grep"]
    print(f"{label}: {result['file_mb']:,.0f} MB, {result['rows']:,} rows, "
          f"{result['findings_per_row']} findings per row")
    print(f"  {'':10}{'MB/s':>10}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"  {'scanner':10}{scanner['mb_per_s']:>10}{scanner['seconds']:>10.1f}{scanner['peak_rss_mb']:>14}")
    if "seconds" in grep:
        print(f"  {'grep -cP':10}{grep['mb_per_s']:>10}{grep['seconds']:>10.1f}{'':>14}")
        print(f"  scanner / grep throughput: {result['scanner_to_grep']}")
    print(f"  findings: {scanner['counts']}; grep matching lines: {grep.get('matching_lines')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--pi-density", type=float, default=0.05,
                        help="share of rows carrying an identifier in the typical file (default 0.05)")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSVs (paths are printed)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    results = {}
    try:
        for label, density in (("dense", None), ("typical", args.pi_density)):
            path = workdir / f"bench-{label}.csv"
            started = time.perf_counter()
            rows = generate(path, args.size_mb, density)
            print(f"generated {path.stat().st_size / 1e6:,.0f} MB, {rows:,} rows in "
                  f"{time.perf_counter() - started:.0f} s: {path}")
            results[label] = measure(path, rows)
            results[label]["pi_density"] = "dense" if density is None else density
            _print(label, results[label])
            if not args.keep:
                path.unlink()
        # The dense figures stay at the top level, as before; the typical ones are added beside them.
        result = {
            **results["dense"],
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "grep_pattern": GREP_PATTERN,
            "typical": results["typical"],
        }
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "scan.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
