#!/usr/bin/env bash
# The dashboard as a static folder that runs in the browser alone (WebAssembly):
#   scripts/build-static.sh DIR
# writes DIR/index.html (the very page `suanli web` serves), DIR/suanli_wasm.js and
# DIR/suanli_wasm_bg.wasm (crates/suanli-wasm, built with cargo for wasm32-unknown-unknown and
# wasm-bindgen --target web) and DIR/healthz ({"status":"static"}: the page asks `healthz`
# first, as `suanli web` answers {"status":"ok"} there, and loads the wasm module otherwise).
# Serve DIR with any static file server (python3 -m http.server); browsers do not load
# WebAssembly modules from file:// pages.
# Needs: rustup target wasm32-unknown-unknown and wasm-bindgen-cli at the version of the
# wasm-bindgen crate in Cargo.lock (`.ci/run` installs both).
set -euo pipefail
out="${1:?usage: scripts/build-static.sh DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Smaller module (about 10 %): whole-program LTO, one codegen unit, no debug info; for this
# build only (the host's release profile is untouched).
CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_STRIP=debuginfo \
  cargo build --locked -p suanli-wasm --target wasm32-unknown-unknown --release
mkdir -p "$out"
target="${CARGO_TARGET_DIR:-$root/target}"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  "$target/wasm32-unknown-unknown/release/suanli_wasm.wasm"
cp crates/suanli-cli/src/web/page.html "$out/index.html"
printf '{"status":"static"}\n' > "$out/healthz"
du -sh "$out" | awk '{print "static dashboard in " $2 ": " $1}'
