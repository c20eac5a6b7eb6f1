package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.testing.RealAssets;

/**
 * Reads the real Keras ResNet-50 ImageNet weights from the asset cache ({@code scripts/fetch-assets weights}); without
 * them it fails on CI and is skipped elsewhere ({@link RealAssets}).
 */
class RealResNet50AssetTest {

    private static TfjsLayersModel model;
    private final AssetCache cache = AssetCache.defaultCache();

    /** Requires the assets before each test (so that each is reported), then reads the model once. */
    @BeforeEach
    void load() throws WeightFileException {
        RealAssets.require(cache.resnet50ModelJson(), cache.imageNetLabelsJson());
        if (model == null) {
            model = cache.readResNet50();
        }
    }

    @Test
    void holdsAllKerasResNet50Weights() {
        TensorFile w = model.weights();
        assertEquals(25_636_712L, w.totalValues());
        assertEquals(320, w.size());
        assertEquals("layers-model", model.format());
        assertEquals("resnet50", model.modelName());
        assertEquals(List.of("input_1"), model.inputLayers());
        assertEquals(List.of("fc1000"), model.outputLayers());
        assertArrayEquals(new long[] {7, 7, 3, 64}, w.get("conv1/kernel").shape());
        assertArrayEquals(new long[] {2048, 1000}, w.get("fc1000/kernel").shape());
        assertArrayEquals(new long[] {1000}, w.get("fc1000/bias").shape());
        // values checked against an independent read of the shards
        assertEquals(0.3026626706123352f, w.get("bn2a_branch1/gamma").data()[0]); // first float of shard 1
        assertEquals(-0.13582424819469452f, w.get("conv1/kernel").get(3, 2, 1, 5));
        assertEquals(-0.00806632824242115f, w.get("fc1000/bias").data()[0]);
        assertEquals(-0.006935362704098225f, w.get("fc1000/kernel").get(2047, 999));
    }

    @Test
    void layerCountsAndConfigsMatchResNet50() {
        List<KerasLayer> convs = model.layersOfClass(KerasLayer.CONV2D);
        assertEquals(53, convs.size(), "stem + 16 blocks x 3 + 4 shortcuts");
        assertEquals(4, convs.stream().filter(l -> l.name().endsWith("_branch1")).count());
        assertEquals(53, model.layersOfClass(KerasLayer.BATCH_NORMALIZATION).size());
        assertEquals(16, model.layersOfClass("Add").size());
        List<KerasLayer> dense = model.layersOfClass(KerasLayer.DENSE);
        assertEquals(1, dense.size());
        assertEquals("fc1000", dense.get(0).name());
        assertEquals(OptionalInt.of(1000), dense.get(0).config().units());
        assertEquals(Optional.of("softmax"), dense.get(0).config().activation());

        for (KerasLayer conv : convs) {
            assertEquals(Optional.of(true), conv.config().useBias(), conv.name());
            assertTrue(model.weights().contains(conv.name() + "/kernel"), conv.name());
            assertTrue(model.weights().contains(conv.name() + "/bias"), conv.name());
        }
        for (KerasLayer bn : model.layersOfClass(KerasLayer.BATCH_NORMALIZATION)) {
            assertEquals(OptionalDouble.of(0.001), bn.config().epsilon(), bn.name());
            assertEquals(4, model.weightsOf(bn.name()).size(), bn.name());
            for (float v : model.weights().get(bn.name() + "/moving_variance").data()) {
                assertTrue(v > 0, bn.name() + " variance " + v);
            }
        }
        // Keras ResNet-50 v1: the stride sits on the first 1x1 convolution of a downsampling block
        assertEquals(List.of(2, 2), model.layer("res3a_branch2a").config().strides());
        assertEquals(List.of(1, 1), model.layer("res3a_branch2b").config().strides());
        assertEquals(Optional.of("same"), model.layer("res3a_branch2b").config().padding());
        assertEquals(List.of(2, 2), model.layer("res3a_branch1").config().strides());
        assertEquals(List.of(1, 1), model.layer("res2a_branch1").config().strides());
        assertEquals(OptionalInt.of(64), model.layer("conv1").config().filters());
        assertEquals(List.of(7, 7), model.layer("conv1").config().kernelSize());
        assertEquals(List.of(3, 3, 3, 3), model.layer("conv1_pad").config().paddingAmounts());
        assertEquals(List.of("bn2a_branch2c", "bn2a_branch1"), model.layer("add").inboundLayers());
    }

    @Test
    void labelsHaveThousandClasses() throws WeightFileException {
        ImageNetLabels labels = ImageNetLabels.load(cache.imageNetLabelsJson());
        assertEquals(1000, labels.size());
        assertEquals("tench", labels.name(0));
        assertEquals("bald_eagle", labels.name(22));
        assertEquals("bald eagle", labels.displayName(22));
        assertEquals("toilet_tissue", labels.name(999));
        assertEquals(OptionalInt.of(22), labels.indexOf("bald eagle"));
    }
}
