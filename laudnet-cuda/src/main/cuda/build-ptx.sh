#!/usr/bin/env bash
# Compiles the CUDA kernels to PTX for every shipped architecture.
#
# usage: build-ptx.sh SOURCE_DIR BUILD_DIR [--update-committed RESOURCE_PTX_DIR]
#
# With nvcc on PATH it writes BUILD_DIR/generated-ptx/laudnet_sm_XX.ptx plus a manifest, and copies the PTX over the
# committed copies in BUILD_DIR/classes/org/laudnet/cuda/ptx/ (the copies the jar ships). Without nvcc it leaves the
# committed PTX in place and says so. --update-committed additionally refreshes the committed PTX and manifest.
set -euo pipefail

ARCHES="75 80 86 89 90"
NVCC_FLAGS=(-ptx -O3 -std=c++17)

src_dir="$1"
build_dir="$2"
update_dir=""
if [[ $# -ge 4 && "$3" == "--update-committed" ]]; then
    update_dir="$4"
fi

gen_dir="$build_dir/generated-ptx"
rm -rf "$gen_dir"

if ! command -v nvcc > /dev/null 2>&1; then
    echo "[laudnet-cuda] nvcc not on PATH: using the committed PTX"
    exit 0
fi

mkdir -p "$gen_dir"
nvcc_version="$(nvcc --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')"
for arch in $ARCHES; do
    nvcc "${NVCC_FLAGS[@]}" -arch="sm_$arch" -o "$gen_dir/laudnet_sm_$arch.ptx" "$src_dir/laudnet_kernels.cu"
done

manifest="$gen_dir/ptx-manifest.properties"
{
    echo "# PTX of the LAUDNet kernels; regenerate with src/main/cuda/build-ptx.sh"
    echo "nvcc.release=$nvcc_version"
    echo "nvcc.flags=${NVCC_FLAGS[*]}"
    echo "arches=$(echo $ARCHES | tr ' ' ',')"
    for f in $(cd "$src_dir" && ls *.cu *.cuh 2> /dev/null | LC_ALL=C sort); do
        echo "source.$f=$(sha256sum "$src_dir/$f" | cut -d' ' -f1)"
    done
    for arch in $ARCHES; do
        echo "ptx.sm_$arch=$(sha256sum "$gen_dir/laudnet_sm_$arch.ptx" | cut -d' ' -f1)"
    done
} > "$manifest"

class_dir="$build_dir/classes/org/laudnet/cuda/ptx"
mkdir -p "$class_dir"
cp "$gen_dir"/laudnet_sm_*.ptx "$class_dir/"
echo "[laudnet-cuda] nvcc $nvcc_version compiled PTX for sm_${ARCHES// /, sm_}"

if [[ -n "$update_dir" ]]; then
    mkdir -p "$update_dir"
    cp "$gen_dir"/laudnet_sm_*.ptx "$manifest" "$update_dir/"
    echo "[laudnet-cuda] refreshed the committed PTX in $update_dir"
fi
