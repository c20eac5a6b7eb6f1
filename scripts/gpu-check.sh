#!/usr/bin/env bash
# Self-contained GPU check of laudnet-cuda (see docs/gpu-check.md).
#
#   scripts/gpu-check.sh bundle    build .gpu-bundle/ here: a jlink Java runtime, the laudnet-cuda jar with its PTX,
#                                  laudnet-core with DJL's api jar and gson (no engine native), the JCuda jars with
#                                  natives, SLF4J, and the PyTorch peer script (< 60 MB)
#   scripts/gpu-check.sh run       on the GPU machine, from the repository root, with .gpu-bundle/ present (under 5
#                                  minutes): every CUDA primitive vs the reference, seeded LAUD ResNet-50 and
#                                  RegNetY-800MF in every gate mode (and ResNet-18/34/101, RegNetY-400MF) on the CUDA
#                                  backend vs the reference backend, latency of static and LAUD ResNet-101/50, the
#                                  PyTorch/cuDNN peer and the targets; writes docs/results/gpu.md (and copies it with
#                                  the logs into $OUT when set)
#   scripts/gpu-check.sh dry-run   the bundle's Java part with --dry-run plus the peer's NumPy format check: no GPU,
#                                  no torch needed; writes laudnet-cuda/target/gpu-work/dry-run.md
#
# Environment: GPU_BUNDLE (bundle folder, default .gpu-bundle), GPU_WORK (scratch, default
# laudnet-cuda/target/gpu-work), GPU_CHECK_ARGS (extra GpuCheck options, e.g. "--batches 1 --runs 10"),
# GPU_PEER_ARGS (extra gpu_peer.py options, e.g. "--batches 64").
#
# Time budget of `run` (5 minutes in all): the Java part is stopped after JAVA_TIMEOUT_S (its latency measurements stop
# at LATENCY_LIMIT_S and report the rest as skipped), the peer after PEER_TIMEOUT_S (its timing stops at
# PEER_LIMIT_S).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="${GPU_BUNDLE:-$ROOT/.gpu-bundle}"
WORK="${GPU_WORK:-$ROOT/laudnet-cuda/target/gpu-work}"
MAIN=org.laudnet.cuda.check.GpuCheck
LIMIT_BYTES=$((60 * 1000 * 1000))
JAVA_TIMEOUT_S=225
LATENCY_LIMIT_S=185
PEER_TIMEOUT_S=60
PEER_LIMIT_S=45

die() { echo "gpu-check: $*" >&2; exit 1; }

bundle() {
    command -v jlink >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/jlink" ] \
        || die "jlink not found (set JAVA_HOME to a JDK 17+)"
    local jlink_bin=jlink
    [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jlink" ] && jlink_bin="$JAVA_HOME/bin/jlink"
    cd "$ROOT"
    rm -rf "$BUNDLE"
    mkdir -p "$BUNDLE/lib"
    # The folder ignores itself, so that it never ends up in a commit.
    printf '*\n' > "$BUNDLE/.gitignore"
    # Runtime classpath: laudnet-core (plans, engine, reference backend), DJL's api jar and its gson (the engine's
    # interfaces name NDArray; no engine native is loaded), JCuda with its natives, SLF4J. One reactor build packages
    # laudnet-core and laudnet-cuda and copies their dependencies (laudnet-core's jar from the reactor): nothing is
    # installed into the local Maven repository.
    local deps="$BUNDLE/deps"
    local build=(-B -q -pl laudnet-cuda -am package -DskipTests dependency:copy-dependencies -DincludeScope=test
        -DexcludeGroupIds=ai.djl.pytorch,org.junit.jupiter,org.junit.platform -DoutputDirectory="$deps")
    echo "gpu-check: building laudnet-core and laudnet-cuda"
    mvn -o "${build[@]}" || mvn "${build[@]}"
    local a f
    for a in laudnet-core api gson jcuda jcuda-natives slf4j-api slf4j-simple; do
        f=$(ls "$deps" | grep -E "^$a-[0-9]" | grep -v -e '-tests.jar' | head -1)
        [ -n "$f" ] || die "dependency $a missing from the laudnet-cuda build"
        cp "$deps/$f" "$BUNDLE/lib/"
    done
    rm -rf "$deps"
    local jar
    jar=$(ls laudnet-cuda/target/laudnet-cuda-*.jar | grep -v -e '-tests.jar' -e '-sources.jar' | head -1)
    [ -f "$jar" ] || die "laudnet-cuda jar not found"
    cp "$jar" "$BUNDLE/lib/"
    local t
    for t in compute_70 sm_75 sm_80 sm_86 sm_89 sm_90; do
        unzip -l "$jar" | grep -q "org/laudnet/cuda/ptx/laudnet_$t.ptx" || die "$jar lacks the $t PTX"
    done
    unzip -l "$jar" | grep -q 'META-INF/services/org.laudnet.core.exec.BackendProvider' \
        || die "$jar lacks the backend provider registration"
    if ls "$BUNDLE/lib" | grep -q -e pytorch -e '^jna-'; then
        die "the bundle must not carry an engine native library"
    fi
    echo "gpu-check: linking the Java runtime"
    "$jlink_bin" --add-modules java.base,java.logging,jdk.unsupported \
        --compress=2 --strip-debug --no-header-files --no-man-pages --output "$BUNDLE/jre"
    cp laudnet-cuda/src/main/python/gpu_peer.py "$BUNDLE/"
    {
        echo "laudnet-cuda GPU check bundle"
        echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        echo "java: $("$BUNDLE/jre/bin/java" -version 2>&1 | head -1)"
        echo "files:"
        (cd "$BUNDLE" && ls -1 lib gpu_peer.py)
    } > "$BUNDLE/BUNDLE-INFO.txt"
    # Smoke test of the runtime: the classes load and the CUDA probe answers.
    "$BUNDLE/jre/bin/java" -cp "$BUNDLE/lib/*" $MAIN --frobnicate >/dev/null 2>&1 && die "smoke test: bad option accepted"
    local size
    size=$(du -sb "$BUNDLE" | cut -f1)
    echo "gpu-check: bundle $BUNDLE: $((size / 1000 / 1000)) MB ($size bytes)"
    [ "$size" -lt "$LIMIT_BYTES" ] || die "bundle is $size bytes, over the 60 MB limit"
}

need_bundle() {
    [ -x "$BUNDLE/jre/bin/java" ] || die "no bundle at $BUNDLE (run 'scripts/gpu-check.sh bundle' on a build machine)"
}

dry_run() {
    need_bundle
    mkdir -p "$WORK"
    local rc=0
    # shellcheck disable=SC2086
    "$BUNDLE/jre/bin/java" -cp "$BUNDLE/lib/*" $MAIN --dry-run --check-size 32 --work "$WORK" \
        --report "$WORK/java-report.md" ${GPU_CHECK_ARGS:-} || rc=1
    python3 "$BUNDLE/gpu_peer.py" --work "$WORK" --numpy --report "$WORK/python-report.md" >/dev/null || rc=1
    cat "$WORK/java-report.md" "$WORK/python-report.md" > "$WORK/dry-run.md"
    echo "gpu-check: dry run $([ $rc = 0 ] && echo passed || echo FAILED); report $WORK/dry-run.md"
    return $rc
}

run() {
    need_bundle
    cd "$ROOT"
    rm -rf "$WORK"
    mkdir -p "$WORK" docs/results
    local start=$SECONDS java_rc=0 py_rc=0
    echo "gpu-check: Java part"
    # shellcheck disable=SC2086
    set +e
    timeout $JAVA_TIMEOUT_S "$BUNDLE/jre/bin/java" -Xmx16g -cp "$BUNDLE/lib/*" $MAIN --work "$WORK" \
        --report "$WORK/java-report.md" --time-limit-s $LATENCY_LIMIT_S ${GPU_CHECK_ARGS:-} 2>&1 | tee "$WORK/java.log"
    java_rc=${PIPESTATUS[0]}
    set -e
    echo "gpu-check: PyTorch peer"
    if ls "$WORK"/*/plan.json > /dev/null 2>&1; then
        set +e
        # shellcheck disable=SC2086
        timeout $PEER_TIMEOUT_S python3 "$BUNDLE/gpu_peer.py" --work "$WORK" --report "$WORK/python-report.md" \
            --time-limit-s $PEER_LIMIT_S ${GPU_PEER_ARGS:-} 2>&1 | tee "$WORK/python.log"
        py_rc=${PIPESTATUS[0]}
        set -e
    else
        py_rc=1
        echo "PyTorch peer not run: the Java part exported nothing" > "$WORK/python-report.md"
    fi
    if [ ! -f "$WORK/python-report.md" ]; then
        {
            echo "## PyTorch peer"
            echo
            echo "Failed with exit status $py_rc before writing its report; last lines of its log:"
            echo
            echo '```'
            tail -n 8 "$WORK/python.log" 2>/dev/null || true
            echo '```'
        } > "$WORK/python-report.md"
    fi
    local report=docs/results/gpu.md
    {
        echo "# laudnet-cuda on a GPU"
        echo
        echo "Generated by \`scripts/gpu-check.sh run\` on $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((SECONDS - start)) s."
        echo "Bundle: $(sed -n 's/^commit: //p' "$BUNDLE/BUNDLE-INFO.txt") ($(sed -n 's/^built: //p' "$BUNDLE/BUNDLE-INFO.txt"))."
        if command -v nvidia-smi >/dev/null 2>&1; then
            echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)."
        fi
        echo "Java part exit status $java_rc, PyTorch peer exit status $py_rc."
        echo
        [ -f "$WORK/java-report.md" ] && cat "$WORK/java-report.md" || echo "Java part wrote no report (status $java_rc)."
        echo
        cat "$WORK/python-report.md"
    } > "$report"
    if [ -n "${OUT:-}" ]; then
        mkdir -p "$OUT"
        cp "$report" "$OUT/gpu.md"
        cp "$WORK"/*.log "$WORK"/*-report.md "$WORK"/*.csv "$OUT/" 2>/dev/null || true
    fi
    echo "gpu-check: wrote $report in $((SECONDS - start)) s"
    [ $java_rc = 0 ] && [ $py_rc = 0 ]
}

case "${1:-}" in
    bundle) bundle ;;
    run) run ;;
    dry-run) dry_run ;;
    *) echo "usage: $0 bundle|run|dry-run" >&2; exit 2 ;;
esac
