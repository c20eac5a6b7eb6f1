package org.laudnet.bench.network;

/** The explanatory section of the {@code bench network} report: where each mode's time goes and how it is measured. */
final class NetworkExplanation {

    private NetworkExplanation() {}

    /** Markdown text, ending in a newline. */
    static final String TEXT = """
            ## How to read the numbers

            **What is timed.** One call of each network on a batch of the given size, wall clock, after warm-up: the
            gated network through the engine's executors (`PathPolicy.AUTO`: per block and call, the measured cost
            model picks the cheaper of the dense path and the best sparse path at the call's actual densities), the
            static network (no gates) through the same executors, and the static network's own DJL blocks (eager
            PyTorch operations, batch norm unfolded): what a Java user would run instead. With `--peer-onnx` an ONNX
            Runtime session of the exported static network (float[] in and out) runs in the same rounds. The
            latency ratio compares the gated network with the static one through the same executors, so that the
            executors' own overhead cancels; `ratio_vs_djl` and `ratio_vs_peer` say whether the gated network is
            also faster than what one would otherwise run.

            **Where each mode's time goes** (the profile table; phases are the engine's `PhaseTimer` laps, summed
            over the blocks of one call):

            - `gate`: the maskers and the read-back of their decisions. A spatial masker is an average pool of
              the input to its cells and a 1x1 product to `2 gs` logits on them (an uneven grid: the product
              first, pooled on the host); layer and channel maskers pool the input globally first. This is the
              whole extra cost of a gated network when every gate is open (density 1.0: every block then runs the
              plain dense path).
            - `index`: the path choice (the cost model's features from the masks) and, for spatial paths, the
              host-side index tables (built once per call and mask, cached by content) and the channels-last copy of
              the identity that the output is accumulated in.
            - `identity`: the downsample projection of a stage's first block.
            - `conv1`, `conv2`, `conv3`: the branch's convolutions; for the spatial row schedule conv1 includes the
              row gather of the dilated mask's pixels, conv2 the im2col gather of the active output positions.
            - `gather` / `scatter`: moving samples (layer), rows (spatial) or the output between layouts; for the
              spatial paths `scatter` is the final ReLU and the copy of the channels-last accumulator back to NCHW.
            - `se`: squeeze-excitation (RegNetY).
            - `stem`, `head`: the network's stem and classifier, the same in every mode.

            Layer skipping saves a whole block per closed sample and costs little beyond the masker. Channel skipping
            runs the branch with weight slices of the kept groups, per distinct group pattern of the batch (at batch
            > 1 several patterns mean several sub-batches). Spatial skipping pays fixed costs per block (two layout
            copies, the index tables, the gathers) that the saved MACs must exceed: it pays on the large early maps
            (stages 1-2, S = 4) and is left dense by the cost model where it does not (stage 4 at 7x7, S = 1).

            **Per-phase profile method.** The profile reruns each gated network at batch 1 and the profile density
            with a `PhaseTimer` on its executor; each lap records the time since the previous one, so a phase's time is
            the time of the engine operations issued in it (eager CPU operations complete before they return);
            `stem` and `head` are the network's first convolution (and pooling) and its pooling and classifier. The
            table shows the fastest timed call (the least disturbed by other processes); `total` is that call's wall
            clock, which also holds the executor's glue between the phases.

            **Re-running.** Figures depend on the machine and its load: compare ratios measured in one run only, and
            re-run on a quiet machine with the command at the top (about 25 minutes for ResNet-50, batches 1 and 8,
            four modes and four densities on 2 cores, most of it the calibration of each mode at batch 8).
            """;
}
