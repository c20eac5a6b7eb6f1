package org.laudnet.models.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.util.Checks;
import org.laudnet.models.imagenet.ImagePreprocessing;

/**
 * Image classification with a gated network: an input is decoded ({@link ImageInputs}), preprocessed as the model file
 * records ({@link ImagePreprocessing}: resize, centre crop, channel order, normalisation), batched by stacking, and the
 * logits become softmax probabilities over the model's class names, each result carrying its image's part of the
 * call's {@link GateReport}. Stateless and thread-safe (predictors are not).
 *
 * @param <I> the input type ({@code Image}, {@code BufferedImage}, {@code byte[]}, {@code InputStream} or
 *     {@code Path})
 */
public final class ClassificationTranslator<I> implements Translator<I, GatedClassifications> {

    private final ImagePreprocessing preprocessing;
    private final List<String> classNames;
    private final int topK;
    private final ImageInputs.Decoder<I> decoder;

    /**
     * Creates a translator.
     *
     * @param preprocessing how images become tensors
     * @param classNames the class names, in class order
     * @param topK how many classes a result lists, positive
     * @param decoder how an input becomes an image
     */
    public ClassificationTranslator(ImagePreprocessing preprocessing, List<String> classNames, int topK,
            ImageInputs.Decoder<I> decoder) {
        if (preprocessing == null || classNames == null || decoder == null) {
            throw new IllegalArgumentException("preprocessing, classNames and decoder must not be null");
        }
        Checks.positive("topK", topK);
        this.preprocessing = preprocessing;
        this.classNames = List.copyOf(classNames);
        this.topK = topK;
        this.decoder = decoder;
    }

    /**
     * The translator of a model for an input type, with the model's preprocessing and class names.
     *
     * @param model the model
     * @param inputType the input type
     * @param topK how many classes a result lists
     * @param <I> the input type
     * @return the translator
     * @throws IllegalStateException if the model records no preprocessing (a model's preprocessing fits its network:
     *     {@link org.laudnet.models.io.ModelMetadata#checkFits})
     */
    public static <I> ClassificationTranslator<I> of(LaudModel model, Class<I> inputType, int topK) {
        ImagePreprocessing p = model.metadata().preprocessing();
        if (p == null) {
            throw new IllegalStateException("the model records no image preprocessing: save it with one, or use"
                    + " newTensorPredictor() with tensors you preprocess");
        }
        return new ClassificationTranslator<>(p, model.classNames(), topK, ImageInputs.forType(inputType));
    }

    /** {@inheritDoc} */
    @Override
    public Batchifier getBatchifier() {
        return Batchifier.STACK;
    }

    /**
     * Decodes and preprocesses one input; whatever the decoder, the image must be within the limits of
     * {@link ImageInputs} (pixels, aspect ratio).
     *
     * @throws TranslateException if the input is refused: its cause is then the {@link ImageInputException} (or the
     *     decoder's {@link IOException}) and its message the cause's, which names the source and the problem
     */
    @Override
    public NDList processInput(TranslatorContext ctx, I input) throws TranslateException {
        float[] values;
        try {
            values = preprocessing.apply(ImageInputs.checkLimits(decoder.decode(input), "image"));
        } catch (IOException | IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
        int s = preprocessing.cropSize();
        return new NDList(ctx.getNDManager().create(values, new Shape(preprocessing.channels(), s, s)));
    }

    /** Turns a batch of logits into one result per image, each with its image's gate report. */
    @Override
    public List<GatedClassifications> batchProcessOutput(TranslatorContext ctx, NDList list) {
        NDArray logits = list.head();
        int batch = (int) logits.getShape().get(0);
        int classes = (int) logits.getShape().get(1);
        float[] p = logits.softmax(1).toFloatArray();
        GateReport report = (GateReport) ctx.getAttachment(LaudPredictor.GATE_REPORT);
        List<GatedClassifications> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            out.add(result(p, b * classes, classes, report == null ? null : report.sample(b)));
        }
        return out;
    }

    /** Turns one image's logits {@code (classes)} into its result (the context's report must be of one image). */
    @Override
    public GatedClassifications processOutput(TranslatorContext ctx, NDList list) {
        float[] p = list.head().softmax(0).toFloatArray();
        GateReport report = (GateReport) ctx.getAttachment(LaudPredictor.GATE_REPORT);
        if (report != null && report.batch() != 1) {
            throw new IllegalStateException("processOutput takes one image; the call had " + report.batch());
        }
        return result(p, 0, p.length, report);
    }

    private GatedClassifications result(float[] p, int offset, int classes, GateReport report) {
        if (classes != classNames.size()) {
            throw new IllegalStateException("the network has " + classes + " classes, the translator "
                    + classNames.size() + " class names");
        }
        List<Double> probs = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            probs.add((double) p[offset + i]);
        }
        return new GatedClassifications(classNames, probs, Math.min(topK, classes), report);
    }
}
