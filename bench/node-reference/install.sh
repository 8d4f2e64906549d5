#!/usr/bin/env bash
# Installs the Node reference's pinned dependencies with `npm ci` into a cache outside the repo and
# prints the directory to run it from (server.js and node_modules side by side). The install is
# reused while package-lock.json is unchanged (its sha256 is stored next to it).
#   bench/node-reference/install.sh      -> e.g. ~/.cache/credits-bench/node-reference
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
DEST=${CREDITS_NODE_REF_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/credits-bench/node-reference}
LOCK_SUM=$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1)
mkdir -p "$DEST"
if [ "$(cat "$DEST/.lock-sha256" 2>/dev/null)" != "$LOCK_SUM" ] || [ ! -d "$DEST/node_modules" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
  rm -f "$DEST/.lock-sha256"
  (cd "$DEST" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
  echo "$LOCK_SUM" >"$DEST/.lock-sha256"
fi
cp "$SRC/server.js" "$DEST/server.js"
echo "$DEST"
