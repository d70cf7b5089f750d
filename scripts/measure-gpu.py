#!/usr/bin/env python3
"""Measure this machine's GPU and write a suanli calibration file (JSON, format version 1).

    python3 scripts/measure-gpu.py                       # measure GPU 0, write <chip>.calibration.json
    python3 scripts/measure-gpu.py --chip h100-sxm -o h100.json
    python3 scripts/measure-gpu.py --dry-run --chip h100-sxm -o header.json   # no torch needed
    suanli calibration show h100.json
    suanli infer -m llama3.1-70b --gpu h100-sxm --tp 4 --input-tokens 1k --output-tokens 200 \\
        --calibration h100.json

PyTorch only, no downloads. It measures, on the first GPU it finds (and on all of them for
collectives):

- dense GEMM throughput, bf16 and fp8 (torch._scaled_mm where the GPU and torch support it),
  over M = 1 ... 16,384 rows for the (N, K) shapes of Llama 3.1 8B and 70B at tensor-parallel
  degree 1, 2, 4 and 8 (fused QKV, attention output, fused gate-up, down) and a MoE expert
  (DeepSeek-V3's: hidden 7,168, expert FFN 2,048);
- achievable HBM bandwidth: a device copy (bytes read + written) and a reduction (bytes read);
- attention (scaled_dot_product_attention, bf16): causal prefill over prompt lengths and
  one-token decode against a KV cache over context lengths;
- with more than one GPU, all-reduce and all-gather bus bandwidth by message size
  (torch.distributed, NCCL), the nccl-tests convention;
- an end-to-end decode step of a randomly initialised Llama-3.1-8B-shaped model with a KV
  cache at batch 1 ... 256, replayed as a CUDA graph, with the eager time beside it.

Every timing uses CUDA events after warm-up and takes the median of repeats; small GEMMs
rotate over copies of their weights so the L2 cache does not serve them. It takes under
5 minutes on one GPU and lists in `skipped` whatever it did not measure, and why.

The file format (README, "Measure your own GPU") is what `suanli` reads with
`--calibration FILE`; `--dry-run` writes a file with the header and no measurements (for CI on
machines without a GPU or torch).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import re
import statistics
import sys
import time

FORMAT = "suanli-calibration"
VERSION = 1

# (hidden, heads, kv_heads, head_dim, ffn) of the dense models whose GEMM shapes are measured.
MODELS = {
    "llama3.1-8b": (4096, 32, 8, 128, 14336),
    "llama3.1-70b": (8192, 64, 8, 128, 28672),
}
TPS = (1, 2, 4, 8)
# A routed expert of DeepSeek-V3 (hidden 7,168, expert FFN 2,048), gated: gate-up and down.
MOE_EXPERT = ("moe-expert (deepseek-v3)", 7168, 2048)
M_VALUES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
M_QUICK = (1, 16, 256, 4096, 16384)
PREFILL_CONTEXTS = (512, 1024, 2048, 4096, 8192, 16384, 32768)
DECODE_CONTEXTS = (512, 1024, 2048, 4096, 8192, 16384, 32768)
DECODE_BATCHES = (1, 8, 32, 64, 128, 256)
COLLECTIVE_BYTES = tuple(2**p for p in range(10, 31, 2))  # 1 KiB ... 1 GiB

# Device names (as the driver reports them) → suanli catalog ids. First match wins.
CHIPS = (
    ("GH200", "h200"),
    ("H200", "h200"),
    ("H800", "h800-sxm"),
    ("H100 80GB HBM3", "h100-sxm"),
    ("H100 SXM", "h100-sxm"),
    ("H20", "h20"),
    ("B200", "b200"),
    ("A100-SXM4-80GB", "a100-sxm-80gb"),
    ("A100 80GB", "a100-sxm-80gb"),
    ("A100-SXM4-40GB", "a100-sxm-40gb"),
    ("A800", "a800-sxm-80gb"),
    ("L40S", "l40s"),
    ("L4", "l4"),
    ("V100-SXM2-32GB", "v100-sxm-32gb"),
    ("MI300X", "mi300x"),
    ("MI250X", "mi250x"),
)


def chip_id(device_name: str) -> str | None:
    """The suanli catalog id for a device name, or None when it is not catalogued."""
    upper = device_name.upper()
    for needle, chip in CHIPS:
        if re.search(rf"(?<![A-Z0-9]){re.escape(needle.upper())}(?![A-Z0-9])", upper):
            return chip
    return None


def gemm_shapes() -> list[tuple[str, int, int]]:
    """(label, N, K) of every measured GEMM: y[M×N] = x[M×K] · W[K×N]."""
    shapes = []
    for name, (h, heads, kv, hd, ffn) in MODELS.items():
        for tp in TPS:
            q, k = heads * hd, kv * hd
            shapes += [
                (f"{name} tp{tp} qkv", (q + 2 * k) // tp, h),
                (f"{name} tp{tp} o", h, q // tp),
                (f"{name} tp{tp} gate_up", 2 * ffn // tp, h),
                (f"{name} tp{tp} down", h, ffn // tp),
            ]
    label, h, f = MOE_EXPERT
    shapes += [(f"{label} gate_up", 2 * f, h), (f"{label} down", h, f)]
    return shapes


def header(device: dict, skipped: list[str]) -> dict:
    """The file with no measurements."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "device": device,
        "skipped": skipped,
        "gemm": [],
        "hbm": None,
        "attention": None,
        "collectives": [],
        "decode_step": None,
    }


def write(doc: dict, path: str) -> None:
    """Writes the file whole (a temporary beside it, renamed into place); drops null sections."""
    doc = {k: v for k, v in doc.items() if v is not None}
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- timing (needs torch)


def time_op(torch, fn, repeats: int, warmup: int = 3, target_s: float = 2e-3) -> float:
    """Median seconds of one call of `fn`, by CUDA events, after warm-up; each timed sample
    runs the call enough times to last about `target_s`."""
    for _ in range(warmup):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    once = max(start.elapsed_time(end) / 1e3, 1e-7)
    inner = max(1, min(200, int(target_s / once)))
    samples = []
    for _ in range(repeats):
        start.record()
        for _ in range(inner):
            fn()
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end) / 1e3 / inner)
    return statistics.median(samples)


def weight_copies(nbytes: int, l2_bytes: int) -> int:
    """Copies of a weight to rotate over so that repeated GEMMs read it from HBM, not L2."""
    return max(1, min(8, math.ceil(4 * l2_bytes / max(nbytes, 1))))


def measure_gemm(torch, dtype: str, ms, repeats: int, skipped: list[str], log) -> list[dict]:
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2 = getattr(props, "L2_cache_size", 50 * 2**20) or 50 * 2**20
    fp8 = dtype == "fp8"
    if fp8:
        why = fp8_unsupported(torch)
        if why:
            skipped.append(f"fp8 GEMMs: {why}")
            return []
    shapes = gemm_shapes()
    kmax = max(k for _, _, k in shapes)
    mmax = max(ms)
    x = (torch.randn(mmax, kmax, device=dev) * 0.1).to(torch.bfloat16)
    if fp8:
        x = x.to(torch.float8_e4m3fn)
        one = torch.ones((), device=dev, dtype=torch.float32)
    out = []
    for label, n, k in shapes:
        esize = 1 if fp8 else 2
        copies = weight_copies(n * k * esize, l2)
        ws = []
        for _ in range(copies):
            w = (torch.randn(n, k, device=dev) * 0.02).to(torch.bfloat16)
            ws.append(w.to(torch.float8_e4m3fn) if fp8 else w)
        tflops = []
        for m in ms:
            # _scaled_mm needs dimensions divisible by 16: a smaller M runs padded to 16, as
            # serving engines do, and counts the true M's FLOPs.
            rows = max(m, 16) if fp8 else m
            a = x[:rows, :k].contiguous()
            state = {"i": 0}

            def run(a=a, ws=ws, state=state):
                w = ws[state["i"] % len(ws)]
                state["i"] += 1
                if fp8:
                    r = torch._scaled_mm(a, w.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
                    return r[0] if isinstance(r, tuple) else r
                return a @ w.t()

            t = time_op(torch, run, repeats)
            tflops.append(round(2.0 * m * n * k / t / 1e12, 3))
        out.append({"dtype": dtype, "shape": label, "n": n, "k": k, "m": list(ms), "tflops": tflops})
        log(f"  {dtype} {label:32s} N={n:6d} K={k:6d}  M={ms[-1]}: {tflops[-1]:8.1f} TFLOP/s")
        del ws
    if fp8:
        skipped.append("fp8 GEMMs below 16 rows run padded to 16 rows (torch._scaled_mm's minimum), FLOPs counted at the true M")
    return out


def fp8_unsupported(torch) -> str | None:
    if not hasattr(torch, "_scaled_mm") or not hasattr(torch, "float8_e4m3fn"):
        return f"torch {torch.__version__} has no torch._scaled_mm / float8_e4m3fn"
    major, minor = torch.cuda.get_device_capability()
    if getattr(torch.version, "hip", None) is None and (major, minor) < (8, 9):
        return f"compute capability {major}.{minor} has no fp8 tensor cores (8.9 or later)"
    try:
        a = torch.zeros(16, 32, device="cuda").to(torch.float8_e4m3fn)
        b = torch.zeros(16, 32, device="cuda").to(torch.float8_e4m3fn)
        one = torch.ones((), device="cuda", dtype=torch.float32)
        torch._scaled_mm(a, b.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
        torch.cuda.synchronize()
    except Exception as e:  # noqa: BLE001 - any failure means "not supported here"
        return f"torch._scaled_mm failed: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
    return None


def measure_hbm(torch, repeats: int, log) -> dict:
    free, _ = torch.cuda.mem_get_info()
    nbytes = int(min(2 * 2**30, free // 5)) // 4 * 4
    src = torch.empty(nbytes // 4, device="cuda", dtype=torch.float32).uniform_()
    dst = torch.empty_like(src)
    t_copy = time_op(torch, lambda: dst.copy_(src), repeats, target_s=5e-3)
    t_read = time_op(torch, lambda: torch.sum(src), repeats, target_s=5e-3)
    hbm = {"copy_gbps": round(2 * nbytes / t_copy / 1e9, 1), "read_gbps": round(nbytes / t_read / 1e9, 1)}
    log(f"  HBM copy {hbm['copy_gbps']} GB/s, read {hbm['read_gbps']} GB/s ({nbytes / 2**30:.2f} GiB buffers)")
    del src, dst
    return hbm


def sdpa(torch, q, k, v, causal: bool, gqa: bool):
    f = torch.nn.functional.scaled_dot_product_attention
    return f(q, k, v, is_causal=causal, enable_gqa=True) if gqa else f(q, k, v, is_causal=causal)


def gqa_supported(torch) -> bool:
    try:
        q = torch.zeros(1, 4, 1, 64, device="cuda", dtype=torch.bfloat16)
        k = torch.zeros(1, 2, 8, 64, device="cuda", dtype=torch.bfloat16)
        sdpa(torch, q, k, k, False, True)
        return True
    except (TypeError, RuntimeError):
        return False


def measure_attention(torch, repeats: int, contexts_pre, contexts_dec, skipped: list[str], log) -> dict:
    heads, kv_heads, d = 32, 8, 128
    gqa = gqa_supported(torch)
    if not gqa:
        kv_heads = heads
        skipped.append(f"attention with grouped KV heads (torch {torch.__version__} has no enable_gqa): measured with 32 KV heads")
    bf = torch.bfloat16
    pre = []
    for s in contexts_pre:
        q = torch.randn(1, heads, s, d, device="cuda", dtype=bf)
        k = torch.randn(1, kv_heads, s, d, device="cuda", dtype=bf)
        v = torch.randn_like(k)
        t = time_op(torch, lambda q=q, k=k, v=v: sdpa(torch, q, k, v, True, gqa), repeats)
        pre.append(round(2.0 * heads * d * s * s / t / 1e12, 2))
        log(f"  prefill S={s:6d}: {pre[-1]:7.1f} TFLOP/s")
    batch = 32
    dec = []
    for c in contexts_dec:
        q = torch.randn(batch, heads, 1, d, device="cuda", dtype=bf)
        k = torch.randn(batch, kv_heads, c, d, device="cuda", dtype=bf)
        v = torch.randn_like(k)
        t = time_op(torch, lambda q=q, k=k, v=v: sdpa(torch, q, k, v, False, gqa), repeats)
        dec.append(round(batch * c * 2 * kv_heads * d * 2 / t / 1e9, 1))
        log(f"  decode batch {batch} context {c:6d}: {dec[-1]:7.1f} GB/s of KV")
    del q, k, v
    common = {"heads": heads, "kv_heads": kv_heads, "head_dim": d}
    return {
        "prefill": {"batch": 1, **common, "context": list(contexts_pre), "tflops": pre},
        "decode": {"batch": batch, **common, "context": list(contexts_dec), "gbps": dec},
    }


def _collective_worker(rank: int, world: int, port: int, sizes, repeats: int, queue) -> None:
    import torch
    import torch.distributed as dist

    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    results = []
    for op in ("all_reduce", "all_gather"):
        bw = []
        for size in sizes:
            n = max(size // 2, world)  # bf16 elements
            n -= n % world
            x = torch.ones(n, device="cuda", dtype=torch.bfloat16)
            if op == "all_reduce":
                fn = lambda x=x: dist.all_reduce(x)  # noqa: E731
                factor = 2 * (world - 1) / world
            else:
                part = x[: n // world].contiguous()
                fn = lambda x=x, part=part: dist.all_gather_into_tensor(x, part)  # noqa: E731
                factor = (world - 1) / world
            dist.barrier()
            t = time_op(torch, fn, repeats, warmup=5)
            bw.append(round(n * 2 * factor / t / 1e9, 2))
        results.append({"op": op, "gpus": world, "bytes": list(sizes), "busbw_gbps": bw})
    if rank == 0:
        queue.put(results)
    dist.barrier()
    dist.destroy_process_group()


def measure_collectives(torch, repeats: int, sizes, skipped: list[str], log) -> list[dict]:
    world = torch.cuda.device_count()
    if world < 2:
        skipped.append("collectives: one GPU visible (all-reduce / all-gather need two or more)")
        return []
    try:
        import torch.distributed as dist
        import torch.multiprocessing as mp

        if not dist.is_available() or not dist.is_nccl_available():
            skipped.append("collectives: this torch build has no NCCL backend")
            return []
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        mp.start_processes(
            _collective_worker, args=(world, port, sizes, repeats, queue), nprocs=world, join=True, start_method="spawn"
        )
        results = queue.get(timeout=60)
    except Exception as e:  # noqa: BLE001 - report and go on with the rest
        skipped.append(f"collectives: {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}")
        return []
    for r in results:
        log(f"  {r['op']} on {world} GPUs: {r['busbw_gbps'][-1]} GB/s bus bandwidth at {sizes[-1]} bytes")
    return results


def measure_decode_step(torch, repeats: int, batches, skipped: list[str], log) -> dict | None:
    """A Llama-3.1-8B-shaped decoder (random weights, bf16) with a KV cache: one decode step
    at each batch, eager and replayed as a CUDA graph."""
    h, heads, kv_heads, d, ffn = MODELS["llama3.1-8b"]
    vocab, context = 128256, 1024
    bf = torch.bfloat16
    gqa = gqa_supported(torch)
    kvh = kv_heads if gqa else heads
    layer_bytes = 2 * (h * (heads + 2 * kv_heads) * d + heads * d * h + 3 * h * ffn)
    kv_bytes = max(batches) * (context + 1) * 2 * kvh * d * 2
    free, _ = torch.cuda.mem_get_info()
    budget = 0.6 * free - 4 * vocab * h - 2 * 2**30  # embedding and output head, bf16; 2 GiB spare
    layers = int(min(32, budget // (layer_bytes + kv_bytes)))
    if layers < 1:
        skipped.append(f"decode step: {free / 2**30:.0f} GiB free holds no layer with a batch-{max(batches)} KV cache")
        return None
    if layers < 32:
        skipped.append(f"decode step: {layers} of llama3.1-8b's 32 layers fit; times are for {layers} layers")
    g = torch.Generator(device="cuda").manual_seed(0)

    def rand(*shape):
        return (torch.randn(*shape, device="cuda", dtype=bf, generator=g) * 0.02)

    W = [
        {
            "qkv": rand((heads + 2 * kv_heads) * d, h),
            "o": rand(h, heads * d),
            "gate_up": rand(2 * ffn, h),
            "down": rand(h, ffn),
            "n1": torch.ones(h, device="cuda", dtype=bf),
            "n2": torch.ones(h, device="cuda", dtype=bf),
            "k": rand(max(batches), kvh, context + 1, d),
            "v": rand(max(batches), kvh, context + 1, d),
        }
        for _ in range(layers)
    ]
    embed, head, norm = rand(vocab, h), rand(vocab, h), torch.ones(h, device="cuda", dtype=bf)
    pos = torch.tensor([context], device="cuda")
    inv = 1.0 / (500000.0 ** (torch.arange(0, d, 2, device="cuda", dtype=torch.float32) / d))
    ang = pos.float()[:, None] * inv[None, :]
    cos, sin = torch.cos(ang).to(bf), torch.sin(ang).to(bf)

    def rms(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(bf) * w

    def rope(x):
        x1, x2 = x[..., : d // 2], x[..., d // 2 :]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

    def step(tokens):
        b = tokens.shape[0]
        x = embed[tokens]
        for w in W:
            y = rms(x, w["n1"]) @ w["qkv"].t()
            q, k, v = y.split([heads * d, kv_heads * d, kv_heads * d], dim=-1)
            q = rope(q.view(b, heads, 1, d))
            k = rope(k.view(b, kv_heads, 1, d))
            v = v.view(b, kv_heads, 1, d)
            if not gqa:
                k, v = k.repeat_interleave(heads // kv_heads, 1), v.repeat_interleave(heads // kv_heads, 1)
            kc, vc = w["k"][:b], w["v"][:b]
            kc.index_copy_(2, pos, k)
            vc.index_copy_(2, pos, v)
            a = sdpa(torch, q, kc, vc, False, gqa)
            x = x + a.reshape(b, heads * d) @ w["o"].t()
            gu = rms(x, w["n2"]) @ w["gate_up"].t()
            gate, up = gu.chunk(2, dim=-1)
            x = x + (torch.nn.functional.silu(gate) * up) @ w["down"].t()
        return torch.argmax(rms(x, norm) @ head.t(), dim=-1)

    graph_ms, eager_ms = [], []
    with torch.no_grad():
        for b in batches:
            tokens = torch.randint(0, vocab, (b,), device="cuda", generator=g)
            eager_ms.append(round(time_op(torch, lambda: step(tokens), repeats, warmup=2, target_s=0) * 1e3, 3))
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(2):
                    step(tokens)
            torch.cuda.current_stream().wait_stream(s)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                step(tokens)
            graph_ms.append(round(time_op(torch, graph.replay, repeats, warmup=2, target_s=0) * 1e3, 3))
            log(f"  decode step batch {b:4d}: graph {graph_ms[-1]:8.3f} ms, eager {eager_ms[-1]:8.3f} ms")
            del graph
    del W
    return {
        "model": "llama3.1-8b",
        "layers": layers,
        "context": context,
        "batch": list(batches),
        "graph_ms": graph_ms,
        "eager_ms": eager_ms,
    }


# ---------------------------------------------------------------- main


SECTIONS = ("gemm", "hbm", "attention", "collectives", "decode")


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="measure-gpu.py",
        description="Measure this GPU (GEMMs by shape, HBM, attention, collectives, a decode step) "
        "and write a suanli calibration file (JSON, format version 1).",
        epilog="Then: suanli calibration show FILE; suanli infer ... --calibration FILE",
    )
    p.add_argument("-o", "--output", help="file to write (default: <chip>.calibration.json)")
    p.add_argument("--chip", help="suanli catalog id of the GPU (default: from the device name)")
    p.add_argument("--device", type=int, default=0, help="CUDA device index to measure (default 0)")
    p.add_argument("--repeats", type=int, default=7, help="timed samples per measurement; the median is kept (default 7)")
    p.add_argument("--quick", action="store_true", help="fewer points per curve (about a minute)")
    p.add_argument("--skip", action="append", default=[], choices=SECTIONS, help="leave a section out (repeatable)")
    p.add_argument(
        "--dry-run", action="store_true", help="measure nothing: write the file's header (works without torch or a GPU)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    log = (lambda *_: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.dry_run:
        chip = args.chip or "unknown"
        doc = header(
            {"name": "none (dry run)", "chip": chip, "count": 1, "measured_at": now()},
            ["dry run: nothing measured"],
        )
        out = args.output or f"{chip}.calibration.json"
        write(doc, out)
        log(f"wrote {out} (dry run: header only)")
        return 0
    try:
        import torch
    except ImportError:
        print(
            "measure-gpu.py: PyTorch is not installed (pip install torch); nothing measured. "
            "--dry-run writes the file's header without it.",
            file=sys.stderr,
        )
        return 3
    if not torch.cuda.is_available():
        print("measure-gpu.py: torch sees no CUDA/ROCm GPU; nothing measured (--dry-run writes the header).", file=sys.stderr)
        return 3
    torch.cuda.set_device(args.device)
    name = torch.cuda.get_device_name(args.device)
    chip = args.chip or chip_id(name)
    if chip is None:
        print(f"measure-gpu.py: `{name}` is not in suanli's catalog: pass --chip ID (suanli catalog accelerators)", file=sys.stderr)
        return 2
    driver = None
    try:
        import subprocess

        driver = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader", f"--id={args.device}"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip() or None
    except Exception:  # noqa: BLE001 - the driver version is informative only
        driver = None
    device = {
        "name": name,
        "chip": chip,
        "count": torch.cuda.device_count(),
        "driver": driver,
        "torch": torch.__version__,
        "cuda": torch.version.cuda or (f"ROCm {torch.version.hip}" if getattr(torch.version, "hip", None) else None),
        "measured_at": now(),
    }
    device = {k: v for k, v in device.items() if v is not None}
    skipped: list[str] = []
    doc = header(device, skipped)
    ms = M_QUICK if args.quick else M_VALUES
    pre = PREFILL_CONTEXTS[::2] if args.quick else PREFILL_CONTEXTS
    dec = DECODE_CONTEXTS[::2] if args.quick else DECODE_CONTEXTS
    t0 = time.time()
    log(f"measuring {name} ({chip}), torch {torch.__version__}, CUDA {torch.version.cuda}")
    for section in SECTIONS:
        if section in args.skip:
            skipped.append(f"{section}: --skip")
            continue
        log(f"{section} ... ({time.time() - t0:.0f} s)")
        try:
            if section == "gemm":
                doc["gemm"] = measure_gemm(torch, "bf16", ms, args.repeats, skipped, log)
                doc["gemm"] += measure_gemm(torch, "fp8", ms, args.repeats, skipped, log)
            elif section == "hbm":
                doc["hbm"] = measure_hbm(torch, args.repeats, log)
            elif section == "attention":
                doc["attention"] = measure_attention(torch, args.repeats, pre, dec, skipped, log)
            elif section == "collectives":
                doc["collectives"] = measure_collectives(torch, args.repeats, COLLECTIVE_BYTES, skipped, log)
            else:
                doc["decode_step"] = measure_decode_step(torch, args.repeats, DECODE_BATCHES, skipped, log)
        except Exception as e:  # noqa: BLE001 - one section's failure must not lose the others
            kind = "out of memory" if isinstance(e, torch.cuda.OutOfMemoryError) else type(e).__name__
            first = str(e).splitlines()[0][:160] if str(e) else ""
            skipped.append(f"{section}: {kind} ({first})")
            log(f"  {section} failed: {kind}: {first}")
        torch.cuda.empty_cache()
    out = args.output or f"{chip}.calibration.json"
    write(doc, out)
    log(f"wrote {out} in {time.time() - t0:.0f} s")
    for s in skipped:
        log(f"skipped: {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
