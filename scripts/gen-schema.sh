#!/usr/bin/env bash
# Regenerates src/model/generated/ from the official TFLite schema.
# flatc 2.0.8 (Debian's flatbuffers-compiler) rejects `(deprecated)` on enum values, so those two
# attributes are stripped from a build-time copy; nothing else is changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
schema=${1:-$here/schema/schema.fbs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e 's/REDUCE_WINDOW = 205 (deprecated)/REDUCE_WINDOW = 205/' \
    -e 's/ReduceWindowOptions (deprecated)/ReduceWindowOptions/' "$schema" > "$tmp/schema.fbs"
rm -rf "$here/src/model/generated"
flatc --ts --ts-flat-files -o "$here/src/model/generated" "$tmp/schema.fbs"
echo "generated $(find "$here/src/model/generated" -name '*.ts' | wc -l) files from $schema"
