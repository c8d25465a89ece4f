#!/bin/sh
# The tests, on a fresh machine (the README's test command; .ci/run runs
# it). The `mpi` feature's tests start `mpirun`, and rsmpi's build needs
# MPI's headers (found through `mpicc`) and libclang (bindgen): what is
# missing is installed from the system's package manager first (Debian /
# Ubuntu: apt-get; elsewhere the script says what to install). Then every
# feature that builds without a GPU: `cuda` (its GPU tests skip without
# one) and `mpi`. Extra arguments go to `cargo test`.
set -eu
cd "$(dirname "$0")/.."

need=""
if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    # libclang-dev, not only libclang: bindgen also needs clang's own
    # headers (stddef.h), which come with it.
    for p in openmpi-bin libopenmpi-dev libclang-dev; do
        dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
    done
    if [ -n "$need" ]; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "scripts/test.sh: installing$need (for the mpi feature)" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null
    fi
elif ! command -v mpirun >/dev/null 2>&1 || ! command -v mpicc >/dev/null 2>&1; then
    echo "scripts/test.sh: the mpi feature needs Open MPI (mpirun, mpicc, mpi.h) and libclang; install them" >&2
    exit 1
fi

exec cargo test --workspace --features cuda,mpi "$@"
