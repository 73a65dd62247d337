// Package slurm will read the Slurm environment, render and submit job
// scripts and handle requeue. It lands with the training-daemon issue.
package slurm
