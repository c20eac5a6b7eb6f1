package org.laudnet.models.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.WeightFileException;

/**
 * The pretrained Keras ResNet-50 through the model API, on real photos; these tests need the assets that
 * {@code scripts/fetch-assets} puts in the cache.
 */
class PretrainedModelsTest {

    private static AssetCache cache;
    private static LaudModel model;
    private static LaudPredictor<Path, GatedClassifications> classifier;

    /** Requires the assets before each test (so that each is reported), then loads the model once. */
    @BeforeEach
    void load() throws WeightFileException {
        cache = AssetCache.defaultCache();
        RealAssets.require(cache.resnet50ModelJson(), cache.imageNetLabelsJson(), cache.photo("eagle"),
                cache.photo("dog"), cache.photo("grace_hopper"));
        if (model == null) {
            model = PretrainedModels.load(PretrainedModels.RESNET50_IMAGENET);
            classifier = model.newClassifier(Path.class, 5);
        }
    }

    @AfterAll
    static void close() {
        if (classifier != null) {
            classifier.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static GatedClassifications classify(String photo) throws TranslateException {
        return classifier.predict(cache.photo(photo));
    }

    /** The index of the most probable class. */
    private static int top1(GatedClassifications c) {
        List<Double> p = c.getProbabilities();
        int best = 0;
        for (int i = 1; i < p.size(); i++) {
            if (p.get(i) > p.get(best)) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void theModelRecordsTheCaffePreprocessingAndTheImageNetLabels() throws WeightFileException {
        assertEquals(ImagePreprocessing.caffe(), model.metadata().preprocessing());
        assertEquals(ImageNetLabels.load(cache.imageNetLabelsJson()).names(), model.classNames());
        assertEquals(3, model.network().getStem().inChannels());
        assertEquals(224, model.network().getInputSize());
    }

    @Test
    void eagleIsABaldEagle() throws TranslateException {
        GatedClassifications c = classify("eagle");
        assertEquals("bald_eagle", c.best().getClassName(), c.topK().toString());
        assertEquals(22, top1(c));
        assertTrue(c.best().getProbability() > 0.5, c.topK().toString());
        assertEquals(1.0, c.macsRatio(), 1e-6, "a static network computes everything");
    }

    @Test
    void dogIsADogBreed() throws TranslateException {
        // ImageNet classes 151..268 are dog breeds
        int top = top1(classify("dog"));
        assertTrue(top >= 151 && top <= 268, "top-1 index " + top);
    }

    @Test
    void graceHopperWearsAMilitaryUniform() throws TranslateException {
        GatedClassifications c = classify("grace_hopper");
        assertTrue(c.topK().stream().anyMatch(p -> p.getClassName().equals("military_uniform")),
                c.topK().toString());
    }

    @Test
    void stemConvolutionMatchesAnIndependentComputation() throws Exception {
        // conv1 of Keras (HWIO kernel + bias) computed by hand at a few output pixels, from the raw tensors, on the
        // BGR Caffe input the model's classifier feeds the network
        NamedTensor kernel = cache.readResNet50().weights().get("conv1/kernel"); // [7, 7, 3, 64]
        NamedTensor bias = cache.readResNet50().weights().get("conv1/bias");
        float[] image = ImagePreprocessing.caffe().apply(ImageInputs.read(cache.photo("eagle")));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(image, new Shape(1, 3, 224, 224));
            NDArray y = model.network().getStemConv()
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
    void openGatesGiveTheStaticProbabilitiesOnTheSparsePaths() throws Exception {
        GatedClassifications reference = classify("eagle");
        for (PathPolicy policy : List.of(PathPolicy.SPARSE)) {
            try (LaudModel gated = PretrainedModels.load(PretrainedModels.RESNET50_IMAGENET, cache,
                            LaudModel.Options.defaults().withPolicy(policy), GateSpec.layer(), GateSpec.channel(4),
                            GateSpec.layer(), GateSpec.spatial(1));
                    LaudPredictor<Path, GatedClassifications> p = gated.newClassifier(Path.class, 5)) {
                GatedClassifications c = p.predict(cache.photo("eagle"));
                assertEquals(reference.best().getClassName(), c.best().getClassName(), policy.name());
                for (int i = 0; i < reference.getProbabilities().size(); i++) {
                    assertEquals(reference.getProbabilities().get(i), c.getProbabilities().get(i), 1e-4,
                            policy + " class " + i);
                }
                assertEquals(16, c.gateReport().blocks().size());
                assertTrue(c.macsRatio() >= 1.0 - 1e-6, "open gates compute everything: " + c.macsRatio());
            }
        }
    }

    @Test
    void badNamesGatesAndImagesGetNamedErrors(@TempDir Path dir) throws IOException {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> PretrainedModels.load("resnet51-imagenet"));
        assertTrue(name.getMessage().contains("resnet51-imagenet"), name.getMessage());
        IllegalArgumentException gates = assertThrows(IllegalArgumentException.class,
                () -> PretrainedModels.load(PretrainedModels.RESNET50_IMAGENET, GateSpec.layer()));
        assertTrue(gates.getMessage().contains("stageGates"), gates.getMessage());
        Path bad = dir.resolve("broken.jpg");
        Files.write(bad, new byte[] {1, 2, 3, 4});
        TranslateException e = assertThrows(TranslateException.class, () -> classifier.predict(bad));
        assertTrue(e.getMessage().contains("broken.jpg"), e.getMessage());
    }
}
