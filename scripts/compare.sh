#!/usr/bin/env bash
# compare.sh — side-by-side CPU speed of cosmogan and its PyTorch peer on full GAN steps.
#
# A development tool, never a CI dependency. It builds cmd/cosmogan once, then for each
# (dim, batch) runs
#     cosmogan bench step --dim D --batch B --steps N --threads T --json
#     /usr/bin/python3 scripts/bench_torch.py --dim D --batch B --steps N --threads T --json
# and prints a table (samples/s of each, ratio cosmogan/pytorch) and the raw JSON lines;
# then, unless --no-gemm, float32 GEMM at n = 1024 and 2048 on the same threads:
#     cosmogan bench gemm --threads T --steps N --json     (its "square" lines)
#     /usr/bin/python3 scripts/bench_gemm.py --threads T --steps N --json   (numpy/BLAS)
#
# Usage: scripts/compare.sh [--configs 2:50,3:4] [--threads 2] [--steps 3] [--no-gemm]
#                           [--python /usr/bin/python3] [--blas-dir DIR]
# Environment (flags win): CONFIGS, THREADS, STEPS, PYTHON, TORCH_BLAS_DIR, GO_BUILD_FLAGS.
#
# PyTorch needs Debian's package: apt-get install python3-torch python3-numpy.
# Its transposed convolutions go through libblas.so.3; with only Debian's netlib
# reference BLAS installed that is several times slower than OpenBLAS. Either install
# libopenblas0-pthread (switches the libblas.so.3 alternative), or pass --blas-dir DIR,
# a folder holding the libblas.so.3 to put first for the torch runs only
# (/usr/lib/x86_64-linux-gnu/openblas-pthread, or /usr/lib/x86_64-linux-gnu/blas to
# force the reference one). The table's last column says which BLAS torch used.
set -euo pipefail

CONFIGS=${CONFIGS:-2:50,3:4}
THREADS=${THREADS:-2}
STEPS=${STEPS:-3}
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH_BLAS_DIR=${TORCH_BLAS_DIR:-}
GO_BUILD_FLAGS=${GO_BUILD_FLAGS:-}
GEMM=1

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "compare.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --configs) CONFIGS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    --blas-dir) TORCH_BLAS_DIR=$2; shift 2 ;;
    --no-gemm) GEMM=0; shift ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# --- checks -----------------------------------------------------------------------
[ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 ||
  die "no python at $PYTHON; install python3-torch: apt-get install python3-torch"
if ! err=$("$PYTHON" -c 'import torch' 2>&1); then
  echo "$err" >&2
  die "cannot import torch with $PYTHON; install python3-torch: apt-get install python3-torch (and run with /usr/bin/python3)"
fi
torch_env=()
if [ -n "$TORCH_BLAS_DIR" ]; then
  [ -e "$TORCH_BLAS_DIR/libblas.so.3" ] || die "no libblas.so.3 in $TORCH_BLAS_DIR"
  torch_env=(env "LD_LIBRARY_PATH=$TORCH_BLAS_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
command -v go >/dev/null 2>&1 || die "go not found on PATH"

# JSON field reader: jq if present, else python3.
if command -v jq >/dev/null 2>&1; then
  field() { printf '%s\n' "$1" | jq -r --arg k "$2" '.[$k] // "n/a"'; }
else
  field() {
    printf '%s\n' "$1" | "$PYTHON" -c \
      'import json,sys; v=json.loads(sys.stdin.read()).get(sys.argv[1]); print("n/a" if v is None else v)' "$2"
  }
fi
fmt() { case "$1" in n/a) echo n/a ;; *) awk -v v="$1" 'BEGIN { printf "%.3f", v }' ;; esac; }
# Last line of a command's output that looks like a JSON object.
json_line() { grep -E '^[[:space:]]*\{' | tail -n 1 || true; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cosmogan-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "building cmd/cosmogan ..." >&2
# shellcheck disable=SC2086
go build $GO_BUILD_FLAGS -o "$tmp/cosmogan" ./cmd/cosmogan || die "go build ./cmd/cosmogan failed"

# --- runs ---------------------------------------------------------------------------
status=0
rows=()
raws=()
IFS=',' read -r -a cfgs <<<"$CONFIGS"
for cfg in "${cfgs[@]}"; do
  dim=${cfg%%:*}
  batch=${cfg##*:}
  case "$dim:$batch" in
    [23]:[0-9]*) ;;
    *) die "bad config '$cfg' (want DIM:BATCH, DIM 2 or 3)" ;;
  esac
  args=(--dim "$dim" --batch "$batch" --steps "$STEPS" --threads "$THREADS" --json)

  echo "cosmogan dim $dim batch $batch threads $THREADS steps $STEPS ..." >&2
  go_json=""
  if go_out=$("$tmp/cosmogan" bench step "${args[@]}" 2>"$tmp/go.err"); then
    go_json=$(printf '%s\n' "$go_out" | json_line)
  fi
  if [ -z "$go_json" ]; then
    echo "compare.sh: cosmogan bench step ${args[*]} failed or printed no JSON line:" >&2
    cat "$tmp/go.err" >&2
    status=1
  fi

  echo "pytorch  dim $dim batch $batch threads $THREADS steps $STEPS ..." >&2
  py_json=""
  if py_out=$(${torch_env[@]+"${torch_env[@]}"} "$PYTHON" scripts/bench_torch.py "${args[@]}" 2>"$tmp/py.err"); then
    py_json=$(printf '%s\n' "$py_out" | json_line)
  fi
  if [ -z "$py_json" ]; then
    echo "compare.sh: bench_torch.py ${args[*]} failed or printed no JSON line:" >&2
    cat "$tmp/py.err" >&2
    status=1
  fi

  go_sps=n/a; py_sps=n/a; ratio=n/a; blas=n/a
  [ -n "$go_json" ] && go_sps=$(field "$go_json" samples_per_s)
  if [ -n "$py_json" ]; then
    py_sps=$(field "$py_json" samples_per_s)
    blas=$(field "$py_json" blas)
  fi
  if [ -n "$go_json" ] && [ -n "$py_json" ]; then
    ratio=$(awk -v a="$go_sps" -v b="$py_sps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    gf=$(field "$go_json" flops_per_step); pf=$(field "$py_json" flops_per_step)
    if [ "$gf" != "$pf" ]; then
      echo "compare.sh: warning: flops_per_step differs for dim $dim batch $batch: cosmogan $gf, pytorch $pf (architectures or counting rule disagree)" >&2
    fi
  fi
  rows+=("$(printf '%-4s %-6s %-8s %-18s %-18s %-8s %s' "$dim" "$batch" "$THREADS" \
    "$(fmt "$go_sps")" "$(fmt "$py_sps")" "$ratio" "$blas")")
  [ -n "$go_json" ] && raws+=("$go_json")
  [ -n "$py_json" ] && raws+=("$py_json")
done

# --- report -------------------------------------------------------------------------
echo
printf '%-4s %-6s %-8s %-18s %-18s %-8s %s\n' dim batch threads "cosmogan samples/s" \
  "pytorch samples/s" ratio "torch BLAS"
for r in ${rows[@]+"${rows[@]}"}; do echo "$r"; done
echo
echo "ratio = cosmogan / pytorch samples per second (> 1: cosmogan is faster)"
for r in ${rows[@]+"${rows[@]}"}; do
  case "$r" in
    *reference)
      echo "note: torch ran on the netlib reference BLAS (slow transposed convolutions);" \
        "see --blas-dir or apt-get install libopenblas0-pthread for a fair peer"
      break ;;
  esac
done

# --- GEMM -----------------------------------------------------------------------------
if [ "$GEMM" = 1 ]; then
  echo "gemm: cosmogan and numpy, threads $THREADS ..." >&2
  go_gemm=$("$tmp/cosmogan" bench gemm --threads "$THREADS" --steps "$STEPS" --json 2>"$tmp/go.err" |
    grep '"square' | grep "\"threads\":$THREADS[,}]" || true)
  py_gemm=$(${torch_env[@]+"${torch_env[@]}"} "$PYTHON" scripts/bench_gemm.py --threads "$THREADS" \
    --steps "$STEPS" --json 2>"$tmp/py.err" || true)
  if [ -z "$go_gemm" ] || [ -z "$py_gemm" ]; then
    echo "compare.sh: GEMM benchmark failed:" >&2
    cat "$tmp/go.err" "$tmp/py.err" >&2
    status=1
  else
    echo
    printf '%-16s %-8s %-18s %-18s %s\n' shape threads "cosmogan GFLOP/s" "numpy GFLOP/s" ratio
    while IFS= read -r gl; do
      shape=$(field "$gl" shape)
      pl=$(printf '%s\n' "$py_gemm" | grep "\"$shape\"" || true)
      [ -n "$pl" ] || continue
      gg=$(field "$gl" gflops); pg=$(field "$pl" gflops)
      printf '%-16s %-8s %-18s %-18s %s\n' "$shape" "$THREADS" "$(fmt "$gg")" "$(fmt "$pg")" \
        "$(awk -v a="$gg" -v b="$pg" 'BEGIN { printf "%.2f", a / b }')"
      raws+=("$gl" "$pl")
    done <<<"$go_gemm"
  fi
fi

echo
for j in ${raws[@]+"${raws[@]}"}; do echo "$j"; done
exit "$status"
