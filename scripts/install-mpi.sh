#!/bin/sh
# What the `mpi` feature needs on the machine, installed when missing: its
# tests start `mpirun`, and rsmpi's build needs MPI's headers (found
# through `mpicc`) and libclang (bindgen). Debian / Ubuntu: apt-get;
# elsewhere this says what to install. Run by scripts/test.sh (the
# README's test command) and by .ci/run.
set -eu

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
        echo "scripts/install-mpi.sh: installing$need (for the mpi feature)" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $need >/dev/null
    fi
elif ! command -v mpirun >/dev/null 2>&1 || ! command -v mpicc >/dev/null 2>&1; then
    echo "scripts/install-mpi.sh: the mpi feature needs Open MPI (mpirun, mpicc, mpi.h) and libclang; install them" >&2
    exit 1
fi

