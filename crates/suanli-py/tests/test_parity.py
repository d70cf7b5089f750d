"""Each function answers as `suanli <command> -f json` does for the same request."""

from __future__ import annotations

import json
import sys

import pytest

import suanli
from conftest import EXAMPLES, without_timing

LLAMA = ["-m", "llama3-8b"]
LENGTHS = ["--input-tokens", "1000", "--output-tokens", "200"]

CASES = [
    ("flops", dict(model="llama3-8b", tokens=1e12, seq_len=2048), ["flops", *LLAMA, "--tokens", "1e12", "--seq-len", "2048"]),
    ("infer", dict(model="llama3-8b", gpu="h100", input_tokens=1000, output_tokens=200), ["infer", *LLAMA, "--gpu", "h100", *LENGTHS]),
    (
        "infer",
        # the old names of the lengths still work
        dict(model="llama3-70b", gpu="h100", tp=4, precision="fp8", concurrency=64, input=2000, output=300),
        ["infer", "-m", "llama3-70b", "--gpu", "h100", "--tp", "4", "--precision", "fp8", "--concurrency", "64", "--input", "2000", "--output", "300"],
    ),
    (
        "infer",
        dict(model="llama3-70b", gpu="a100", precision="auto", max_tpot=0.05, per_dollar=True, input_tokens=500, output_tokens=500),
        ["infer", "-m", "llama3-70b", "--gpu", "a100", "--precision", "auto", "--max-tpot", "0.05", "--per-dollar", "--input-tokens", "500", "--output-tokens", "500"],
    ),
    ("train", dict(model="llama3-8b", gpu="h100", gpus=64, tokens=1e12), ["train", *LLAMA, "--gpu", "h100", "--gpus", "64", "--tokens", "1e12"]),
    (
        "train",
        dict(model="llama3-70b", gpu="h100", gpus=256, tp=8, pp=4, dp=8, micro_batch=1, zero=1, recompute="selective", tokens=2e12),
        ["train", "-m", "llama3-70b", "--gpu", "h100", "--gpus", "256", "--tp", "8", "--pp", "4", "--dp", "8", "--micro-batch", "1", "--zero", "1", "--recompute", "selective", "--tokens", "2e12"],
    ),
    ("finetune", dict(model="llama3-8b", gpu="h100", method="lora", rank=32), ["finetune", *LLAMA, "--gpu", "h100", "--method", "lora", "--rank", "32"]),
    ("finetune", dict(model="llama3-8b", gpu="h100", gpus=8, method="grpo"), ["finetune", *LLAMA, "--gpu", "h100", "--gpus", "8", "--method", "grpo"]),
    (
        "serve",
        dict(model="llama3-8b", gpu=["h100", "a100-sxm-80gb"], rate=5, ttft_p99=2, tpot_p99=0.1, input_tokens=1000, output_tokens=200, simulate=True, requests=2000),
        ["serve", *LLAMA, "--gpu", "h100", "--gpu", "a100-sxm-80gb", "--rate", "5", "--ttft-p99", "2", "--tpot-p99", "0.1", *LENGTHS, "--simulate", "--requests", "2000"],
    ),
    (
        "simulate",
        dict(model="llama3-8b", gpu="h100", replicas=2, rate=5, requests=500, input_tokens=1000, output_tokens=200),
        ["simulate", *LLAMA, "--gpu", "h100", "--replicas", "2", "--rate", "5", "--requests", "500", *LENGTHS],
    ),
    ("validate", dict(), ["validate"]),
    ("validate", dict(set="gpt3-compute"), ["validate", "gpt3-compute"]),
    ("catalog", dict(kind="accelerators"), ["catalog", "accelerators"]),
    ("catalog", dict(kind="models"), ["catalog", "models"]),
    ("catalog", dict(id="h100"), ["catalog", "show", "h100"]),
    ("plan", dict(), ["plan"]),
    ("plan", dict(document=EXAMPLES / "tutoring-startup.toml"), ["plan", str(EXAMPLES / "tutoring-startup.toml")]),
]


@pytest.mark.parametrize("command,kwargs,cli_args", CASES, ids=[" ".join(c[2][:6]) for c in CASES])
def test_same_answer_as_the_cli(cli, command, kwargs, cli_args):
    got = getattr(suanli, command)(**kwargs)
    assert without_timing(got) == without_timing(cli.json(*cli_args))


def test_sweep_rows_are_the_cli_s_json_lines(cli):
    rows = suanli.sweep(["llama3-8b", "llama3-70b"], gpu="h100,a100", input_tokens=[1000, 4000], output_tokens=200)
    want = cli.json("sweep", "-m", "llama3-8b,llama3-70b", "--gpu", "h100,a100", "--input-tokens", "1000,4000", "--output-tokens", "200")
    assert isinstance(rows, list) and len(rows) == 8
    assert rows == want


def test_sweep_shard(cli):
    rows = suanli.sweep("llama3-8b", gpu="all", input=1000, output=100, shard="2/3")
    want = cli.json("sweep", "-m", "llama3-8b", "--gpu", "all", "--input", "1000", "--output", "100", "--shard", "2/3")
    assert rows == want


def test_audit_from_a_path_text_and_dict(cli):
    path = EXAMPLES / "seed-market-claims.toml"
    want = cli.json("audit", str(path), ok=(0, 1))
    assert suanli.audit(path) == want
    assert suanli.audit(str(path)) == want
    assert suanli.audit(path.read_text()) == want
    if sys.version_info >= (3, 11):
        import tomllib

        assert suanli.audit(tomllib.loads(path.read_text())) == want


def test_plan_from_text_and_dict(cli):
    path = EXAMPLES / "tutoring-startup.toml"
    want = cli.json("plan", str(path))
    assert suanli.plan(path.read_text()) == want
    if sys.version_info >= (3, 11):
        import tomllib

        assert suanli.plan(tomllib.loads(path.read_text())) == want


# A small Llama-shaped config.json, as in a Hugging Face snapshot.
CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 8192,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
}


@pytest.fixture
def snapshot(tmp_path):
    folder = tmp_path / "tiny-llama"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CONFIG))
    return folder


def test_model_from_a_snapshot_folder_or_config_json(cli, snapshot):
    want = cli.json("infer", "-m", str(snapshot), "--gpu", "l4", *LENGTHS)
    assert suanli.infer(snapshot, gpu="l4", input_tokens=1000, output_tokens=200) == want
    assert suanli.infer(str(snapshot), gpu="l4", input_tokens=1000, output_tokens=200) == want
    want = cli.json("flops", "-m", str(snapshot / "config.json"))
    assert suanli.flops(snapshot / "config.json") == want
    rows = suanli.sweep([snapshot, "llama3-8b"], gpu="l4", input_tokens=1000, output_tokens=200)
    assert rows == cli.json("sweep", "-m", f"{snapshot},llama3-8b", "--gpu", "l4", *LENGTHS)


def test_model_from_a_dict_is_model_config(snapshot):
    by_dict = suanli.infer(CONFIG, gpu="l4", input_tokens=1000, output_tokens=200)
    by_field = suanli.infer(model_config=CONFIG, gpu="l4", input_tokens=1000, output_tokens=200)
    by_path = suanli.infer(snapshot, gpu="l4", input_tokens=1000, output_tokens=200)
    assert by_dict == by_field
    for key in ("output_tokens_per_s_per_gpu", "tpot_s", "ttft_s", "memory_gib_per_gpu", "batch"):
        assert by_dict[key] == by_path[key]


USER_CATALOG = """
[sources]
my-quote = "our own quote for rented H100s, 2026"

[[accelerator]]
id = "h100-sxm"
aliases = ["h100", "h100-sxm5-80gb"]
name = "NVIDIA H100 SXM5 80GB"
vendor = "NVIDIA"
scale_up_link = "NVLink 4 (18 links)"
memory_gb = { v = 80, src = "nv-h100", conf = "confirmed" }
memory_bw_tbs = { v = 3.35, src = "nv-h100", conf = "confirmed" }
scale_up_gbs = { v = 900, src = "nv-h100", conf = "confirmed" }
tdp_w = { v = 700, src = "nv-h100", conf = "confirmed" }
cloud_usd_per_hour = { v = 1.25, src = "my-quote", conf = "estimate" }
[accelerator.dense_tflops]
bf16 = { v = 989.4, src = "gkl", conf = "secondary" }
fp8 = { v = 1978.9, src = "gkl", conf = "secondary" }
[accelerator.sparse_tflops]
bf16 = { v = 1979, src = "nv-h100", conf = "confirmed" }
fp8 = { v = 3958, src = "nv-h100", conf = "confirmed" }
"""


def test_user_catalog_as_path_text_or_dict(cli, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(USER_CATALOG)
    request = dict(model="llama3-8b", gpu="h100", input_tokens=1000, output_tokens=200)
    want = cli.json("--catalog", str(path), "infer", *LLAMA, "--gpu", "h100", *LENGTHS)
    assert want != cli.json("infer", *LLAMA, "--gpu", "h100", *LENGTHS)
    assert suanli.infer(**request, catalog=path) == want
    assert suanli.infer(**request, catalog=str(path)) == want
    assert suanli.infer(**request, catalog=USER_CATALOG) == want
    assert suanli.infer(**request, catalog=[path]) == want
    if sys.version_info >= (3, 11):
        import tomllib

        assert suanli.infer(**request, catalog=tomllib.loads(USER_CATALOG)) == want
    shown = suanli.catalog(id="h100", catalog=path)
    assert shown == cli.json("--catalog", str(path), "catalog", "show", "h100")


def test_counts_as_floats_and_lists_as_comma_text(cli):
    """As on the command line: 1e3 for a count, "a,b" for a list."""
    want = cli.json("infer", *LLAMA, "--gpu", "h100", *LENGTHS)
    assert suanli.infer("llama3-8b", gpu="h100", input_tokens=1e3, output_tokens=2e2) == want
    rows = suanli.sweep("llama3-8b", gpu="h100, a100", input_tokens="1000,4000", output_tokens=(200,))
    assert rows == cli.json("sweep", *LLAMA, "--gpu", "h100,a100", "--input-tokens", "1000,4000", "--output-tokens", "200")
    with pytest.raises(suanli.InputError) as e:
        suanli.infer("llama3-8b", gpu="h100", input_tokens=10.5, output_tokens=200)
    assert e.value.field == "input_tokens"


TOML_MODEL = """
[[model]]
id = "my-gpt"
name = "My GPT"
family = "gpt3"
layers = 12
hidden = 768
heads = 12
kv_heads = 12
head_dim = 64
ffn = 3072
ffn_kind = "gelu"
vocab = 50257
max_context = 2048
tied_embeddings = true
position = "learned"
norm = "layernorm"
bias = true
src = "mine"
"""


def test_model_from_a_toml_file(cli, tmp_path):
    path = tmp_path / "my-gpt.toml"
    path.write_text(TOML_MODEL)
    want = cli.json("flops", "-m", str(path), "--tokens", "1e9")
    assert suanli.flops(path, tokens=1e9) == want
    assert '"my-gpt"' in json.dumps(want)


def test_traces_from_a_path_or_text(cli, tmp_path):
    trace = "arrival_s,input_tokens,output_tokens\n" + "".join(f"{i * 0.2:.1f},{500 + 10 * i},{50 + i}\n" for i in range(40))
    path = tmp_path / "trace.csv"
    path.write_text(trace)
    want = cli.json("simulate", *LLAMA, "--gpu", "h100", "--replicas", "1", "--trace", str(path))
    assert suanli.simulate("llama3-8b", gpu="h100", replicas=1, trace=path) == want
    assert suanli.simulate("llama3-8b", gpu="h100", replicas=1, trace=trace) == want
