#!/usr/bin/env bash
# Rebuilds the committed PTX of laudnet-cuda with the CUDA 11.8 toolkit (PTX ISA 7.8: every driver from R520 on can
# JIT it, for every GPU from V100, sm_70, on) and checks it with every ptxas found.
#
#   scripts/build-ptx.sh             install the toolkit when no nvcc 11.8 is found (Debian bookworm's non-free
#                                    package nvidia-cuda-toolkit 11.8.89; needs root or sudo), compile the compute_70
#                                    baseline and sm_75/80/86/89/90 into laudnet-cuda/src/main/resources/org/laudnet/
#                                    cuda/ptx/ with its manifest (toolkit release, ISA, SHA-256 of sources and PTX),
#                                    then assemble every file with each ptxas found
#   scripts/build-ptx.sh --check     no install and no compilation: only the ptxas check of the committed PTX
#
# The toolkit is a large install (about 3 GB with its libraries). NVCC=/path/to/nvcc (release 11.8) skips the search.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/laudnet-cuda/src/main/cuda"
PTX="$ROOT/laudnet-cuda/src/main/resources/org/laudnet/cuda/ptx"

die() { echo "build-ptx: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo > /dev/null 2>&1; then
        sudo "$@"
    else
        die "installing the CUDA 11.8 toolkit needs root: run as root, or install nvidia-cuda-toolkit 11.8 yourself"
    fi
}

have_nvcc_118() {
    local c
    for c in ${NVCC:-} /usr/lib/nvidia-cuda-toolkit/bin/nvcc /usr/local/cuda-11.8/bin/nvcc $(type -ap nvcc || true); do
        [ -x "$c" ] && "$c" --version 2> /dev/null | grep -q 'release 11\.8,' && return 0
    done
    return 1
}

# Debian bookworm packages CUDA 11.8 in its non-free component, which needs contrib too.
enable_non_free() {
    local f changed=0
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        if grep -q '^Components:' "$f" && ! grep -qE '^Components:.* non-free( |$)' "$f"; then
            as_root sed -i -E -e '/^Components:/{/ contrib( |$)/!s/$/ contrib/}' \
                -e '/^Components:/{/ non-free( |$)/!s/$/ non-free/}' "$f"
            changed=1
        fi
    done
    if [ -f /etc/apt/sources.list ] && grep -qE '^deb .* main' /etc/apt/sources.list \
            && ! grep -qE '^deb .* non-free( |$)' /etc/apt/sources.list; then
        as_root sed -i -E -e '/^deb /{/ contrib( |$)/!s/$/ contrib/}' \
            -e '/^deb /{/ non-free( |$)/!s/$/ non-free/}' /etc/apt/sources.list
        changed=1
    fi
    [ $changed = 1 ] && echo "build-ptx: enabled the contrib and non-free components in the apt sources"
    return 0
}

install_toolkit() {
    command -v apt-get > /dev/null 2>&1 || die "no nvcc 11.8 and no apt-get: install the CUDA 11.8 toolkit and set NVCC"
    echo "build-ptx: installing nvidia-cuda-toolkit (CUDA 11.8) from Debian non-free"
    enable_non_free
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nvidia-cuda-toolkit
    have_nvcc_118 || die "nvidia-cuda-toolkit installed, but no nvcc of release 11.8 was found afterwards"
}

# Every ptxas on this machine, once per build (wrapper scripts and links of one binary count once).
ptxas_list() {
    local c build seen=""
    for c in /usr/lib/nvidia-cuda-toolkit/bin/ptxas /usr/local/cuda*/bin/ptxas $(type -ap ptxas || true); do
        [ -x "$c" ] || continue
        build="$("$c" --version 2> /dev/null | sed -n 's/^Build //p')"
        case " $seen " in *" $build "*) continue ;; esac
        seen="$seen $build"
        echo "$c"
    done
}

# The real GPU architectures a ptxas accepts for --gpu-name.
ptxas_archs() {
    "$1" --help | awk '/^--gpu-name/ { f = 1 } f && /Default value/ { f = 0 } f' | grep -oE "'sm_[0-9]+'" | tr -d "'" \
        | sort -u | tr '\n' ' '
}

check_ptx() {
    local f isa target ptxas archs arch ok=0 failed=0
    for f in "$PTX"/laudnet_*.ptx; do
        isa="$(sed -n 's/^\.version \([0-9]*\.[0-9]*\)$/\1/p' "$f" | head -1)"
        target="$(sed -n 's/^\.target \(sm_[0-9]*\)$/\1/p' "$f" | head -1)"
        echo "build-ptx: $(basename "$f"): .version $isa, .target $target"
        awk -v v="$isa" 'BEGIN { split(v, p, "."); exit !(p[1] < 7 || (p[1] == 7 && p[2] <= 8)) }' \
            || { echo "build-ptx: $(basename "$f") declares PTX ISA $isa, above 7.8" >&2; failed=1; }
    done
    while IFS= read -r ptxas; do
        archs="$(ptxas_archs "$ptxas")"
        echo "build-ptx: $ptxas ($("$ptxas" --version | sed -n 's/.*\(release [0-9.]*\).*/\1/p')) supports $archs"
        for f in "$PTX"/laudnet_*.ptx; do
            target="$(sed -n 's/^\.target \(sm_[0-9]*\)$/\1/p' "$f" | head -1)"
            for arch in $target $( [ "$(basename "$f")" = laudnet_compute_70.ptx ] && echo sm_90 ); do
                case " $archs " in *" $arch "*) ;; *) continue ;; esac
                if "$ptxas" -arch="$arch" -o /dev/null "$f"; then
                    ok=$((ok + 1))
                else
                    echo "build-ptx: $ptxas failed to assemble $(basename "$f") for $arch" >&2
                    failed=1
                fi
            done
        done
    done < <(ptxas_list)
    echo "build-ptx: $ok ptxas assemblies passed"
    [ $failed = 0 ]
}

case "${1:-}" in
    --check)
        check_ptx
        ;;
    "")
        have_nvcc_118 || install_toolkit
        rm -f "$PTX"/laudnet_*.ptx "$PTX/ptx-manifest.properties"
        bash "$SRC/build-ptx.sh" "$SRC" "$PTX" --require
        check_ptx
        ;;
    *)
        echo "usage: $0 [--check]" >&2
        exit 2
        ;;
esac
