#!/usr/bin/env bash
# Judges a 2D generator, and optionally its autoencoder, on simulations they
# never saw, as the fidelity model in models/2d/ was judged: 32 simulations
# made with a seed no training run uses (99), 25 crops of 64² from each;
# against them 800 samples of the generator, with the noise floors of the
# real set split by simulation and the memorization check against crops of
# the training simulations; and, with an AE checkpoint, the reconstructions
# of those crops (paired: Dice, Fig. 10).
#
#   scripts/fidelity-eval.sh GAN_CKPT OUT_DIR [AE_CKPT]
#
# GAN_CKPT: a checkpoint with a generator (gan-best.ckpt, models/2d/gan.ckpt);
# AE_CKPT: an autoencoder checkpoint (ae-final.ckpt, models/2d/ae.ckpt).
# TRAIN_GLOB (environment): the training simulations, default
# sims/fidelity-2d/sim_*_density.npy. Uses ./cosmogan if it exists, else
# cosmogan on the PATH (COSMOGAN overrides). The unseen simulations are made
# once, in sims/unseen-2d (a few minutes).
set -euo pipefail
usage="usage: scripts/fidelity-eval.sh GAN_CKPT OUT_DIR [AE_CKPT]"
gan=${1:?$usage}
out=${2:?$usage}
ae=${3:-}
train=${TRAIN_GLOB:-sims/fidelity-2d/sim_*_density.npy}
bin=${COSMOGAN:-$([ -x ./cosmogan ] && echo ./cosmogan || echo cosmogan)}
unseen=sims/unseen-2d
mkdir -p "$out"
if [ "$(ls "$unseen"/sim_*_density.npy 2>/dev/null | wc -l)" -lt 32 ]; then
	"$bin" simulate --dim 2 --particles 512 --mesh 512 --grid 256 --n 32 --seed 99 --out "$unseen"
fi
"$bin" crops --in "$unseen/sim_*_density.npy" --size 64 --per-field 25 --seed 1 --out "$out/unseen.npy"
"$bin" crops --in "$train" --size 64 --per-field 10 --seed 2 --out "$out/train.npy"
"$bin" generate --checkpoint "$gan" --n 800 --seed 3 --out "$out/generated.npy"
"$bin" eval --real "$out/unseen.npy" --real-fields 32 --fake "$out/generated.npy" --train "$out/train.npy" \
	--transform eq1 --out "$out/gan"
if [ -n "$ae" ]; then
	"$bin" reconstruct --checkpoint "$ae" --in "$out/unseen.npy" --space transformed --out "$out/reconstructed.npy"
	"$bin" eval --real "$out/unseen.npy" --real-fields 32 --fake "$out/reconstructed.npy" --paired \
		--transform eq1 --out "$out/ae"
fi
