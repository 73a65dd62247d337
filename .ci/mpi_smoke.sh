#!/usr/bin/env bash
# MPI smoke test of package parallel: builds with -tags mpi, runs its tests
# (which start mpirun -np 3 on internal/mpicheck, check every collective,
# Abort's exit status and a singleton run), then a short all-reduce
# benchmark on 2 ranks. Installs OpenMPI with apt-get when mpirun is missing.
# Usage: .ci/mpi_smoke.sh [benchmark iterations, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev pkg-config
fi
mpirun --version | head -1
go vet -tags mpi ./parallel/...
go test -count=1 -tags mpi ./parallel/
bin=$(mktemp -d)/parallel.test
go test -c -tags mpi -o "$bin" ./parallel
# --allow-run-as-root: CI containers run as root; --oversubscribe: more
# ranks than cores is allowed; --bind-to none: ranks are not pinned.
mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 \
	"$bin" -test.run '^$' -test.bench MPI -test.benchtime "${1:-20}x"
