#!/usr/bin/env bash
# ./build.sh        install what is missing, build the wasm package and the demo extension in dist/
#                   (and the examples: dist-minimal/, dist-native-example/)
# ./build.sh test   the same, then every test layer, then a pass/fail summary
# ./build.sh bench [chromium|firefox|all [OPTIONS]]   the same build, then the bench extension
#                   (dist-bench/) in headless Chromium and Firefox: target/bench.json (ports: raw
#                   JS, webext-port, JS peers), target/bench-codec.json (codecs), Markdown tables;
#                   OPTIONS: --cases C,… --impls I,… --reps N --no-codec --profile DIR (see
#                   docs/performance.md)
# ./build.sh size   the minimal example (dist-minimal/), then target/size.json and the 20 KiB budget check
# ./build.sh run [chromium|firefox]   builds if needed, then the demo in a browser (headed when
#                   $DISPLAY or $WAYLAND_DISPLAY is set) with a test page and the ports page open;
#                   prints the demo's port traffic until Ctrl-C, which stops every process it started
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- setup (idempotent)
lock_version() { # the version of crate $1 in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

cargo_install() { # cargo_install CRATE [VERSION]: --locked first, then unlocked (the registry mirror may lack a locked dependency)
  local crate=$1 version=${2:-} args=()
  [ -n "$version" ] && args=(--version "$version")
  cargo install "$crate" "${args[@]}" --locked || cargo install "$crate" "${args[@]}" ||
    die "could not install $crate ${version} with cargo"
}

setup() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup first"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown || die "could not add the wasm32-unknown-unknown target"
  fi
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want have
  want=$(lock_version wasm-bindgen)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (Cargo.lock has wasm-bindgen $want, found '${have:-none}')"
    cargo_install wasm-bindgen-cli "$want"
  fi
  command -v wasm-pack >/dev/null || { say "installing wasm-pack"; cargo_install wasm-pack; }
  if [ "$(id -u)" = 0 ]; then
    local missing=()
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing+=(firefox-esr)
    command -v jq >/dev/null || missing+=(jq)
    command -v xvfb-run >/dev/null || missing+=(xvfb) # a display for the headed ./build.sh run check
    if [ ${#missing[@]} -gt 0 ]; then
      say "installing ${missing[*]} (apt)"
      apt-get update -qq || die "apt-get update failed"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
        die "could not install ${missing[*]}"
    fi
    command -v geckodriver >/dev/null || { say "installing geckodriver"; cargo_install geckodriver; }
  fi
  web_ext_tool
  local tool
  for tool in chromium chromedriver geckodriver jq xvfb-run; do
    command -v "$tool" >/dev/null || die "$tool is missing (run ./build.sh as root to install it, or install it yourself)"
  done
  command -v firefox-esr >/dev/null || command -v firefox >/dev/null ||
    die "firefox is missing (run ./build.sh as root to install firefox-esr, or install it yourself)"
}

# ---------------------------------------------------------------- build
HOST_NAME=webext_port_test_host

chromium_id() { # the extension id Chromium derives from the manifest's "key": sha256 of the key, 0-f → a-p
  python3 - "$1" <<'PY'
import base64, hashlib, json, sys
key = json.load(open(sys.argv[1]))["key"]
print("".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]))
PY
}

gecko_id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["browser_specific_settings"]["gecko"]["id"])' "$1"; }

wasm_package() { # wasm_package CRATE OUT_DIR [PROFILE]: build the crate for wasm32 and generate its JS bindings
  local crate=$1 out=$2 profile=${3:-release}
  cargo build --quiet --profile "$profile" --target wasm32-unknown-unknown -p "$crate"
  wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
    "target/wasm32-unknown-unknown/$profile/${crate//-/_}.wasm"
}

install_native_host() {
  say "building the native messaging test host and installing its manifests"
  cargo build --quiet --release -p webext-port-native-host
  local host="$ROOT/target/release/webext-port-native-host" out="$ROOT/target/native-messaging"
  local chromium_origin gecko
  chromium_origin="chrome-extension://$(chromium_id manifest.json)/"
  gecko=$(gecko_id manifest.json)
  mkdir -p "$out/chromium" "$out/firefox"
  cat > "$out/chromium/$HOST_NAME.json" <<EOF
{ "name": "$HOST_NAME", "description": "webext-port test host", "path": "$host", "type": "stdio",
  "allowed_origins": ["$chromium_origin"] }
EOF
  cat > "$out/firefox/$HOST_NAME.json" <<EOF
{ "name": "$HOST_NAME", "description": "webext-port test host", "path": "$host", "type": "stdio",
  "allowed_extensions": ["$gecko"] }
EOF
  # Firefox reads only the per-user folder; Chromium reads the system folder (root), the per-user
  # folder (default profile) and a profile's own NativeMessagingHosts/ (the E2E harness copies it there).
  local targets=("$HOME/.mozilla/native-messaging-hosts:firefox" "$HOME/.config/chromium/NativeMessagingHosts:chromium")
  [ "$(id -u)" = 0 ] && targets+=("/etc/chromium/native-messaging-hosts:chromium")
  local target
  for target in "${targets[@]}"; do
    mkdir -p "${target%%:*}" && cp "$out/${target##*:}/$HOST_NAME.json" "${target%%:*}/" ||
      die "cannot install the native host manifest in ${target%%:*}"
  done
}

build() {
  say "building the demo extension and the peer extension (wasm32, release)"
  rm -rf dist dist-peer
  wasm_package webext-port-demo dist
  cp manifest.json www/background.js www/content.js www/probe.html www/probe.js www/ports.html www/ports.js dist/
  wasm_package webext-port-peer dist-peer
  cp tests/peer/manifest.json tests/peer/background.js dist-peer/
  install_native_host
  minimal
  native_example
  say "extension ready: $ROOT/dist (peer extension for the tests: $ROOT/dist-peer)"
  cat <<EOF
    Chromium: chrome://extensions → Developer mode → "Load unpacked" → $ROOT/dist
    Firefox:  about:debugging#/runtime/this-firefox → "Load Temporary Add-on…" → $ROOT/dist/manifest.json
    Chromium id $(chromium_id manifest.json), Firefox id $(gecko_id manifest.json);
    native host "$HOST_NAME" manifests installed (see README, "Native messaging").
EOF
}

# ---------------------------------------------------------------- size (examples/minimal, target/size.json)
SIZE_BUDGET=20480 # bytes, gzip -9: the minimal typed content script, wasm + JS glue (issue 10's target)
# Not met (25,972 B measured on 2026-12-04; docs/performance.md says what is left and why).
# Until it is, the test run guards against growth: the minimal typed content script may not pass this bound.
SIZE_GUARD=26000
TOOLS="$ROOT/target/tools"

size_tools() { # wasm-opt (npm binaryen: Debian's is too old, wasm-pack cannot download one) and terser, project-local
  [ -x "$TOOLS/node_modules/.bin/wasm-opt" ] && [ -x "$TOOLS/node_modules/.bin/terser" ] && return
  command -v npm >/dev/null || die "npm is missing: install Node.js (apt-get install nodejs npm)"
  say "installing wasm-opt (npm binaryen) and terser into target/tools"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error binaryen@132.0.0 terser@5.51.4 ||
    die "could not install binaryen and terser with npm"
}

WEB_EXT_VERSION=10.7.0 # npm web-ext, exact: its rules change between versions

web_ext_tool() { # web-ext (npm) for the lint layer, project-local like wasm-opt and terser; its own
  # prefix, so that neither --no-save install prunes the other's packages
  local web_ext="$TOOLS/web-ext/node_modules/.bin/web-ext"
  [ -x "$web_ext" ] && [ "$("$web_ext" --version 2>/dev/null)" = "$WEB_EXT_VERSION" ] && return
  command -v npm >/dev/null || die "npm is missing: install Node.js (apt-get install nodejs npm)"
  say "installing web-ext $WEB_EXT_VERSION (npm) into target/tools/web-ext"
  npm install --prefix "$TOOLS/web-ext" --no-save --no-audit --no-fund --loglevel=error \
    "web-ext@$WEB_EXT_VERSION" || die "could not install web-ext with npm"
}

# The glue's side of wasm-opt's --minify-imports-and-exports-and-modules: wasm-bindgen names every
# import `__wbg_<name>_<16 hex digits>`, in the wasm and again in the glue, and the hex does not
# compress (2.4 KB gzipped of the minimal content script, docs/performance.md "Size"). The glue,
# before terser, names each import once as an object key (`NAME:`), each export as `wasm.NAME`,
# and the one import module as `"./<name>_bg.js": import0`; the minified wasm must import every
# new name from the module `a`. Any other shape fails the build: a glue that does not match its
# wasm would only fail in the browser (tests/e2e/src/minimal.rs loads the result in both).
RENAME_GLUE='
import json, re, sys
glue_path, map_path, wasm_path, module = sys.argv[1:5]
def fail(why):
    sys.exit("minify names: " + glue_path + ": " + why)
names = json.load(open(map_path, encoding="utf-8"))
glue = open(glue_path, encoding="utf-8").read()
wasm = open(wasm_path, "rb").read()
imports = {old: new for _, old, new in names["imports"]}
exports = dict(names["exports"])
if len({m for m, _, _ in names["imports"]}) > 1:
    fail("imports from more than one module")
for new in imports.values():
    # An import entry: module name "a", then the new name, each length-prefixed.
    if b"\x01a" + bytes([len(new)]) + new.encode() not in wasm:
        fail("the wasm does not import " + new + " from the module a")
seen = {}
def rename_import(match):
    old = match.group(1)
    if old not in imports:
        return match.group(0)
    seen[old] = seen.get(old, 0) + 1
    return imports[old] + ":"
identifier = r"(?<![\w$.])([A-Za-z_$][\w$]*)"
glue = re.sub(identifier + r":", rename_import, glue)
for old in imports:
    if seen.get(old) != 1:
        fail("import %s appears %d times as a key" % (old, seen.get(old, 0)))
def rename_export(match):
    if match.group(1) not in exports:
        fail("wasm." + match.group(1) + " is not an export of the wasm")
    return "wasm." + exports[match.group(1)]
glue = re.sub(r"(?<![\w$.])wasm\.([A-Za-z_$][\w$]*)", rename_export, glue)
if re.search(r"(?<![\w$.])wasm\[", glue):
    fail("an export is read as wasm[...]")
key = "\"./" + module + "_bg.js\": import0"
if glue.count(key) != 1:
    fail("no single " + key)
open(glue_path, "w", encoding="utf-8").write(glue.replace(key, "a: import0"))
'

small_package() { # small_package CRATE OUT_DIR [CARGO_ARGS...]: profile `size`, then wasm-opt -Oz (names minified) and terser, in OUT_DIR
  local crate=$1 out=$2 name=${1//-/_}
  shift 2
  cargo build --quiet --profile size --target wasm32-unknown-unknown -p "$crate" "$@"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "target/wasm32-unknown-unknown/size/$name.wasm"
  "$TOOLS/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --strip-producers --strip-target-features --minify-imports-and-exports-and-modules \
    "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm" >"$out/names.json"
  python3 -c "$RENAME_GLUE" "$out/$name.js" "$out/names.json" "$out/${name}_bg.wasm" "$name" ||
    die "could not rename the glue's imports"
  rm "$out/names.json"
  local js
  for js in "$out/$name.js" "$out"/snippets/*/src/js/*.js; do
    if [ -f "$js" ]; then "$TOOLS/node_modules/.bin/terser" --module --compress --mangle -o "$js" "$js"; fi
  done
}

minimal() { # examples/minimal → dist-minimal/ (a separate cargo run each: no feature unification with the demo)
  say "building the minimal example (content script and background: two wasm packages) in dist-minimal/"
  size_tools
  rm -rf dist-minimal
  small_package minimal-content dist-minimal/content
  small_package minimal-background dist-minimal/background
  cp examples/minimal/manifest.json examples/minimal/background.js examples/minimal/content.js dist-minimal/
}

native_example() { # examples/native-messaging → dist-native-example/, and its host binary
  say "building the native messaging example in dist-native-example/ (its host: examples/native-messaging/install-host.sh)"
  rm -rf dist-native-example
  wasm_package native-example-background dist-native-example
  cp examples/native-messaging/manifest.json examples/native-messaging/background.js dist-native-example/
  cargo build --quiet --release -p native-example-host
}

size_entry() { # size_entry NAME DIR CRATE: one JSON object of gzip -9 sizes; glue = the JS and the snippets it imports
  local name=$1 wasm="$2/${3//-/_}_bg.wasm" glue="$2/${3//-/_}.js" w wg g=0 gg=0 js
  w=$(wc -c <"$wasm"); wg=$(gzip -9 -n -c "$wasm" | wc -c)
  for js in "$glue" $(grep -o 'snippets/[^"'"'"']*\.js' "$glue" | sort -u | sed "s|^|$2/|"); do
    g=$((g + $(wc -c <"$js"))); gg=$((gg + $(gzip -9 -n -c "$js" | wc -c)))
  done
  printf '  "%s": {"wasm_bytes": %d, "wasm_gz_bytes": %d, "glue_bytes": %d, "glue_gz_bytes": %d, "total_gz_bytes": %d}' \
    "$name" "$w" "$wg" "$g" "$gg" $((wg + gg))
}

size_report() { # target/size.json for the demo's content script and the minimal one; checks the budget
  say "size: the demo's content-script package and the minimal typed content script (profile size, wasm-opt -Oz, terser, gzip -9)"
  size_tools
  rm -rf target/size && small_package webext-port-demo target/size/demo
  { echo "{"; size_entry demo_content target/size/demo webext-port-demo; echo ","
    size_entry minimal_content dist-minimal/content minimal-content; echo ","
    size_entry minimal_background dist-minimal/background minimal-background; echo; echo "}"; } >target/size.json
  cat target/size.json
  local total
  total=$(python3 -c 'import json; print(json.load(open("target/size.json"))["minimal_content"]["total_gz_bytes"])')
  if [ "$total" -le "$SIZE_BUDGET" ]; then
    echo "size: the 20 KiB budget is met ($total B <= $SIZE_BUDGET B): lower SIZE_GUARD to it"
  else
    echo "size: the 20 KiB budget is NOT met yet: $total B > $SIZE_BUDGET B (docs/performance.md)"
  fi
  if [ "$total" -le "$SIZE_GUARD" ]; then
    echo "size guard: minimal content script $total B gzipped <= $SIZE_GUARD B: 1 passed; 0 failed"
  else
    echo "size guard: minimal content script $total B gzipped > $SIZE_GUARD B (it grew): 0 passed; 1 failed"
  fi
}

# ---------------------------------------------------------------- bench
BENCH_TOOLS="$ROOT/target/bench-tools"

bench_tools() { # esbuild and the JS peers the bench compares against, pinned, project-local
  [ -x "$BENCH_TOOLS/node_modules/.bin/esbuild" ] && [ -d "$BENCH_TOOLS/node_modules/webext-bridge" ] &&
    [ -d "$BENCH_TOOLS/node_modules/extension-port-stream" ] && return
  command -v npm >/dev/null || die "npm is missing: install Node.js (apt-get install nodejs npm)"
  say "installing esbuild, extension-port-stream and webext-bridge into target/bench-tools"
  npm install --prefix "$BENCH_TOOLS" --no-save --no-audit --no-fund --loglevel=error esbuild@0.28.2 \
    extension-port-stream@5.0.0 readable-stream@4.8.0 webextension-polyfill@0.12.0 webext-bridge@6.0.1 ||
    die "could not install the bench's npm packages"
}

bench() { # bench [chromium|firefox]: build dist-bench/ and run it (fails only when a run fails)
  bench_tools
  say "building the bench extension (wasm32, profile speed) and bundling the JS peers (esbuild)"
  rm -rf dist-bench
  wasm_package webext-port-bench dist-bench speed # Cargo's default release opt-level, as users build
  cp bench/manifest.json bench/background.js bench/content.js bench/ports.js dist-bench/
  # The library's own src/js/codec.js for the raw-copy diagnostic: a module for the background, a
  # classic script in the content-script world (bench/ports.js says why)
  cp src/js/codec.js dist-bench/pkg/library-codec.js
  sed 's/^export //' src/js/codec.js >dist-bench/library-codec-content.js
  local side format
  for side in content background; do
    format=esm; [ $side = content ] && format=iife # content scripts are classic scripts
    NODE_PATH="$BENCH_TOOLS/node_modules" "$BENCH_TOOLS/node_modules/.bin/esbuild" "bench/peers/$side.js" \
      --bundle --format=$format --platform=browser --target=es2020 --log-level=warning \
      --outfile="dist-bench/peers-$side.js" || die "esbuild could not bundle bench/peers/$side.js"
  done
  say "bench: round trips, throughput, cold start (raw JS, webext-port, JS peers) and the codec bench, ${1:-both browsers}"
  cargo run --quiet --release -p webext-port-e2e -- bench --dist "$ROOT/dist-bench" \
    --native-manifests "$ROOT/target/native-messaging" --out "$ROOT/target/bench.json" \
    --codec-out "$ROOT/target/bench-codec.json" --browsers "${1:-all}" "${@:2}"
}

# ---------------------------------------------------------------- run
fresh() { # whether dist/ and the native host manifests are newer than every file they are built from
  [ -f dist/manifest.json ] && [ -f "target/native-messaging/chromium/$HOST_NAME.json" ] || return 1
  [ -z "$(find src demo www tests/native-host manifest.json Cargo.toml Cargo.lock -newer dist/manifest.json -type f -print -quit)" ]
}

run_args() { # the e2e binary's arguments for `run` in browser $1
  printf '%s\n' run --browser "$1" --dist "$ROOT/dist" --native-manifests "$ROOT/target/native-messaging" \
    --logs "$ROOT/target/test-logs"
}

run_demo() { # run_demo [chromium|firefox]: the demo in a browser, its port traffic printed until Ctrl-C
  local browser=${1:-chromium}
  case "$browser" in chromium | firefox) ;; *) die "usage: ./build.sh run [chromium|firefox]" ;; esac
  cargo build --quiet --release -p webext-port-e2e
  # exec: Ctrl-C and SIGTERM go to the runner itself, which stops the driver and the browser.
  local args
  mapfile -t args < <(run_args "$browser")
  exec "$ROOT/target/release/webext-port-e2e" "${args[@]}"
}

run_check() { # ./build.sh run in each browser, bounded: it stops itself (SIGINT) after printing traffic
  local browser args status=0
  cargo build --quiet --release -p webext-port-e2e || return 1
  for browser in chromium firefox; do
    mapfile -t args < <(run_args "$browser")
    # A runner that hangs anyway is stopped by SIGTERM (which it handles the same way) after 3 min.
    # Headless (no display), then headed in a virtual display (xvfb-run), as on a desktop.
    env -u DISPLAY -u WAYLAND_DISPLAY WEBEXT_PORT_RUN_CHECK=1 timeout 180 \
      "$ROOT/target/release/webext-port-e2e" "${args[@]}" </dev/null || status=1
    env -u WAYLAND_DISPLAY WEBEXT_PORT_RUN_CHECK=1 xvfb-run -a timeout 180 \
      "$ROOT/target/release/webext-port-e2e" "${args[@]}" </dev/null || status=1
  done
  return "$status"
}

# ---------------------------------------------------------------- test layers
RESULTS=()
PASSED=0
FAILED=0
record() { # record NAME PASSED FAILED STATUS: one summary line; a non-zero STATUS with no failure counted counts as one
  local name=$1 p=$2 f=$3 status=$4
  [ "$status" != 0 ] && [ "$f" = 0 ] && f=1
  [ "$p" = 0 ] && [ "$f" = 0 ] && f=1 # a layer that ran no test has failed
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  if [ "$f" = 0 ]; then RESULTS+=("PASS  $name: $p passed, $f failed")
  else RESULTS+=("FAIL  $name: $p passed, $f failed (exit $status)"); fi
}

counts() { # counts LOG [PREFIX]: sums "N passed; M failed" over the lines (starting with PREFIX) of LOG
  grep -E "^${2:-.*}.*[0-9]+ passed; [0-9]+ failed" "$1" | grep -Eo '[0-9]+ passed; [0-9]+ failed' |
    awk '{p+=$1; f+=$3} END {printf "%d %d", p, f}'
}

run_layer() { # run_layer NAME LOG COMMAND...: runs it, keeps its output in LOG, records the result
  local name=$1 log=$2 status=0
  shift 2
  say "$name"
  "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
  LAST_STATUS=$status
  # shellcheck disable=SC2046
  record "$name" $(counts "$log") "$status"
}

never_loaded() { # never_loaded LOG: the runner's test page never loaded (or its server never started), so no test ran
  # Chromium: the runner says "Failed to detect test as having been run". Firefox (2026-12-04,
  # web.rs, once in a full run): Marionette sat ~60 s on the navigation, then the runner's
  # "webdriver POST /session/<id>/url request failed" (http status 500) before "running N tests".
  # The runner could not bind the port wasm_pack_test chose: "failed to spawn server".
  ! grep -q "test result: FAILED" "$1" && {
    grep -q "Failed to detect test as having been run" "$1" || grep -q "failed to spawn server" "$1" ||
      { grep -q "webdriver POST /session/[^ ]*/url request failed" "$1" && ! grep -q "^running [0-9]* tests" "$1"; }
  }
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Why the test page's server is woken every second. wasm-bindgen-test-runner serves the page
# with tiny_http 0.12.0, whose thread pool counts a thread as idle until that thread has woken
# and taken the lock again. When more connections arrive at once than there are threads that
# wake in time, one connection is queued with no thread to take it, and it is read only when
# the next connection arrives. web.rs's page fetches five snippets at once (Chromium opens a
# connection each); on a busy machine its last request then waits forever and the page never
# loads: ChromeDriver "Timed out receiving message from renderer", the page at "Loading
# scripts...". Measured 2026-12-04, web.rs alone with two busy loops beside it: 3 hangs in 10
# runs. The page had every snippet but tests/fakes/extension_fakes.js (pending, no bytes);
# tcpdump showed Chromium's request for it on a fifth connection, answered 61 s later, the
# moment a curl of ours opened another connection; gdb showed all four pool threads reading
# their own idle keep-alive connections. So each run gets a port chosen here and a connection
# opened and closed every second while it runs: each one wakes the pool, and a queued
# connection is served within a second. The connection sends nothing; the page sees nothing.
wasm_pack_test() { # wasm_pack_test BROWSER FILE LOG: one wasm-pack run of tests/FILE.rs, output in LOG
  local port waker status=0
  port=$(free_port)
  (while sleep 1; do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; done) &
  waker=$!
  WASM_BINDGEN_TEST_ADDRESS=127.0.0.1:$port wasm-pack test --headless "--$1" --test "$2" >"$3" 2>&1 || status=$?
  kill "$waker" 2>/dev/null
  wait "$waker" 2>/dev/null || true
  return "$status"
}

wasm_tests() { # wasm_tests BROWSER: layer 2 in one browser, one wasm-pack run per tests/*.rs file
  # One run per file, so that a page that never loads costs one file, not the layer. A page that
  # never loaded (no test ran) is run again, and it says so; a test that fails, or a page that
  # hangs three times, still fails the layer. webdriver.json gives the runner's Chromium the
  # flags the end-to-end layer uses, and a 60 s page-load timeout (the page loads in ~1 s).
  local file name log status=0 failed=0
  for file in tests/*.rs; do
    name=$(basename "$file" .rs)
    log=target/test-logs/wasm-$1-$name.try1.log
    status=0
    wasm_pack_test "$1" "$name" "$log" || status=$?
    local try=1
    while [ "$status" != 0 ] && [ "$try" -lt 3 ] && never_loaded "$log"; do
      try=$((try + 1))
      echo "layer 2 ($1, $name): the test page never loaded (no test ran); try $try of 3 (previous: $log)"
      log=target/test-logs/wasm-$1-$name.try$try.log
      status=0
      wasm_pack_test "$1" "$name" "$log" || status=$?
    done
    cat "$log"
    [ "$status" = 0 ] || failed=1
  done
  return "$failed"
}

# The crates the library builds with (normal and build dependencies, not dev; features as the
# workspace resolves them) for one platform: "over <rust_version> <name> <version>" for each that
# needs a newer Rust than $ours, then "count <crates>" and "max <newest rust_version>".
MSRV_JQ='
def ver: ((. // "0") | split(".") | map(tonumber)) + [0, 0, 0] | .[0:3];
(.packages | map({key: .id, value: .}) | from_entries) as $pkgs
| (.resolve.nodes | map({key: .id, value: [.deps[] | select(any(.dep_kinds[]; .kind != "dev")) | .pkg]})
   | from_entries) as $deps
| [.packages[] | select(.name == "webext-port" and .source == null) | .id][0] as $root
| [[$root | recurse($deps[.][])] | unique[] | $pkgs[.] | select(.id != $root)] as $tree
| ($tree[] | select(.rust_version != null and (.rust_version | ver) > ($ours | ver))
   | "over \(.rust_version) \(.name) \(.version)"),
  "count \($tree | length)",
  "max \([$tree[] | .rust_version | select(. != null)] | max_by(ver))"'

msrv_check() { # no crate in the library's dependency tree declares a newer rust-version than the library
  local ours platform tree max status=0
  ours=$(cargo metadata --format-version 1 --no-deps |
    jq -r '.packages[] | select(.name == "webext-port") | .rust_version // empty')
  [ -n "$ours" ] || { echo "msrv: Cargo.toml has no rust-version: 0 passed; 1 failed"; return 1; }
  for platform in wasm32-unknown-unknown "$(rustc -vV | awk '/^host:/ {print $2}')"; do
    tree=$(cargo metadata --format-version 1 --filter-platform "$platform" | jq -r --arg ours "$ours" "$MSRV_JQ") ||
      { echo "msrv ($platform): cargo metadata failed: 0 passed; 1 failed"; status=1; continue; }
    max=$(sed -n 's/^max //p' <<<"$tree")
    echo "msrv ($platform): $(sed -n 's/^count //p' <<<"$tree") crates, the newest rust-version among them is $max"
    if ! grep -q '^over ' <<<"$tree"; then
      echo "msrv ($platform): every dependency builds with rust-version $ours: 1 passed; 0 failed"
    else
      sed -n 's/^over \([^ ]*\) \(.*\)/  \2 needs Rust \1/p' <<<"$tree"
      echo "msrv ($platform): a dependency needs Rust $max > rust-version $ours: 0 passed; 1 failed"
      status=1
    fi
  done
  return "$status"
}

package_check() { # the published crate: its file list and size, cargo's own build of it, its doctests
  local version crate unpacked status=0
  version=$(cargo metadata --format-version 1 --no-deps |
    jq -r '.packages[] | select(.name == "webext-port") | .version')
  cargo package --list --allow-dirty -p webext-port || return 1
  # Builds the unpacked .crate (verification) as a user of it would get it.
  cargo package --allow-dirty -p webext-port || { echo "cargo package: 0 passed; 1 failed"; return 1; }
  crate=target/package/webext-port-$version.crate
  echo "cargo package: $crate, $(wc -c <"$crate") bytes, $(tar -tzf "$crate" | grep -vc '/$') files: 1 passed; 0 failed"
  # The doctests (README.md's examples among them) from the unpacked crate, outside this workspace.
  unpacked=$(mktemp -d)
  tar -xzf "$crate" -C "$unpacked" &&
    CARGO_TARGET_DIR="$ROOT/target/package-doctest" cargo test --doc --locked \
      --manifest-path "$unpacked/webext-port-$version/Cargo.toml" || status=1
  rm -rf "$unpacked"
  [ "$status" = 0 ] || echo "packaged crate doctests: 0 passed; 1 failed"
  return "$status"
}

web_ext_lint() { # web-ext lint of every built extension: any error fails; warnings are counted and listed
  local dir report errors warnings status=0
  for dir in dist dist-minimal dist-native-example dist-peer; do
    report=target/test-logs/web-ext-$dir.json
    # Exits non-zero when it finds errors; the JSON report is what counts.
    "$TOOLS/web-ext/node_modules/.bin/web-ext" lint --source-dir "$dir" --output json \
      --no-config-discovery >"$report" 2>target/test-logs/web-ext-$dir.stderr || true
    if ! errors=$(jq -er '.summary.errors' "$report" 2>/dev/null) ||
      ! warnings=$(jq -er '.summary.warnings' "$report" 2>/dev/null); then
      cat target/test-logs/web-ext-$dir.stderr
      echo "web-ext lint $dir: no JSON report ($report): 0 passed; 1 failed"
      status=1
      continue
    fi
    jq -r '(.errors[] | "  error   \(.code) \(.file // "") \(.message)"),
      (.warnings[] | "  warning \(.code) \(.file // "") \(.message)")' "$report"
    if [ "$errors" = 0 ]; then
      echo "web-ext lint $dir: 0 errors, $warnings warnings: 1 passed; 0 failed"
    else
      echo "web-ext lint $dir: $errors errors, $warnings warnings: 0 passed; 1 failed"
      status=1
    fi
  done
  return "$status"
}

test_all() {
  mkdir -p target/test-logs
  # wasm-bindgen-test-runner gives a page 20 s between polls by default; the codec tests carry a
  # 10 MiB string through a debug build, which a loaded 2-core machine can stretch past that.
  export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}
  local logs=target/test-logs
  run_layer "lint: cargo fmt --check" $logs/fmt.log bash -c 'cargo fmt --all --check && echo "1 passed; 0 failed"'
  run_layer "lint: clippy (host)" $logs/clippy-host.log bash -c \
    'cargo clippy --quiet --workspace --all-targets -- -D warnings && echo "1 passed; 0 failed"'
  run_layer "lint: clippy (wasm32)" $logs/clippy-wasm.log bash -c \
    'cargo clippy --quiet --target wasm32-unknown-unknown -p webext-port -p webext-port-demo -p webext-port-peer -p webext-port-bench -p minimal-content -p minimal-background -p minimal-protocol -p native-example-background -p native-example-protocol --all-targets -- -D warnings && echo "1 passed; 0 failed"'
  run_layer "lint: cargo doc -D warnings (wasm32 and host)" $logs/doc.log bash -c \
    'export RUSTDOCFLAGS="-D warnings"; cargo doc --quiet --no-deps --target wasm32-unknown-unknown -p webext-port && cargo doc --quiet --no-deps -p webext-port && echo "1 passed; 0 failed"'
  run_layer "lint: MSRV: no dependency needs a newer Rust than rust-version" $logs/msrv.log msrv_check
  run_layer "lint: web-ext lint dist/ dist-minimal/ dist-native-example/ dist-peer/ (0 errors)" $logs/web-ext.log web_ext_lint
  run_layer "layer 1: host cargo test (doctests and README examples included)" $logs/host.log cargo test --workspace
  run_layer "package: cargo package -p webext-port (builds the .crate, runs its doctests)" $logs/package.log package_check
  run_layer "layer 2: wasm-pack test --headless --chrome" $logs/wasm-chrome.log wasm_tests chrome
  run_layer "layer 2: wasm-pack test --headless --firefox" $logs/wasm-firefox.log wasm_tests firefox
  run_layer "size: minimal typed content script does not grow (target/size.json; 20 KiB budget not met yet)" $logs/size.log size_report
  say "layer 3: end-to-end in real Chromium and Firefox"
  local status=0
  cargo run --quiet --release -p webext-port-e2e -- --dist "$ROOT/dist" --peer "$ROOT/dist-peer" \
    --native-manifests "$ROOT/target/native-messaging" --minimal "$ROOT/dist-minimal" \
    --out "$ROOT/target/conformance.json" --table "$ROOT/docs/conformance.md" 2>&1 |
    tee $logs/e2e.log || status=${PIPESTATUS[0]}
  local browser
  for browser in chromium firefox agreement "chromium pre-checks" "firefox pre-checks" table; do
    # shellcheck disable=SC2046
    record "layer 3: end-to-end $browser" $(counts $logs/e2e.log "e2e $browser:") "$status"
  done
  run_layer "run: ./build.sh run prints port traffic and stops on SIGINT (chromium, firefox; headless and headed in Xvfb; bounded)" \
    $logs/run.log run_check
  echo
  say "summary"
  printf '%s\n' "${RESULTS[@]}"
  echo "logs: $ROOT/$logs"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

case "${1:-build}" in
  build) setup; build ;;
  test) setup; build; test_all ;;
  bench) setup; build; bench "${2:-all}" "${@:3}" ;;
  size) setup; minimal; size_report ;;
  run)
    setup
    if fresh; then say "dist/ is up to date"; else build; fi
    run_demo "${2:-}"
    ;;
  *) die "usage: ./build.sh [test | bench [chromium|firefox] | size | run [chromium|firefox]]" ;;
esac
