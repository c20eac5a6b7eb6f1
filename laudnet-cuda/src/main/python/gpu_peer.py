#!/usr/bin/env python3
"""PyTorch peer of the LAUDNet GPU check.

Reads the static networks that the Java check exported (one folder per network under --work, each with plan.json plus
BatchNorm-folded weights, input and Java logits as .npy; grouped 3x3 convolutions and squeeze-excitation supported),
rebuilds each with torch.nn.functional (no torchvision), compares its logits with the Java ones on the same batch, and
measures the static network's latency on the same GPU with cuDNN: host-to-host (input upload, forward pass, logits
download: what the Java latency measures) and GPU time (CUDA events). Then it sets the Java latencies
(java-latency.csv) against the targets. Writes a Markdown section and peer-latency.csv. With --numpy the forward pass
runs in NumPy instead (no torch needed): a check of the export format.
"""
import argparse
import csv
import json
import os
import statistics
import sys
import time

import numpy as np

# Targets: LAUD ResNet-101, layer gates at density 0.5, batch 64, against our static network and PyTorch/cuDNN's.
TARGET_NETWORK = "ResNet-101"
TARGET_BATCH = 64
TARGET_DENSITY = 0.5
TARGET_VS_STATIC = 0.6
TARGET_VS_PEER = 0.7


def networks(work):
    """The exported network folders, ResNet-101 first (the targets' network), then the others by name."""
    found = [d for d in sorted(os.listdir(work)) if os.path.isfile(os.path.join(work, d, "plan.json"))]
    return sorted(found, key=lambda d: (d != "resnet101", d))


def load(work, folder):
    d = os.path.join(work, folder)
    with open(os.path.join(d, "plan.json")) as f:
        plan = json.load(f)

    def conv(c):
        if c is None:
            return None
        w = np.load(os.path.join(d, c["name"] + "_w.npy"))
        b = np.load(os.path.join(d, c["name"] + "_b.npy"))
        return dict(c, w=w, b=b)

    plan["stem"] = conv(plan["stem"])
    plan["head"] = conv(plan["head"])
    blocks = []
    for blk in plan["blocks"]:
        b = {k: conv(blk.get(k)) for k in ("conv1", "conv2", "conv3", "downsample")}
        se = blk.get("se")
        b["se"] = None if se is None else {"fc1": conv(se["fc1"]), "fc2": conv(se["fc2"])}
        blocks.append(b)
    plan["blocks"] = blocks
    plan.setdefault("name", folder)
    x = np.load(os.path.join(d, "input.npy"))
    logits = {}
    for name in plan.get("java_logits", ["fp32", "tf32", "cpu"]):
        p = os.path.join(d, "java_logits_%s.npy" % name)
        if os.path.exists(p):
            logits[name] = np.load(p)
    return plan, x, logits


def forward(plan, x, ops):
    """The static bottleneck network: stem conv + ReLU, optional max pool, blocks (optional squeeze-excitation
    between conv2 and conv3), global average pool, linear head."""
    conv, relu, maxpool, gap, linear, sigmoid = ops
    s = plan["stem"]
    h = relu(conv(x, s))
    if plan["max_pool_padding"] >= 0:
        h = maxpool(h, plan["max_pool_padding"])
    for blk in plan["blocks"]:
        identity = conv(h, blk["downsample"]) if blk["downsample"] is not None else h
        y = relu(conv(h, blk["conv1"]))
        y = relu(conv(y, blk["conv2"]))
        se = blk["se"]
        if se is not None:
            z = sigmoid(linear(relu(linear(gap(y), se["fc1"])), se["fc2"]))
            y = y * z[:, :, None, None]
        y = conv(y, blk["conv3"])
        h = relu(y + identity)
    return linear(gap(h), plan["head"])


def numpy_ops():
    from numpy.lib.stride_tricks import sliding_window_view

    def conv(x, c):
        w, b, s, p, g = c["w"], c["b"], c["stride"], c["padding"], c["groups"]
        k = w.shape[2]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s].astype(np.float64)
        cin, cout = x.shape[1] // g, w.shape[0] // g
        parts = [np.einsum("bchwij,ocij->bohw", win[:, q * cin:(q + 1) * cin], w[q * cout:(q + 1) * cout]
                           .astype(np.float64)) for q in range(g)]
        y = np.concatenate(parts, axis=1)
        return (y + b[None, :, None, None]).astype(np.float32)

    def maxpool(x, p):
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        return sliding_window_view(xp, (3, 3), axis=(2, 3))[:, :, ::2, ::2].max(axis=(4, 5))

    def linear(v, c):
        w = c["w"].reshape(c["w"].shape[0], -1).astype(np.float64)
        return (v.astype(np.float64) @ w.T + c["b"]).astype(np.float32)

    return (conv, lambda v: np.maximum(v, 0), maxpool, lambda v: v.mean(axis=(2, 3), dtype=np.float64)
            .astype(np.float32), linear, lambda v: (1 / (1 + np.exp(-v.astype(np.float64)))).astype(np.float32))


def torch_ops(torch, device):
    import torch.nn.functional as F
    cache = {}

    def tensors(c):
        key = id(c)
        if key not in cache:
            cache[key] = (torch.from_numpy(c["w"]).to(device), torch.from_numpy(c["b"]).to(device))
        return cache[key]

    def conv(x, c):
        w, b = tensors(c)
        return F.conv2d(x, w, b, c["stride"], c["padding"], 1, c["groups"])

    def linear(v, c):
        w, b = tensors(c)
        return F.linear(v, w.reshape(w.shape[0], -1), b)

    return (conv, F.relu, lambda v, p: F.max_pool2d(v, 3, 2, p), lambda v: v.mean(dim=(2, 3)), linear,
            torch.sigmoid)


def rel_error(got, ref):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape or not np.all(np.isfinite(got)):
        return float("inf")
    return float(np.max(np.abs(got - ref)) / max(np.max(np.abs(ref)), 1e-12))


def set_tf32(torch, on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def targets(work, peer_rows):
    """The targets table: Java AUTO latency of LAUD ResNet-101 (layer, density 0.5, batch 64) against Java's static
    network and the PyTorch peer's, per arithmetic; ResNet-50 and the other modes beside it for information."""
    java = read_csv(os.path.join(work, "java-latency.csv"))
    out = ["### Targets", ""]
    if not java:
        out += ["Not measured: the Java part wrote no latency (no GPU, or it stopped before its latency part).", ""]
        return out
    out += ["Java AUTO latency of each LAUD variant at density %.1f, batch %d, over the same network's static latency"
            " (Java) and over the static network on PyTorch/cuDNN (host-to-host, same arithmetic). Targets for"
            " %s layer: <= %.1f x Java static and <= %.1f x PyTorch static." % (TARGET_DENSITY, TARGET_BATCH,
                                                                                 TARGET_NETWORK, TARGET_VS_STATIC,
                                                                                 TARGET_VS_PEER), "",
            "| network | variant | arithmetic | LAUD ms | Java static ms | ratio | PyTorch static ms | ratio | target |",
            "|---|---|---|---|---|---|---|---|---|"]
    peer = {(r["network"], int(r["batch"]), r["precision"]): float(r["h2h_ms"]) for r in peer_rows}
    for r in java:
        if int(r["batch"]) != TARGET_BATCH or r["mode"] == "NONE" or abs(float(r["density"]) - TARGET_DENSITY) > 1e-6:
            continue
        static = [s for s in java if s["network"] == r["network"] and s["batch"] == r["batch"]
                  and s["precision"] == r["precision"] and s["mode"] == "NONE"]
        laud = float(r["auto_ms"])
        st = float(static[0]["auto_ms"]) if static else float("nan")
        pt = peer.get((r["network"], TARGET_BATCH, r["precision"]), float("nan"))
        verdict = "-"
        if r["network"] == TARGET_NETWORK and r["mode"] == "LAYER":
            met = laud / st <= TARGET_VS_STATIC and laud / pt <= TARGET_VS_PEER
            verdict = "met" if met else "not met"
        out.append("| %s | %s | %s | %.3f | %.3f | %.2f | %.3f | %.2f | %s |" % (
            r["network"], r["variant"], r["precision"], laud, st, laud / st, pt, laud / pt, verdict))
    out.append("")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", required=True)
    ap.add_argument("--report", default=None)
    ap.add_argument("--runs", type=int, default=20, help="timed runs of a batch below 16")
    ap.add_argument("--runs-large", type=int, default=10, help="timed runs of a batch of 16 or more")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batches", default="64,1")
    ap.add_argument("--time-limit-s", type=float, default=45.0, help="latency measurements stop after this")
    ap.add_argument("--numpy", action="store_true", help="forward pass in NumPy only (format check, no timing)")
    a = ap.parse_args()
    start = time.monotonic()
    report = a.report or os.path.join(a.work, "python-report.md")
    folders = networks(a.work)
    out = ["## PyTorch peer (static networks, same folded weights)", ""]
    failed = not folders
    if not folders:
        out.append("No exported network found in %s." % a.work)
    loaded = {f: load(a.work, f) for f in folders}
    peer_rows = []
    if a.numpy:
        out += ["NumPy forward (float64 accumulation) of each exported network.", "",
                "| network | input | Java logits | rel. error vs NumPy | tolerance | result |", "|---|---|---|---|---|---|"]
        for f in folders:
            plan, x, java = loaded[f]
            ref = forward(plan, x, numpy_ops())
            for name, lg in java.items():
                tol = 1e-2 if name == "tf32" else 1e-4
                err = rel_error(lg, ref)
                failed |= err > tol
                out.append("| %s | %dx%d, batch %d | %s | %.2e | %.0e | %s |" % (
                    plan["name"], plan["input_size"], plan["input_size"], x.shape[0], name, err, tol,
                    "pass" if err <= tol else "FAIL"))
        out.append("")
    else:
        import torch
        cuda = torch.cuda.is_available()
        device = "cuda" if cuda else "cpu"
        torch.backends.cudnn.benchmark = True
        out.append("torch %s, cuDNN %s, device %s%s." % (
            torch.__version__, torch.backends.cudnn.version(), device,
            (" (" + torch.cuda.get_device_name(0) + ")") if cuda else ""))
        out += ["", "| network | Java logits | PyTorch arithmetic | rel. error | tolerance | result |",
                "|---|---|---|---|---|---|"]
        ops = {}
        for f in folders:
            plan, x, java = loaded[f]
            ops[f] = torch_ops(torch, device)
            xt = torch.from_numpy(x).to(device)
            for allow_tf32 in (False, True):
                set_tf32(torch, allow_tf32)
                with torch.no_grad():
                    ref = forward(plan, xt, ops[f]).float().cpu().numpy()
                for name, lg in java.items():
                    tol = 1e-4 if (name != "tf32" and not allow_tf32) else 1e-2
                    err = rel_error(lg, ref)
                    # Only FP32 against FP32 must pass; TF32 error grows with depth and is reported for information.
                    strict = name != "tf32" and not allow_tf32
                    failed |= strict and err > tol
                    out.append("| %s | %s | %s | %.2e | %.0e | %s |" % (
                        plan["name"], name, "TF32" if allow_tf32 else "FP32", err, tol,
                        "pass" if err <= tol else ("FAIL" if strict else "info")))
        out.append("")
        if cuda:
            out += ["Static network latency, cudnn.benchmark, median (min) in ms; host-to-host: input upload, forward,"
                    " logits download (what the Java latency measures); GPU: CUDA events around the forward pass."
                    " %d warm-up calls, then %d runs (batches of 16 or more: %d). Measurements stop %.0f s after the"
                    " peer started." % (a.warmup, a.runs, a.runs_large, a.time_limit_s), "",
                    "| network | batch | arithmetic | host-to-host ms | GPU ms |", "|---|---|---|---|---|"]
            for batch in [int(b) for b in a.batches.split(",")]:
                for f in folders:
                    plan = loaded[f][0]
                    size = plan["input_size"]
                    xh = np.random.default_rng(3).standard_normal((batch, 3, size, size)).astype(np.float32)
                    for allow_tf32, label in ((True, "TF32"), (False, "FP32")):
                        if time.monotonic() - start > a.time_limit_s:
                            out.append("| %s | %d | %s | skipped (time limit) | |" % (plan["name"], batch, label))
                            continue
                        set_tf32(torch, allow_tf32)
                        runs = a.runs_large if batch >= 16 else a.runs
                        h2h, gpu = [], []
                        with torch.no_grad():
                            for i in range(a.warmup + runs):
                                t0 = time.perf_counter()
                                xd = torch.from_numpy(xh).to(device)
                                s = torch.cuda.Event(enable_timing=True)
                                e = torch.cuda.Event(enable_timing=True)
                                s.record()
                                y = forward(plan, xd, ops[f])
                                e.record()
                                y.cpu()
                                t1 = time.perf_counter()
                                e.synchronize()
                                if i >= a.warmup:
                                    h2h.append((t1 - t0) * 1e3)
                                    gpu.append(s.elapsed_time(e))
                        out.append("| %s | %d | %s | %.3f (%.3f) | %.3f (%.3f) |" % (
                            plan["name"], batch, label, statistics.median(h2h), min(h2h), statistics.median(gpu),
                            min(gpu)))
                        peer_rows.append({"network": plan["name"], "batch": batch, "precision": label,
                                          "h2h_ms": statistics.median(h2h), "h2h_min_ms": min(h2h),
                                          "gpu_ms": statistics.median(gpu)})
            out.append("")
        else:
            out += ["Latency: not run (torch sees no CUDA device).", ""]
    with open(os.path.join(a.work, "peer-latency.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["network", "batch", "precision", "h2h_ms", "h2h_min_ms", "gpu_ms"])
        w.writeheader()
        for r in peer_rows:
            w.writerow(r)
    out += targets(a.work, peer_rows)
    out += ["PyTorch peer: %s (%.1f s)" % ("FAIL" if failed else "PASS", time.monotonic() - start), ""]
    with open(report, "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
