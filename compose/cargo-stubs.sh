#!/bin/sh
# Used by compose/Dockerfile's dependency layer: creates an empty source file for every target
# the workspace's manifests (given as arguments) name, so `cargo build` can compile every
# crate of Cargo.lock before the real sources are copied in. Covers the implicit targets
# (src/lib.rs, src/main.rs) and explicit [[bin]]/[[test]]/[[bench]]/[[example]] tables, with
# or without `path` (cargo refuses a manifest whose declared target has no file).
set -eu
for manifest in "$@"; do
  dir=$(dirname "$manifest")
  mkdir -p "$dir/src"
  echo > "$dir/src/lib.rs"
  echo 'fn main() {}' > "$dir/src/main.rs"
  awk -v dir="$dir" '
    function flush() {
      if (kind == "") return
      if (path == "") {
        if (kind == "bin") path = "src/bin/" name ".rs"
        else if (kind == "test") path = "tests/" name ".rs"
        else if (kind == "bench") path = "benches/" name ".rs"
        else path = "examples/" name ".rs"
      }
      print dir "/" path
      kind = ""; name = ""; path = ""
    }
    /^\[\[(bin|test|bench|example)\]\]/ { flush(); kind = $0; gsub(/[][]/, "", kind); next }
    /^\[/ { flush(); next }
    kind != "" && /^name *=/ { name = $0; sub(/^name *= *"/, "", name); sub(/".*/, "", name) }
    kind != "" && /^path *=/ { path = $0; sub(/^path *= *"/, "", path); sub(/".*/, "", path) }
    END { flush() }
  ' "$manifest" | while read -r file; do
    mkdir -p "$(dirname "$file")"
    echo 'fn main() {}' > "$file"
  done
done
