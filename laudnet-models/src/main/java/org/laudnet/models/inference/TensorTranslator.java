package org.laudnet.models.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.exec.GateReport;

/**
 * Raw tensors in, logits out: each input is one preprocessed image {@code (C, S, S)} (float32, the network's
 * channels and size); inputs are batched by stacking; each output is the image's logits and its part of the call's
 * {@link GateReport}. Stateless and thread-safe.
 */
public final class TensorTranslator implements Translator<NDArray, GatedOutput> {

    private final Shape shape;

    /**
     * Creates the translator for a network's input.
     *
     * @param channels {@code C}
     * @param size {@code S}
     */
    public TensorTranslator(int channels, int size) {
        this.shape = new Shape(channels, size, size);
    }

    /** {@inheritDoc} */
    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    /**
     * Checks and passes one image tensor. Its values are checked once for the whole batch, by the executor: a NaN or
     * an infinity is refused there, naming the sample (the input's position in the batch).
     *
     * @throws IllegalArgumentException if the tensor does not have the network's input shape (the message says whether
     *     the rank, the channel count or the size is wrong)
     */
    @Override
    public NDList processInput(TranslatorContext ctx, NDArray input) {
        String want = "input must have shape (C, S, S) = " + shape;
        if (input == null) {
            throw new IllegalArgumentException(want + ", got null");
        }
        Shape s = input.getShape();
        if (s.dimension() != 3) {
            throw new IllegalArgumentException(want + ": got rank " + s.dimension() + " " + s
                    + " instead of rank 3 (one image; predictors stack images into a batch)");
        }
        if (s.get(0) != shape.get(0)) {
            throw new IllegalArgumentException(want + ": got " + s.get(0) + " channels instead of " + shape.get(0)
                    + " in " + s);
        }
        if (s.get(1) != shape.get(1) || s.get(2) != shape.get(2)) {
            throw new IllegalArgumentException(want + ": got " + s.get(1) + " x " + s.get(2) + " instead of the"
                    + " network's input size " + shape.get(1) + " x " + shape.get(2) + " in " + s);
        }
        return new NDList(input);
    }

    /** Splits a batch of logits into one output per image, each with its image's gate report. */
    @Override
    public List<GatedOutput> batchProcessOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.head();
        int batch = (int) logits.getShape().get(0);
        int classes = (int) logits.getShape().get(1);
        float[] v = logits.toFloatArray();
        GateReport report = (GateReport) ctx.getAttachment(LaudPredictor.GATE_REPORT);
        List<GatedOutput> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            float[] one = new float[classes];
            System.arraycopy(v, b * classes, one, 0, classes);
            out.add(new GatedOutput(one, report == null ? null : report.sample(b)));
        }
        return out;
    }

    /** Turns one image's logits into its output (the context's report must be of one image). */
    @Override
    public GatedOutput processOutput(TranslatorContext ctx, NDList list) {
        GateReport report = (GateReport) ctx.getAttachment(LaudPredictor.GATE_REPORT);
        return new GatedOutput(list.head().toFloatArray(), report);
    }
}
