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
     * Checks and passes one image tensor.
     *
     * @throws IllegalArgumentException if the tensor does not have the network's input shape
     */
    @Override
    public NDList processInput(TranslatorContext ctx, NDArray input) {
        if (input == null || !input.getShape().equals(shape)) {
            throw new IllegalArgumentException("input must have shape " + shape + ", got "
                    + (input == null ? "null" : input.getShape()));
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
