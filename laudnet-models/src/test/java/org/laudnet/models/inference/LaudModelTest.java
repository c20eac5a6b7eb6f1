package org.laudnet.models.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.modality.cv.translator.ImageClassificationTranslator;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.TranslateException;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.TestNets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.WeightFileException;

/** The model API: load, classify from many threads, gate reports, calibration, DJL's Criteria and Predictor. */
class LaudModelTest {

    private static final List<String> LABELS = List.of("ant", "bee", "cat", "dog");
    private static final ImagePreprocessing PRE = ImagePreprocessing.normalized(16, ImagePreprocessing.ChannelOrder.RGB,
            new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f});

    @TempDir
    static Path dir;

    private static NDManager manager;
    private static GatedBackbone net;
    private static Path file;

    @BeforeAll
    static void save() throws Exception {
        manager = NDManager.newBaseManager();
        net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(2, 8, 32, 1, GateSpec.both(2, 2)),
                        new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(16)
                .optNumClasses(4)
                .build();
        TestNets.initialise(net, manager, 21);
        file = dir.resolve("tiny.laud");
        LaudModelFile.save(file, net, new ModelMetadata(PRE, LABELS));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static BufferedImage image(long seed) {
        Random r = new Random(seed);
        BufferedImage im = new BufferedImage(20 + (int) (seed % 7), 17, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < im.getHeight(); y++) {
            for (int x = 0; x < im.getWidth(); x++) {
                im.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return im;
    }

    /** The masked-dense network on the same preprocessed image: the reference probabilities. */
    private static float[] reference(BufferedImage im) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(PRE.apply(im), new Shape(1, 3, 16, 16));
            return net.run(new ParameterStore(m, false), x, false).logits().softmax(1).toFloatArray();
        }
    }

    /** The probabilities in class order (as the classifier returns its class names). */
    private static float[] probabilities(Classifications c) {
        assertEquals(LABELS, c.getClassNames());
        float[] p = new float[LABELS.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (double) c.getProbabilities().get(i);
        }
        return p;
    }

    @Test
    void aLoadedModelClassifiesLikeTheMaskedDenseNetworkAndReportsItsGates() throws Exception {
        try (LaudModel model = LaudModel.load(file);
                Predictor<BufferedImage, GatedClassifications> p = model.newClassifier(BufferedImage.class, 3)) {
            assertEquals(LABELS, model.classNames());
            assertEquals(PRE, model.metadata().preprocessing());
            for (long s = 0; s < 4; s++) {
                BufferedImage im = image(s);
                GatedClassifications c = p.predict(im);
                assertArrayEquals(reference(im), probabilities(c), 1e-4f, "image " + s);
                assertEquals(3, c.topK().size());
                assertEquals(1, c.gateReport().batch());
                assertEquals(3, c.gateReport().blocks().size());
                assertTrue(c.macsRatio() > 0 && c.macsRatio() <= 1.05, "MACs ratio " + c.macsRatio());
            }
            assertNotNull(((LaudPredictor<?, ?>) p).lastReport());
        }
    }

    @Test
    void batchPredictionsDoNotDependOnTheirBatch() throws Exception {
        try (LaudModel model = LaudModel.load(file);
                Predictor<BufferedImage, GatedClassifications> p = model.newClassifier(BufferedImage.class)) {
            List<BufferedImage> images = new ArrayList<>();
            for (long s = 10; s < 15; s++) {
                images.add(image(s));
            }
            List<GatedClassifications> batch = p.batchPredict(images);
            for (int i = 0; i < images.size(); i++) {
                GatedClassifications one = p.predict(images.get(i));
                assertEquals(one.best().getClassName(), batch.get(i).best().getClassName(), "image " + i);
                assertArrayEquals(probabilities(one), probabilities(batch.get(i)), 1e-5f, "image " + i);
                assertEquals(one.macsRatio(), batch.get(i).macsRatio(), 1e-9, "image " + i + ": own gate report");
            }
        }
    }

    @Test
    void eightThreadsSharingOneModelGiveTheSerialResults() throws Exception {
        int threads = 8;
        int calls = 200;
        try (LaudModel model = LaudModel.load(file)) {
            model.calibrate(1);
            List<BufferedImage> images = new ArrayList<>();
            for (long s = 0; s < 16; s++) {
                images.add(image(100 + s));
            }
            List<float[]> serial = new ArrayList<>();
            try (Predictor<BufferedImage, GatedClassifications> p = model.newClassifier(BufferedImage.class)) {
                for (BufferedImage im : images) {
                    serial.add(probabilities(p.predict(im)));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        int checked = 0;
                        try (Predictor<BufferedImage, GatedClassifications> p =
                                model.newClassifier(BufferedImage.class)) {
                            for (int i = 0; i < calls; i++) {
                                int k = (offset + i) % images.size();
                                assertArrayEquals(serial.get(k), probabilities(p.predict(images.get(k))),
                                        "thread " + offset + " call " + i);
                                checked++;
                            }
                        }
                        return checked;
                    }));
                }
                for (Future<Integer> f : futures) {
                    assertEquals(calls, f.get());
                }
            } finally {
                pool.shutdown();
            }
            assertEquals(1, model.runtime().calibrations().computations(), "batch 1 calibrated once, ahead of time");
        }
    }

    @Test
    void predictorsShareOnePlanAndRuntime() throws Exception {
        try (LaudModel model = LaudModel.load(file)) {
            LaudPredictor<BufferedImage, GatedClassifications> a = model.newClassifier(BufferedImage.class);
            LaudPredictor<BufferedImage, GatedClassifications> b = model.newClassifier(BufferedImage.class);
            a.predict(image(1));
            b.predict(image(2));
            assertSame(a.executor().runtime(), b.executor().runtime(), "one runtime (one copy of the weights)");
            assertSame(model.plan(), a.executor().runtime().plan(), "one folded plan");
            a.close();
            b.close();
        }
    }

    @Test
    void aSavedCalibrationIsReusedBesideTheModel(@TempDir Path tmp) throws Exception {
        Path copy = tmp.resolve("copy.laud");
        Files.copy(file, copy);
        try (LaudModel model = LaudModel.load(copy)) {
            model.calibrate(2);
            model.saveCalibration(LaudModel.calibrationFile(copy));
        }
        try (LaudModel model = LaudModel.load(copy);
                Predictor<BufferedImage, GatedClassifications> p = model.newClassifier(BufferedImage.class)) {
            assertEquals(List.of(2), model.runtime().calibratedBatchSizes());
            p.batchPredict(List.of(image(1), image(2)));
            assertEquals(0, model.runtime().calibrations().computations(), "the saved calibration was measured again");
        }
    }

    @Test
    void criteriaLoadsALaudFileThroughTheLaudEngine() throws Exception {
        Criteria<BufferedImage, Classifications> criteria = Criteria.builder()
                .setTypes(BufferedImage.class, Classifications.class)
                .optModelPath(file)
                .optEngine(LaudEngine.ENGINE_NAME)
                .optTranslatorFactory(new LaudTranslatorFactory())
                .build();
        try (ZooModel<BufferedImage, Classifications> zoo = criteria.loadModel();
                Predictor<BufferedImage, Classifications> p = zoo.newPredictor()) {
            assertTrue(zoo.getWrappedModel() instanceof LaudDjlModel, "the model is a LAUD model");
            BufferedImage im = image(7);
            Classifications c = p.predict(im);
            assertTrue(c instanceof GatedClassifications, "the result carries its gate report");
            assertArrayEquals(reference(im), probabilities(c), 1e-4f);
        }
    }

    @Test
    void theNetworkWorksInAPlainDjlModelWithDjlsImageClassificationTranslator() throws Exception {
        try (Model model = Model.newInstance("plain")) {
            GatedBackbone copy = LaudModelFile.load(file, model.getNDManager()).network();
            model.setBlock(copy);
            ImageClassificationTranslator translator = ImageClassificationTranslator.builder()
                    .addTransform(new ToTensor())
                    .optSynset(LABELS).optApplySoftmax(true).build();
            try (Predictor<Image, Classifications> p = model.newPredictor(translator)) {
                BufferedImage im = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                im.getGraphics().drawImage(image(3), 0, 0, 16, 16, null);
                Image djl = ImageFactory.getInstance().fromImage(im);
                Classifications c = p.predict(djl);
                assertEquals(LABELS.size(), c.getClassNames().size(), "forward returns the logits alone");
                double sum = c.getProbabilities().stream().mapToDouble(Double::doubleValue).sum();
                assertEquals(1.0, sum, 1e-5, "softmax over the network's logits");
            }
        }
    }

    @Test
    void metadataThatDoesNotFitTheNetworkIsRefusedByEveryConstructor() {
        ModelMetadata threeLabels = new ModelMetadata(PRE, List.of("a", "b", "c"));
        ModelMetadata largerInput = new ModelMetadata(ImagePreprocessing.normalized(32,
                ImagePreprocessing.ChannelOrder.RGB, new float[] {0, 0, 0}, new float[] {1, 1, 1}), LABELS);
        for (ModelMetadata bad : List.of(threeLabels, largerInput)) {
            IllegalArgumentException of = assertThrows(IllegalArgumentException.class,
                    () -> LaudModel.of(net, bad, LaudModel.Options.defaults()));
            IllegalArgumentException create = assertThrows(IllegalArgumentException.class,
                    () -> LaudModel.create("m", bad, LaudModel.Options.defaults(), m -> net));
            assertEquals(of.getMessage(), create.getMessage());
            assertTrue(of.getMessage().contains(bad == threeLabels ? "one entry per class (4), got 3"
                    : "16x16), got 3 channels, 32x32"), of.getMessage());
        }
        try (LaudModel fits = LaudModel.of(net, new ModelMetadata(PRE, LABELS), LaudModel.Options.defaults())) {
            assertEquals(LABELS, fits.classNames());
        }
    }

    @Test
    void badInputsAndFilesGetNamedErrors(@TempDir Path tmp) throws Exception {
        WeightFileException missing = assertThrows(WeightFileException.class,
                () -> LaudModel.load(tmp.resolve("missing.laud")));
        assertTrue(missing.getMessage().contains("missing.laud"), missing.getMessage());
        Path bare = tmp.resolve("bare.laud");
        LaudModelFile.save(bare, net);
        try (LaudModel model = LaudModel.load(bare)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.newClassifier(BufferedImage.class));
            assertTrue(e.getMessage().contains("preprocessing"), e.getMessage());
            try (LaudPredictor<NDArray, GatedOutput> p = model.newTensorPredictor();
                    NDManager m = NDManager.newBaseManager()) {
                assertEquals(4, p.predict(m.ones(new Shape(3, 16, 16))).logits().length);
                assertThrows(TranslateException.class, () -> p.predict(m.ones(new Shape(3, 15, 16))));
            }
        }
        try (LaudModel model = LaudModel.load(file);
                Predictor<byte[], GatedClassifications> p = model.newClassifier(byte[].class)) {
            TranslateException e = assertThrows(TranslateException.class, () -> p.predict(new byte[] {1, 2, 3}));
            assertTrue(e.getMessage().contains("not a decodable image"), e.getMessage());
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image(5), "png", png);
            assertEquals(4, p.predict(png.toByteArray()).getClassNames().size());
            byte[] huge = png.toByteArray().clone();
            // the IHDR chunk's width and height (bytes 16..23) declare 50000 x 50000 pixels
            int[] dims = {0, 0, 0xc3, 0x50, 0, 0, 0xc3, 0x50};
            for (int i = 0; i < 8; i++) {
                huge[16 + i] = (byte) dims[i];
            }
            e = assertThrows(TranslateException.class, () -> p.predict(huge));
            assertTrue(e.getMessage().contains("pixels"), e.getMessage());
        }
    }

    @Test
    void denseAndSparsePoliciesAgreeAndTheDeviceFallsBackToTheCpu() throws Exception {
        LaudModel.Options dense = LaudModel.Options.defaults().withPolicy(PathPolicy.DENSE);
        LaudModel.Options sparse = LaudModel.Options.defaults().withPolicy(PathPolicy.SPARSE)
                .withDevice(DeviceKind.AUTO);
        try (LaudModel a = LaudModel.load(file, dense);
                LaudModel b = LaudModel.load(file, sparse);
                Predictor<BufferedImage, GatedClassifications> pa = a.newClassifier(BufferedImage.class);
                Predictor<BufferedImage, GatedClassifications> pb = b.newClassifier(BufferedImage.class)) {
            BufferedImage im = image(9);
            GatedClassifications ca = pa.predict(im);
            GatedClassifications cb = pb.predict(im);
            assertArrayEquals(probabilities(ca), probabilities(cb), 1e-4f);
            assertTrue(ca.gateReport().paths().stream().allMatch(x -> x == ExecutionPath.DENSE
                    || x == ExecutionPath.SKIP));
            assertEquals("djl-cpu", b.runtime().backend().id(), "no GPU here: AUTO runs on the CPU");
        }
    }
}
