package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.NetworkExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.ImageInputs;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.resnet.ResNetFamily;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.WeightFileException;

/** The pretrained ResNet-50 with gates, saved, reloaded and run through the inference engine on a real photo. */
class RealModelFileTest {

    @TempDir
    Path dir;

    @Test
    void savedGatedResNet50RunsSparselyWithTheSameLogits() throws WeightFileException, IOException {
        AssetCache cache = AssetCache.defaultCache();
        RealAssets.require(cache.resnet50ModelJson(), cache.imageNetLabelsJson(), cache.photo("eagle"));
        Path file = dir.resolve("resnet50-gated.laud");
        ImageNetLabels labels = ImageNetLabels.load(cache.imageNetLabelsJson());
        try (LaudModel pretrained = PretrainedModels.load(PretrainedModels.RESNET50_IMAGENET, cache,
                LaudModel.Options.defaults(), GateSpec.none(), GateSpec.none(), GateSpec.layer(), GateSpec.spatial(1))) {
            // close part of the last stage: zero keep/skip biases and small random masker weights
            Random r = new Random(2);
            for (AbstractGatedBlock b : pretrained.network().getBlocks().subList(13, 16)) {
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
            assertEquals(new ModelMetadata(ImagePreprocessing.caffe(), labels.names()), pretrained.metadata());
            pretrained.save(file);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            LoadedNetwork loaded = LaudModelFile.load(file, m);
            GatedBackbone net = loaded.network();
            assertTrue(net.getFamily() instanceof ResNetFamily, "a ResNet: " + net.getFamily());
            assertEquals(ImagePreprocessing.caffe(), loaded.metadata().preprocessing());
            assertEquals(labels.names(), loaded.metadata().labels());
            NDArray x = m.create(ImagePreprocessing.caffe().apply(ImageInputs.read(cache.photo("eagle"))),
                    new ai.djl.ndarray.types.Shape(1, 3, 224, 224));
            NetworkResult dense = net.run(new ParameterStore(m, false), x, false);
            try (PlanRuntime<?> runtime = PlanRuntime.create(InferencePlan.of(net), DjlBackend.create(m));
                    NetworkExecutor ex = runtime.newExecutor()) {
                NetworkExecution sparse = ex.run(x);
                GateReport report = sparse.report();
                TestArrays.assertClose(dense.logits(), sparse.logits(), 1e-4);
                assertEquals(22, (int) sparse.logits().argMax(1).getLong(0), "bald eagle");
                double d = report.blocks().get(15).densities().d3();
                assertTrue(d > 0 && d < 1, "the last block's spatial density " + d);
                assertTrue(report.macsRatio() < 1, "MACs ratio " + report.macsRatio());
                assertEquals(dense.dynamicMacs().getFloat(), report.dynamicMacs(), report.dynamicMacs() * 1e-5);
            }
        }
    }
}
