#!/bin/sh
# The tests, on a fresh machine (the README's test command; .ci/run runs
# the same two steps): what the `mpi` feature needs, installed when missing
# (scripts/install-mpi.sh), then every feature that builds without a GPU:
# `cuda` (its GPU tests skip without one) and `mpi`. Extra arguments go to
# `cargo test`.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-mpi.sh
exec cargo test --workspace --features cuda,mpi "$@"
