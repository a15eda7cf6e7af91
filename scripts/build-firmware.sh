#!/bin/sh
# npm run build:firmware [BOARD...]: the Cortex-M firmware ELF + BIN per board (src/mcu/firmware-build.ts).
set -e
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
node dist/src/mcu/firmware-build.js "$@"
