#!/usr/bin/env bash
# Lays the seed corpus for each cargo-fuzz target from the repository's own data files.
# Usage: fuzz/seed.sh, then `cargo +nightly fuzz run <target> -- -max_total_time=60`.
set -euo pipefail
cd "$(dirname "$0")"
root=..
mkdir -p corpus/{catalog,hf_config,scenario,audit,trace,simulate}
cp "$root"/crates/suanli-core/catalog/*.toml corpus/catalog/
cp "$root"/crates/suanli-core/tests/fixtures/hf/*.json "$root"/crates/suanli-core/catalog/hf/*.json corpus/hf_config/
# The fuzz fixtures repeat some of those names: a second copy, so cp never sees a name twice.
cp "$root"/crates/suanli-core/tests/fixtures/fuzz/*.json corpus/hf_config/
cp "$root"/examples/chatgpt-2023.toml "$root"/examples/tutoring-startup.toml corpus/scenario/
cp "$root"/examples/seed-market-claims.toml corpus/audit/
printf 'arrival_s,input_tokens,output_tokens\n0,100,10\n0.5,2000,200\n1e15,100,10\n' > corpus/trace/far.csv
printf '{"arrival_s": 0, "input_tokens": 10, "output_tokens": 5}\n{"arrival_s": 1.5, "input_tokens": 300, "output_tokens": 50}\n' > corpus/trace/rows.jsonl
head -c 256 /dev/zero > corpus/simulate/zeros
