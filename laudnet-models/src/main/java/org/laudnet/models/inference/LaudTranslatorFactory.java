package org.laudnet.models.inference;

import ai.djl.Model;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The translators of {@link LaudModel}s for DJL's {@code Criteria}: image inputs ({@link Image},
 * {@link BufferedImage}, {@code byte[]}, {@link InputStream}, {@link Path}) to {@link Classifications} or
 * {@link GatedClassifications} (the model file's preprocessing and class names; argument {@code "topK"}, default 5),
 * and {@link NDArray} image tensors to {@link GatedOutput}. Stateless and thread-safe.
 */
public final class LaudTranslatorFactory implements TranslatorFactory {

    private static final List<Class<?>> IMAGE_INPUTS =
            List.of(Image.class, BufferedImage.class, byte[].class, InputStream.class, Path.class);

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        Set<Pair<Type, Type>> s = new HashSet<>();
        for (Class<?> in : IMAGE_INPUTS) {
            s.add(new Pair<>(in, Classifications.class));
            s.add(new Pair<>(in, GatedClassifications.class));
        }
        s.add(new Pair<>(NDArray.class, GatedOutput.class));
        return s;
    }

    /**
     * Creates the translator of a {@link LaudModel}.
     *
     * @throws TranslateException if the model is not a {@code LaudModel}, the types are not supported, or the model
     *     records no preprocessing for image inputs
     */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model,
            Map<String, ?> arguments) throws TranslateException {
        if (!(model instanceof LaudDjlModel djl)) {
            throw new TranslateException("LaudTranslatorFactory translates LaudModels (engine "
                    + LaudEngine.ENGINE_NAME + "), got " + (model == null ? "null" : model.getClass().getName()));
        }
        LaudModel laud = djl.laudModel();
        if (!isSupported(input, output)) {
            throw new TranslateException("unsupported types " + input.getName() + " -> " + output.getName());
        }
        if (input == NDArray.class) {
            return (Translator<I, O>) new TensorTranslator(laud.network().getStem().inChannels(),
                    laud.network().getInputSize());
        }
        Object k = arguments == null ? null : arguments.get("topK");
        int topK = k == null ? 5 : Integer.parseInt(k.toString());
        try {
            return (Translator<I, O>) ClassificationTranslator.of(laud, input, topK);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new TranslateException(e.getMessage(), e);
        }
    }
}
