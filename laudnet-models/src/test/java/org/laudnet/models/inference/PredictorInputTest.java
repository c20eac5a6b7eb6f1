package org.laudnet.models.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.TestNets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;

/**
 * What a caller of the predictors sees for hostile input: refused images surface as a {@link TranslateException}
 * whose cause is the {@link ImageInputException} and whose message is the cause's; refused tensors name the sample
 * and the problem, before the engine does any work.
 */
class PredictorInputTest {

    private static final List<String> LABELS = List.of("ant", "bee", "cat");

    private static NDManager manager;
    private static GatedBackbone net;
    private static ModelMetadata metadata;

    @BeforeAll
    static void build() {
        manager = NDManager.newBaseManager();
        net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.both(2, 2)),
                        new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(16)
                .optNumClasses(LABELS.size())
                .build();
        TestNets.initialise(net, manager, 8);
        metadata = new ModelMetadata(ImagePreprocessing.normalized(16, ImagePreprocessing.ChannelOrder.RGB,
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}), LABELS);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static LaudModel model(PathPolicy policy) {
        return LaudModel.of(net, metadata, LaudModel.Options.defaults().withPolicy(policy));
    }

    /** The exception of a refused image: a TranslateException carrying the ImageInputException and its message. */
    private static ImageInputException refusedImage(Class<?> type, Object input, LaudPredictor<Object, ?> p) {
        TranslateException e = assertThrows(TranslateException.class, () -> p.predict(input), type.getSimpleName());
        ImageInputException cause = assertInstanceOf(ImageInputException.class, e.getCause(), e.toString());
        assertEquals(cause.getMessage(), e.getMessage());
        return cause;
    }

    @SuppressWarnings("unchecked")
    private static LaudPredictor<Object, GatedClassifications> classifier(LaudModel model, Class<?> type) {
        return (LaudPredictor<Object, GatedClassifications>) model.newClassifier(type);
    }

    @Test
    void refusedImagesSurfaceAsTheirImageInputException() throws Exception {
        byte[] bomb = ImageInputsTest.grayPng(25_000, 25_000, 2);
        byte[] jpeg = ImageInputsTest.encode(ImageInputsTest.noise(40, 30, 1), "jpg");
        byte[] truncated = Arrays.copyOf(jpeg, jpeg.length / 2);
        byte[] thin = ImageInputsTest.encode(new BufferedImage(1, 3000, BufferedImage.TYPE_INT_RGB), "png");
        try (LaudModel model = model(PathPolicy.DENSE);
                LaudPredictor<Object, GatedClassifications> bytes = classifier(model, byte[].class);
                LaudPredictor<Object, GatedClassifications> images = classifier(model, BufferedImage.class)) {
            assertEquals(LABELS, bytes.predict(jpeg).getClassNames(), "the whole JPEG is classified");
            assertTrue(refusedImage(byte[].class, bomb, bytes).getMessage()
                    .startsWith("image bytes: declares 25000 x 25000 = 625000000 pixels"));
            ImageInputException e = refusedImage(byte[].class, truncated, bytes);
            assertTrue(e.getMessage().startsWith("image bytes: truncated JPEG"), e.getMessage());
            e = refusedImage(byte[].class, thin, bytes);
            assertTrue(e.getMessage().contains("1 x 3000 pixels, an aspect ratio of 3000.0:1, beyond the limit of"
                    + " 32:1"), e.getMessage());
            e = refusedImage(BufferedImage.class, new BufferedImage(12_000, 1, BufferedImage.TYPE_INT_RGB), images);
            assertTrue(e.getMessage().contains("12000 x 1 pixels, an aspect ratio of 12000.0:1"), e.getMessage());
            TranslateException batch = assertThrows(TranslateException.class,
                    () -> bytes.batchPredict(List.of(jpeg, truncated)));
            assertInstanceOf(ImageInputException.class, batch.getCause());
        }
    }

    @Test
    void nonFiniteTensorsAreRefusedNamingTheSampleBeforeTheEngineCalibrates() throws Exception {
        float[] values = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        String[] names = {"NaN", "+Inf", "-Inf"};
        try (LaudModel model = model(PathPolicy.AUTO);
                LaudPredictor<NDArray, GatedOutput> p = model.newTensorPredictor()) {
            for (int i = 0; i < values.length; i++) {
                NDArray bad = manager.randomNormal(new Shape(3, 16, 16));
                bad.set(new NDIndex("2, 5, 7"), values[i]);
                List<NDArray> batch = List.of(manager.randomNormal(new Shape(3, 16, 16)), bad,
                        manager.randomNormal(new Shape(3, 16, 16)));
                TranslateException e = assertThrows(TranslateException.class, () -> p.batchPredict(batch));
                assertInstanceOf(IllegalArgumentException.class, e.getCause());
                assertTrue(e.getMessage().startsWith("invalid input batch: images: sample 1 of a batch of 3 holds "
                        + names[i] + " at (channel 2, row 5, column 7)"), e.getMessage());
            }
            assertEquals(List.of(), model.runtime().calibratedBatchSizes(),
                    "refused batches are refused before the AUTO policy calibrates their batch size");
            TranslateException e = assertThrows(TranslateException.class, () -> p.batchPredict(List.of()));
            assertEquals("empty batch: batch size 0", e.getMessage());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }

    @Test
    void hugeFiniteTensorsAreAcceptedAndWrongShapesNamed() throws Exception {
        try (LaudModel model = model(PathPolicy.DENSE);
                LaudPredictor<NDArray, GatedOutput> p = model.newTensorPredictor()) {
            NDArray big = manager.randomNormal(new Shape(3, 16, 16));
            big.set(new NDIndex("0, 0, 0"), 3e38f);
            big.set(new NDIndex("0, 0, 1"), 3e38f);
            assertTrue(Float.isInfinite(big.sum().getFloat()), "a sum of these values overflows");
            GatedOutput out = p.predict(big);
            assertEquals(LABELS.size(), out.logits().length);
            assertEquals(1, out.gateReport().batch());
            String[][] cases = {
                {"1, 3, 16, 16", "got rank 4 (1, 3, 16, 16) instead of rank 3 (one image; predictors stack images"
                    + " into a batch)"},
                {"4, 16, 16", "got 4 channels instead of 3 in (4, 16, 16)"},
                {"3, 16, 15", "got 16 x 15 instead of the network's input size 16 x 16 in (3, 16, 15)"}};
            for (String[] c : cases) {
                long[] dims = Arrays.stream(c[0].split(", ")).mapToLong(Long::parseLong).toArray();
                TranslateException e = assertThrows(TranslateException.class,
                        () -> p.predict(manager.zeros(new Shape(dims))));
                IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, e.getCause());
                assertEquals("input must have shape (C, S, S) = (3, 16, 16): " + c[1], cause.getMessage());
            }
        }
    }
}
