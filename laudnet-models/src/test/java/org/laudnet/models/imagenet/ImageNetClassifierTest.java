package org.laudnet.models.imagenet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.models.imagenet.ImageNetClassifier.Classification;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.KerasResNet50Importer;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.WeightFileException;

/** Real-weight, real-photo checks; they need the assets that {@code scripts/fetch-assets} puts in the cache. */
class ImageNetClassifierTest {

    private static ImageNetClassifier classifier;
    private static AssetCache cache;

    @BeforeAll
    static void load() throws WeightFileException {
        cache = AssetCache.defaultCache();
        assumeTrue(cache.hasResNet50() && Files.isRegularFile(cache.photo("eagle")),
                "ImageNet ResNet-50 or photos not in " + cache.root() + "; run scripts/fetch-assets");
        classifier = ImageNetClassifier.load(cache, KerasResNet50Importer.builder());
    }

    @AfterAll
    static void close() {
        if (classifier != null) {
            classifier.close();
        }
    }

    private static Classification classify(String photo) throws IOException {
        return classifier.classify(cache.photo(photo), 5);
    }

    @Test
    void eagleIsABaldEagle() throws IOException {
        Classification c = classify("eagle");
        assertEquals("bald eagle", c.top().get(0).label(), c.top().toString());
        assertTrue(c.top().get(0).probability() > 0.5, c.top().toString());
        assertEquals(1.0, c.macsRatio(), 1e-6, "a static network computes everything");
    }

    @Test
    void dogIsADogBreed() throws IOException {
        // ImageNet classes 151..268 are dog breeds
        int top = classify("dog").top().get(0).index();
        assertTrue(top >= 151 && top <= 268, "top-1 index " + top);
    }

    @Test
    void graceHopperWearsAMilitaryUniform() throws IOException {
        Classification c = classify("grace_hopper");
        assertTrue(c.top().stream().anyMatch(p -> p.label().equals("military uniform")), c.top().toString());
    }

    @Test
    void stemConvolutionMatchesAnIndependentComputation() throws Exception {
        // conv1 of Keras (HWIO kernel + bias) computed by hand at a few output pixels, from the raw tensors
        NamedTensor kernel = cache.readResNet50().weights().get("conv1/kernel"); // [7, 7, 3, 64]
        NamedTensor bias = cache.readResNet50().weights().get("conv1/bias");
        float[] image = new CaffePreprocessing().toBgrChw(CaffePreprocessing.read(cache.photo("eagle")));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(image, new ai.djl.ndarray.types.Shape(1, 3, 224, 224));
            NDArray y = classifier.network().getStemConv()
                    .forward(new ParameterStore(m, false), new NDList(x), false).head(); // (1, 64, 112, 112)
            float[] out = y.toFloatArray();
            int[][] pixels = {{0, 0}, {50, 77}, {111, 111}, {3, 100}};
            for (int[] px : pixels) {
                for (int o : new int[] {0, 17, 63}) {
                    double sum = 0; // the bias is folded into BatchNorm, so the Java conv has none
                    for (int ky = 0; ky < 7; ky++) {
                        for (int kx = 0; kx < 7; kx++) {
                            int iy = 2 * px[0] - 3 + ky;
                            int ix = 2 * px[1] - 3 + kx;
                            if (iy < 0 || ix < 0 || iy >= 224 || ix >= 224) {
                                continue;
                            }
                            for (int c = 0; c < 3; c++) {
                                sum += image[c * 224 * 224 + iy * 224 + ix] * kernel.get(ky, kx, c, o);
                            }
                        }
                    }
                    float got = out[o * 112 * 112 + px[0] * 112 + px[1]];
                    assertEquals(sum, got, 1e-3 * Math.max(1, Math.abs(sum)), "conv1 at " + px[0] + "," + px[1]);
                }
            }
            assertEquals(64, bias.numel());
        }
    }

    @Test
    void laudNetworkWithOpenGatesGivesTheStaticLogits() throws Exception {
        try (ImageNetClassifier laud = ImageNetClassifier.load(cache, KerasResNet50Importer.builder()
                        .optStageGates(GateSpec.layer(), GateSpec.channel(4), GateSpec.layer(), GateSpec.layer()));
                NDManager m = NDManager.newBaseManager()) {
            NDArray x = new CaffePreprocessing().load(m, cache.photo("eagle"));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray a = classifier.network().run(ps, x, false).logits();
            NDArray b = laud.network().run(ps, x, false).logits();
            float diff = a.sub(b).abs().max().getFloat();
            assertTrue(diff <= 1e-5f, "max abs logit difference " + diff);
        }
    }

    @Test
    void undecodableImageNamesTheFile(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("broken.jpg");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        IOException e = assertThrows(IOException.class, () -> classifier.classify(bad, 5));
        assertTrue(e.getMessage().contains("broken.jpg"), e.getMessage());
    }
}
