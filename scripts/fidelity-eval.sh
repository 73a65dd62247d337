#!/usr/bin/env bash
# Judges a 2D generator on simulations it never saw, as the fidelity model in
# models/2d/ was judged: 32 simulations made with a seed no training run uses
# (99), 25 crops of 64² from each, against 800 samples of the generator, with
# the noise floors of the real set split by simulation, and the memorization
# check against crops of the training simulations.
#
#   scripts/fidelity-eval.sh CHECKPOINT OUT_DIR [TRAIN_GLOB]
#
# CHECKPOINT: a checkpoint with a generator (gan-best.ckpt, models/2d/gan.ckpt).
# TRAIN_GLOB: the training simulations (default sims/fidelity-2d/sim_*_density.npy).
# Uses ./cosmogan if it exists, else cosmogan on the PATH (COSMOGAN overrides).
# The unseen simulations are made once, in sims/unseen-2d (a few minutes).
set -euo pipefail
ckpt=${1:?usage: scripts/fidelity-eval.sh CHECKPOINT OUT_DIR [TRAIN_GLOB]}
out=${2:?usage: scripts/fidelity-eval.sh CHECKPOINT OUT_DIR [TRAIN_GLOB]}
train=${3:-sims/fidelity-2d/sim_*_density.npy}
bin=${COSMOGAN:-$( [ -x ./cosmogan ] && echo ./cosmogan || echo cosmogan )}
unseen=sims/unseen-2d
mkdir -p "$out"
if [ "$(ls "$unseen"/sim_*_density.npy 2>/dev/null | wc -l)" -lt 32 ]; then
	"$bin" simulate --dim 2 --particles 512 --mesh 512 --grid 256 --n 32 --seed 99 --out "$unseen"
fi
"$bin" crops --in "$unseen/sim_*_density.npy" --size 64 --per-field 25 --seed 1 --out "$out/unseen.npy"
"$bin" crops --in "$train" --size 64 --per-field 10 --seed 2 --out "$out/train.npy"
"$bin" generate --checkpoint "$ckpt" --n 800 --seed 3 --out "$out/generated.npy"
"$bin" eval --real "$out/unseen.npy" --real-fields 32 --fake "$out/generated.npy" --train "$out/train.npy" --transform eq1 --out "$out"
