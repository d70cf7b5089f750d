"""Compare chips for serving one model: the best layout on each chip, its throughput per GPU,
time per output token and cost per million output tokens (suanli's `infer` on every chip).

    python examples/python/compare_chips.py llama3-70b --input-tokens 2000 --output-tokens 500
    python examples/python/compare_chips.py ./my-snapshot --gpu h100,mi300x,l40s --max-tpot 0.05

Plots the three figures with matplotlib when it is installed (to compare_chips.png, or --out);
prints the table in any case.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Dict, List, Optional, Tuple

import suanli


def chips_with_a_price() -> List[str]:
    """Every catalogued accelerator with a cloud price (the cost column needs one)."""
    entries = suanli.catalog("accelerators")["entries"]
    return [e["id"] for e in entries if e.get("cloud_usd_per_hour")]


def mean(latency: Any) -> float:
    """A latency in seconds: JSON schema 2 gives {mean, p50, p90, p99}, schema 1 a number."""
    return latency["mean"] if isinstance(latency, dict) else latency


def layout_of(r: Dict[str, Any]) -> Tuple[str, int, int, str]:
    """(chip, tp, pp, weight precision) of an infer answer, in JSON schema 2 (gpu, layout and
    precision objects) or 1 (one config object)."""
    if isinstance(r.get("layout"), dict):
        return r["gpu"]["id"], r["layout"]["tp"], r["layout"]["pp"], r["precision"]["weights"]
    c = r["config"]
    return c["gpu"], c["tp"], c["pp"], c["weights"]


def compare(model: str, gpus: List[str], **request: Any) -> List[Dict[str, Any]]:
    rows = []
    for gpu in gpus:
        row: Dict[str, Any] = {"gpu": gpu}
        try:
            r = suanli.infer(model, gpu=gpu, **request)
        except (suanli.Infeasible, suanli.InputError) as e:
            row["note"] = e.message
        else:
            gpu_id, tp, pp, weights = layout_of(r)
            row.update(
                gpu=gpu_id,
                layout=f"tp{tp} pp{pp} {weights}",
                tok_s_gpu=r["output_tokens_per_s_per_gpu"],
                tpot_ms=mean(r["tpot_s"]) * 1e3,
                ttft_ms=mean(r["ttft_s"]) * 1e3,
                usd_per_m=r.get("cost_usd_per_million_output_tokens"),
            )
        rows.append(row)
    return sorted(rows, key=lambda x: -(x.get("tok_s_gpu") or 0.0))


def fmt(v: Optional[float], digits: int = 1) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}f}"


def table(rows: List[Dict[str, Any]]) -> str:
    head = f"{'chip':<16} {'layout':<16} {'tok/s per GPU':>14} {'TPOT ms':>9} {'TTFT ms':>9} {'USD / 1M tok':>13}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "note" in r:
            lines.append(f"{r['gpu']:<16} {r['note']}")
            continue
        lines.append(
            f"{r['gpu']:<16} {r['layout']:<16} {fmt(r['tok_s_gpu'], 0):>14} {fmt(r['tpot_ms']):>9} "
            f"{fmt(r['ttft_ms']):>9} {fmt(r['usd_per_m'], 3):>13}"
        )
    return "\n".join(lines)


def plot(rows: List[Dict[str, Any]], title: str, out: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ok = [r for r in rows if "note" not in r]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for ax, key, label in zip(
        axes,
        ("tok_s_gpu", "tpot_ms", "usd_per_m"),
        ("output tokens/s per GPU", "time per output token, ms", "USD per 1M output tokens"),
    ):
        shown = [r for r in ok if r.get(key) is not None]
        ax.barh([r["gpu"] for r in shown], [r[key] for r in shown], color="#4c72b0")
        ax.set_xlabel(label)
        ax.invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return True


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", nargs="?", default="llama3-8b", help="catalog id, config.json or snapshot folder")
    p.add_argument("--gpu", help="chips, comma-separated (default: every chip with a cloud price)")
    p.add_argument("--input-tokens", type=int, default=1000)
    p.add_argument("--output-tokens", type=int, default=200)
    p.add_argument("--precision", default=None, help="bf16 (default), fp8, int8, int4 or auto")
    p.add_argument("--max-tpot", type=float, default=None, help="TPOT limit for the search, seconds")
    p.add_argument("--out", default="compare_chips.png", help="where to save the plot")
    p.add_argument("--no-plot", action="store_true", help="print the table only")
    a = p.parse_args()

    gpus = a.gpu.split(",") if a.gpu else chips_with_a_price()
    rows = compare(
        a.model,
        gpus,
        input_tokens=a.input_tokens,
        output_tokens=a.output_tokens,
        precision=a.precision,
        max_tpot=a.max_tpot,
        fallback=True,
    )
    title = f"{a.model}: {a.input_tokens} prompt + {a.output_tokens} output tokens, best layout per chip"
    print(title)
    print(table(rows))
    if not a.no_plot:
        if plot(rows, title, a.out):
            print(f"\nplot: {a.out}")
        else:
            print("\n(matplotlib is not installed: `pip install matplotlib` for the plot)")


if __name__ == "__main__":
    main()
