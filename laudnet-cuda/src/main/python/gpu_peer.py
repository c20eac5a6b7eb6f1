#!/usr/bin/env python3
"""PyTorch peer of the LAUDNet GPU check.

Reads the static bottleneck network that the Java check exported (plan.json plus BatchNorm-folded weights, input and
Java logits as .npy; grouped 3x3 convolutions and squeeze-excitation supported), rebuilds it with torch.nn.functional
(no torchvision), compares its logits with the Java ones on the same batch, and measures the static network's latency
on the same GPU (CUDA events, warm-up, medians). Writes a Markdown section. With --numpy the forward pass runs in NumPy
instead (no torch needed): a check of the export format.
"""
import argparse
import json
import os
import statistics
import sys

import numpy as np


def load(work):
    d = os.path.join(work, "static")
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
        key = c["name"]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--work", required=True)
    ap.add_argument("--report", default=None)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--numpy", action="store_true", help="forward pass in NumPy only (format check, no timing)")
    a = ap.parse_args()
    report = a.report or os.path.join(a.work, "python-report.md")
    plan, x, java = load(a.work)
    out = ["## PyTorch peer (static network, same folded weights)", ""]
    failed = False
    if a.numpy:
        ref = forward(plan, x, numpy_ops())
        out.append("NumPy forward (float64 accumulation) at %dx%d, batch %d." % (plan["input_size"], plan["input_size"],
                                                                             x.shape[0]))
        out += ["", "| Java logits | rel. error vs NumPy | tolerance | result |", "|---|---|---|---|"]
        for name, lg in java.items():
            tol = 1e-2 if name == "tf32" else 1e-4
            err = rel_error(lg, ref)
            failed |= err > tol
            out.append("| %s | %.2e | %.0e | %s |" % (name, err, tol, "pass" if err <= tol else "FAIL"))
    else:
        import torch
        cuda = torch.cuda.is_available()
        device = "cuda" if cuda else "cpu"
        torch.backends.cudnn.benchmark = True
        ops = torch_ops(torch, device)
        out.append("torch %s, device %s%s." % (torch.__version__, device,
                                               (" (" + torch.cuda.get_device_name(0) + ")") if cuda else ""))
        out += ["", "| Java logits | PyTorch arithmetic | rel. error | tolerance | result |", "|---|---|---|---|---|"]
        xt = torch.from_numpy(x).to(device)
        for allow_tf32 in (False, True):
            torch.backends.cuda.matmul.allow_tf32 = allow_tf32
            torch.backends.cudnn.allow_tf32 = allow_tf32
            with torch.no_grad():
                ref = forward(plan, xt, ops).float().cpu().numpy()
            for name, lg in java.items():
                tol = 1e-4 if (name != "tf32" and not allow_tf32) else 1e-2
                err = rel_error(lg, ref)
                # Only FP32 against FP32 must pass; TF32 error grows with depth and is reported for information.
                strict = name != "tf32" and not allow_tf32
                failed |= strict and err > tol
                out.append("| %s | %s | %.2e | %.0e | %s |" % (name, "TF32" if allow_tf32 else "FP32", err, tol,
                                                               "pass" if err <= tol else ("FAIL" if strict else "info")))
        out.append("")
        if cuda:
            size = plan["input_size"]
            out += ["Static network latency at %dx%d, cudnn.benchmark, CUDA events, %d warm-up, median (min) of %d"
                    " runs, ms." % (size, size, a.warmup, a.runs), "",
                    "| batch | arithmetic | median ms | min ms |", "|---|---|---|---|"]
            for batch in [int(b) for b in a.batches.split(",")]:
                xb = torch.randn(batch, 3, size, size, device=device)
                for allow_tf32 in (True, False):
                    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
                    torch.backends.cudnn.allow_tf32 = allow_tf32
                    times = []
                    with torch.no_grad():
                        for i in range(a.warmup + a.runs):
                            s = torch.cuda.Event(enable_timing=True)
                            e = torch.cuda.Event(enable_timing=True)
                            s.record()
                            forward(plan, xb, ops)
                            e.record()
                            e.synchronize()
                            if i >= a.warmup:
                                times.append(s.elapsed_time(e))
                    out.append("| %d | %s | %.3f | %.3f |" % (batch, "TF32" if allow_tf32 else "FP32",
                                                              statistics.median(times), min(times)))
        else:
            out.append("Latency: not run (torch sees no CUDA device).")
    out += ["", "PyTorch peer: %s" % ("FAIL" if failed else "PASS"), ""]
    with open(report, "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
