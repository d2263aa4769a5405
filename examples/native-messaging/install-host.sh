#!/usr/bin/env bash
# Builds the example's native host and installs its manifest for the current user, so that
# Chromium, Google Chrome and Firefox can start it (Linux and macOS; Windows reads the manifest's
# location from the registry instead: see this folder's README).
#
# ./install-host.sh            build and install
# ./install-host.sh --remove   remove the installed manifests (the binary stays in cargo's target/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=webext_port_native_example

case "$(uname -s)" in
  Darwin)
    base="$HOME/Library/Application Support"
    dirs=("$base/Mozilla/NativeMessagingHosts:firefox" "$base/Chromium/NativeMessagingHosts:chromium"
      "$base/Google/Chrome/NativeMessagingHosts:chromium") ;;
  *)
    dirs=("$HOME/.mozilla/native-messaging-hosts:firefox" "$HOME/.config/chromium/NativeMessagingHosts:chromium"
      "$HOME/.config/google-chrome/NativeMessagingHosts:chromium") ;;
esac

if [ "${1:-}" = --remove ]; then
  for entry in "${dirs[@]}"; do rm -fv "${entry%:*}/$name.json"; done
  exit 0
fi

cargo build --release --manifest-path "$here/host/Cargo.toml"
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/host/Cargo.toml" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
host="$target/release/native-example-host"
[ -x "$host" ] || { echo "install-host.sh: no $host after cargo build" >&2; exit 1; }

for entry in "${dirs[@]}"; do
  dir=${entry%:*} browser=${entry##*:}
  mkdir -p "$dir"
  # The template with the host's absolute path and, for Chromium, the extension id that the
  # manifest's "key" fixes (the first 32 hex digits of its SHA-256, 0-f written as a-p).
  python3 - "$here/host-manifests/$browser.json" "$here/manifest.json" "$host" >"$dir/$name.json" <<'PY'
import base64, hashlib, json, sys
template, extension, host = sys.argv[1:]
key = json.load(open(extension))["key"]
ext_id = "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(base64.b64decode(key)).hexdigest()[:32])
text = open(template).read().replace("EXTENSION_ID", ext_id)
manifest = json.loads(text)
manifest["path"] = host
print(json.dumps(manifest, indent=2))
PY
  echo "installed $dir/$name.json"
done
