#!/bin/bash
# rclip 3.3 and mediasearch on the same photos, the same random-weight
# ViT-B-32-256 (rclip's architecture; random weights cost what real ones do),
# 2 cores, interleaved rounds. Needs rclip in its own venv:
#   python3 -m venv /tmp/rclipvenv && /tmp/rclipvenv/bin/pip install rclip
# and the model prepared for both (a checkpoint for mediasearch, ONNX files
# with rclip's names in its data dir, where it looks before downloading):
#   python benchmarks/rclip_prepare.py /tmp/rc
# Then: bash benchmarks/rclip_side_by_side.sh /tmp/rc PHOTOS_DIR
# Prints one line per run: tool, folder, wall seconds (and mediasearch's own
# model-load time and rate). The indexing rate of each tool is
# (N - 1) / (wall(N photos) - wall(1 photo)): startup is paid by both.
set -u
RC=${1:-/tmp/rc}; PHOTOS=${2:-$RC/photos}
M=openclip:ViT-B-32-256/$RC/vitb32-256-random.pt
mkdir -p "$RC/one" && cp "$(ls "$PHOTOS"/*.jpg | head -1)" "$RC/one/"
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>"$RC/last.err"; echo "$(echo "$(date +%s.%N) - $s" | bc)"; }
rclip_run() { rm -f "$RC"/rclip-data/db.sqlite3*; (cd "$1" && RCLIP_DATADIR=$RC/rclip-data HF_HUB_OFFLINE=1 /tmp/rclipvenv/bin/rclip -f -t 3 "a dog"); }
ms_run() { rm -rf "$RC/ms-home"; MEDIASEARCH_HOME=$RC/ms-home MEDIASEARCH_OCR=off MEDIASEARCH_RUNTIME=$2 MEDIASEARCH_ONNX_INT8=$3 mediasearch index "$1" --model "$M" --no-progress; }
for round in 1 2; do
  for folder in "$RC/one" "$PHOTOS"; do
    echo "round$round rclip $folder $(t rclip_run "$folder")"
    for cfg in "torch false" "onnx false" "onnx true"; do
      # shellcheck disable=SC2086
      w=$(t ms_run "$folder" $cfg); echo "round$round ms-${cfg// /-} $folder $w $(grep -o 'model loaded in [0-9.]*s, [0-9.]* files/s' "$RC/last.err")"
    done
  done
done
