package org.laudnet.models.inference;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.util.List;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.NetworkExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.net.NetworkResult;

/**
 * A DJL {@link Predictor} of a {@link LaudModel}: the translator turns inputs into image tensors and logits into
 * outputs (its batchifier stacks {@link #batchPredict} inputs into one batch), and the forward pass runs through a
 * {@link NetworkExecutor} of the model's runtime, so the gates turn into skipped work. The call's
 * {@link GateReport} is attached to the translator context under {@value #GATE_REPORT} (the model's translators put
 * each input's part of it on its output) and kept as {@link #lastReport()}.
 *
 * <p>Not thread-safe: one predictor per thread (DJL's rule). Predictors of a model share its weights and
 * calibrations; a predictor's own state is its executor's workspaces. Close it when done.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
public final class LaudPredictor<I, O> extends Predictor<I, O> {

    /** Name of the translator-context attachment holding the call's {@link GateReport}. */
    public static final String GATE_REPORT = "laudnet.gateReport";

    private final NetworkExecutor executor;
    private GateReport lastReport;

    LaudPredictor(LaudDjlModel model, Translator<I, O> translator, PlanRuntime<?> runtime, ExecutorOptions options) {
        super(model, translator, Device.cpu(), false);
        this.executor = runtime.newExecutor(options);
    }

    /**
     * Predicts a batch of inputs (stacked into one call of the network).
     *
     * @param inputs the inputs, at least one
     * @return one output per input, in order
     * @throws TranslateException for an empty list ({@code "empty batch: batch size 0"}), or if an input is refused:
     *     the cause is then the translator's exception (an {@link ImageInputException} for a refused image, an
     *     {@link IllegalArgumentException} for a refused tensor) and the message names the problem
     */
    @Override
    public List<O> batchPredict(List<I> inputs) throws TranslateException {
        if (inputs == null || inputs.isEmpty()) {
            String problem = "empty batch: batch size 0";
            throw new TranslateException(problem, new IllegalArgumentException(problem));
        }
        return super.batchPredict(inputs);
    }

    /**
     * Runs the gated network on the batch the translator made.
     *
     * @param ctx the translator context; receives the {@link GateReport} under {@value #GATE_REPORT}
     * @param input the batch {@code (B, C, S, S)} as the first array
     * @return the logits {@code (B, classes)}
     * @throws TranslateException if the batch is invalid (wrong shape, non-finite values)
     */
    @Override
    protected NDList predictInternal(TranslatorContext ctx, NDList input) throws TranslateException {
        if (input.isEmpty()) {
            return new NDList();
        }
        NetworkExecution r;
        try {
            r = executor.run(input.head());
        } catch (IllegalArgumentException e) {
            throw new TranslateException("invalid input batch: " + e.getMessage(), e);
        }
        lastReport = r.report();
        ctx.setAttachment(GATE_REPORT, r.report());
        NDArray logits = r.logits();
        logits.setName(NetworkResult.LOGITS);
        return new NDList(logits);
    }

    /** Returns the gate report of this predictor's last call (the whole batch), or null before the first. */
    public GateReport lastReport() {
        return lastReport;
    }

    /** Returns the executor this predictor runs on. */
    public NetworkExecutor executor() {
        return executor;
    }

    /** Releases the executor's workspaces and the predictor's manager. */
    @Override
    public void close() {
        executor.close();
        super.close();
    }
}
