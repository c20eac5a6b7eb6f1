package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.imagenet.CaffePreprocessing;
import org.laudnet.models.imagenet.ImageNetClassifier;
import org.laudnet.models.resnet.LaudNetworkExecutor;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.NetworkResult;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.KerasResNet50Importer;
import org.laudnet.models.weights.WeightFileException;

/** The pretrained ResNet-50 with gates, saved, reloaded and run through the sparse executors on a real photo. */
class RealModelFileTest {

    @TempDir
    Path dir;

    @Test
    void savedGatedResNet50RunsSparselyWithTheSameLogits() throws WeightFileException, IOException {
        AssetCache cache = AssetCache.defaultCache();
        assumeTrue(cache.hasResNet50() && Files.isRegularFile(cache.photo("eagle")),
                "ImageNet ResNet-50 or photos not in " + cache.root() + "; run scripts/fetch-assets");
        Path file = dir.resolve("resnet50-gated.laud");
        try (ImageNetClassifier classifier = ImageNetClassifier.load(cache, KerasResNet50Importer.builder()
                .optStageGates(GateSpec.none(), GateSpec.none(), GateSpec.layer(), GateSpec.spatial(1)))) {
            // close part of the last stage: zero keep/skip biases and small random masker weights
            Random r = new Random(2);
            for (GatedResidualBlock b : classifier.network().getBlocks().subList(13, 16)) {
                b.getSpatialGate().orElseThrow().getParameters().forEach(p -> {
                    NDArray a = p.getValue().getArray();
                    float[] v = new float[(int) a.size()];
                    if (p.getKey().endsWith("weight")) {
                        for (int i = 0; i < v.length; i++) {
                            v[i] = (float) (0.01 * r.nextGaussian());
                        }
                    }
                    a.set(v);
                });
            }
            LaudModelFile.save(file, classifier.network());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            LaudResNet net = LaudModelFile.load(file, m).resNet();
            NDArray x = new CaffePreprocessing().load(m, cache.photo("eagle"));
            NetworkResult dense = net.run(new ParameterStore(m, false), x, false);
            try (LaudNetworkExecutor ex = LaudNetworkExecutor.builder().setNetwork(net).setManager(m).build()) {
                LaudNetworkExecutor.NetworkExecution sparse = ex.run(x);
                TestArrays.assertClose(dense.logits(), sparse.logits(), 1e-4);
                assertEquals(22, (int) sparse.logits().argMax(1).getLong(0), "bald eagle");
                double d = sparse.densities().get(15).d3();
                assertTrue(d > 0 && d < 1, "the last block's spatial density " + d);
                assertTrue(sparse.macsRatio() < 1, "MACs ratio " + sparse.macsRatio());
                assertEquals(dense.dynamicMacs().getFloat(), sparse.dynamicMacs(), sparse.dynamicMacs() * 1e-5);
            }
        }
    }
}
