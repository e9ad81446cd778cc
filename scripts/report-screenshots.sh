#!/usr/bin/env bash
# Run the paper's presets and render each report.html to a full-page PNG in headless
# Chromium, to check by eye that the snapshots show the learning (as the paper's Fig. 3B/4A).
#
#   bash scripts/report-screenshots.sh [OUT_DIR]      (default .scratch/screenshots)
#   METATWIN_SCREENSHOT_TIME=4 bash scripts/report-screenshots.sh   (shorter runs: --time 4)
#
# Runs use --bus direct: the embedded run with recording off (bit-identical results, README),
# so taking screenshots leaves nothing in the event log.
set -euo pipefail

cd "$(dirname "$0")/.."
out_dir="$(mkdir -p "${1:-.scratch/screenshots}" && cd "${1:-.scratch/screenshots}" && pwd)"
presets=(xor xor-paper regression regression-family)
time_args=()
if [[ -n "${METATWIN_SCREENSHOT_TIME:-}" ]]; then time_args=(--time "$METATWIN_SCREENSHOT_TIME"); fi

if [[ ! -x /usr/bin/chromium ]]; then
  echo "installing Debian chromium (apt-get) …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi

# bin/metatwin.js rebuilds dist when sources are newer; building first keeps that out of the runs.
npm run build > /tmp/build-report.log 2>&1 || { echo "build failed, see /tmp/build-report.log" >&2; exit 1; }

# The preset list as the CLI prints it: xor-paper may not exist in every checkout.
available="$(node bin/metatwin.js --help 2>&1 || true)"

# A page height that holds the whole report: Chromium's --screenshot takes the window, not the page.
page_height() {
  case "$1" in
    regression-family) echo 2400 ;;
    *) echo 5600 ;;
  esac
}

for preset in "${presets[@]}"; do
  if ! grep -q -- "${preset}[,)]" <<< "$available"; then
    echo "skipping ${preset}: not a preset of this build"
    continue
  fi
  run_dir="${out_dir}/${preset}"
  echo "running ${preset} → ${run_dir}"
  node bin/metatwin.js run "$preset" --out "$run_dir" --bus direct "${time_args[@]}" > "${out_dir}/${preset}.log" 2>&1
  profile="$(mktemp -d)"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" \
    --window-size=1400,"$(page_height "$preset")" --virtual-time-budget=10000 \
    --screenshot="${out_dir}/${preset}.png" "file://${run_dir}/report.html" > "${out_dir}/${preset}.chromium.log" 2>&1
  rm -rf "$profile"
  echo "  ${out_dir}/${preset}.png"
done
