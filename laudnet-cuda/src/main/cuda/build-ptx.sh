#!/usr/bin/env bash
# Compiles the CUDA kernels to PTX with the CUDA 11.8 toolkit (PTX ISA 7.8, loadable by every driver from R520 on):
# the compute_70 baseline plus sm_75, sm_80, sm_86, sm_89 and sm_90.
#
# usage: build-ptx.sh SOURCE_DIR OUT_DIR [--require]
#
# Writes OUT_DIR/laudnet_<target>.ptx and OUT_DIR/ptx-manifest.properties (toolkit release, ISA, flags, SHA-256 of
# every kernel source and PTX file). The nvcc used is $NVCC when set, else the first nvcc of release 11.8 found in
# /usr/lib/nvidia-cuda-toolkit/bin, /usr/local/cuda-11.8/bin or on PATH. Without one it says so and exits 0 (the
# committed PTX then stands), or 3 with --require. When OUT_DIR already holds the output of the same nvcc for the same
# sources it does nothing.
#
# Maven runs it at process-resources with OUT_DIR = target/generated-ptx, where PtxResourcesTest compares the fresh
# PTX with the committed copies; the jar always ships the committed PTX. scripts/build-ptx.sh installs the toolkit
# and refreshes the committed copies with it.
set -euo pipefail

RELEASE="11.8"
TARGETS="compute_70 sm_75 sm_80 sm_86 sm_89 sm_90"
NVCC_FLAGS=(-ptx -O3 -std=c++17)

src_dir="$1"
out_dir="$2"
require="${3:-}"

release_of() {
    "$1" --version 2> /dev/null | sed -n 's/.*release \([0-9.]*\),.*/\1/p'
}

find_nvcc() {
    local c
    local candidates=()
    [ -n "${NVCC:-}" ] && candidates+=("$NVCC")
    candidates+=(/usr/lib/nvidia-cuda-toolkit/bin/nvcc "/usr/local/cuda-$RELEASE/bin/nvcc")
    while IFS= read -r c; do candidates+=("$c"); done < <(type -ap nvcc 2> /dev/null || true)
    for c in "${candidates[@]}"; do
        if [ -x "$c" ] && [ "$(release_of "$c")" = "$RELEASE" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

sha() {
    sha256sum "$1" | cut -d' ' -f1
}

if ! nvcc="$(find_nvcc)"; then
    echo "[laudnet-cuda] no nvcc of CUDA $RELEASE found (scripts/build-ptx.sh installs it): using the committed PTX"
    [ "$require" = "--require" ] && exit 3
    exit 0
fi

nvcc_version="$("$nvcc" --version | sed -n 's/.*release [0-9.]*, \(V[0-9.]*\).*/\1/p')"
sources=$(cd "$src_dir" && find . -maxdepth 1 -type f \( -name "*.cu" -o -name "*.cuh" \) -printf "%f\n" | LC_ALL=C sort)
manifest="$out_dir/ptx-manifest.properties"
if [ -f "$manifest" ] && grep -qx "nvcc.version=$nvcc_version" "$manifest"; then
    fresh=1
    for f in $sources; do
        grep -qx "source.$f=$(sha "$src_dir/$f")" "$manifest" || fresh=0
    done
    for t in $TARGETS; do
        [ -f "$out_dir/laudnet_$t.ptx" ] || fresh=0
    done
    if [ $fresh = 1 ]; then
        echo "[laudnet-cuda] PTX in $out_dir is up to date (nvcc $nvcc_version)"
        exit 0
    fi
fi

mkdir -p "$out_dir"
for t in $TARGETS; do
    "$nvcc" "${NVCC_FLAGS[@]}" -arch="$t" -o "$out_dir/laudnet_$t.ptx" "$src_dir/laudnet_kernels.cu"
done

toolkit="nvcc $nvcc_version"
if command -v dpkg-query > /dev/null 2>&1 && dpkg-query -S "$(readlink -f "$nvcc")" > /dev/null 2>&1; then
    pkg="$(dpkg-query -S "$(readlink -f "$nvcc")" | head -1 | cut -d: -f1)"
    toolkit="$pkg $(dpkg-query -W -f='${Version}' "$pkg") (Debian package), nvcc $nvcc_version"
fi
isa="$(sed -n 's/^\.version \([0-9.]*\)$/\1/p' "$out_dir/laudnet_compute_70.ptx" | head -1)"
{
    echo "# PTX of the LAUDNet kernels; regenerate with scripts/build-ptx.sh"
    echo "toolkit=$toolkit"
    echo "nvcc.release=$RELEASE"
    echo "nvcc.version=$nvcc_version"
    echo "nvcc.flags=${NVCC_FLAGS[*]}"
    echo "ptx.isa=$isa"
    echo "targets=$(echo $TARGETS | tr ' ' ',')"
    for f in $sources; do
        echo "source.$f=$(sha "$src_dir/$f")"
    done
    for t in $TARGETS; do
        echo "ptx.$t=$(sha "$out_dir/laudnet_$t.ptx")"
    done
} > "$manifest"
echo "[laudnet-cuda] nvcc $nvcc_version ($nvcc) compiled PTX ISA $isa for $TARGETS into $out_dir"
