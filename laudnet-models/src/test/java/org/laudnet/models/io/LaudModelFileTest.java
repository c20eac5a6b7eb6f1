package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetYFamily;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetFamily;
import org.laudnet.models.weights.WeightFileException;

class LaudModelFileTest {

    private static final byte[] MAGIC = {'L', 'A', 'U', 'D', 'N', 'E', 'T', 0};
    private static final List<String> SEVEN = List.of("zero", "one", "two", "three", "four", "five", "six");

    @TempDir
    Path dir;

    private NDManager m;
    private ParameterStore ps;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        ps = new ParameterStore(m, false);
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** Every parameter random, gates included, so that the gates are partly closed. */
    static void randomize(Block net, long seed) {
        Random r = new Random(seed);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean positive = p.getKey().endsWith("runningVar") || p.getKey().endsWith("gamma");
            for (int i = 0; i < v.length; i++) {
                v[i] = positive ? (float) (0.5 + r.nextDouble()) : (float) (0.1 * r.nextGaussian());
            }
            a.set(v);
        }
    }

    private GatedBackbone gatedResNet() {
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(2, 8, 32, 1, GateSpec.both(2, 4)),
                        new StageSpec(1, 16, 64, 2, GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1)),
                        new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                .optStridePlacement(StridePlacement.CONV1)
                .optStem(new StemSpec(3, 16, 3, 1, true, 1))
                .optConvBias(true)
                .optBatchNormEpsilon(1e-3f)
                .optInputSize(32)
                .optNumClasses(7)
                .optSeed(99)
                .build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        randomize(net, 4);
        return net;
    }

    private GatedBackbone gatedRegNet() {
        GatedBackbone net = LaudRegNet.builder().setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                        new StageSpec(2, 24, 24, 2, GateSpec.both(1, 3))))
                .optInputSize(32).optNumClasses(5).optSeRatio(0.5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        randomize(net, 8);
        return net;
    }

    /** Asserts that two networks compute the same eval-mode logits, MACs and densities (bit for bit). */
    private void assertSameOutputs(GatedBackbone expected, GatedBackbone actual, NDManager actualManager, long seed) {
        Shape in = new Shape(4, expected.getStem().inChannels(), expected.getInputSize(), expected.getInputSize());
        NDArray x = TestArrays.randn(m, seed, in);
        NetworkResult a = expected.run(ps, x, false);
        NDArray x2 = actualManager.create(x.toFloatArray(), x.getShape());
        NetworkResult b = actual.run(new ParameterStore(actualManager, false), x2, false);
        assertArrayEquals(a.logits().toFloatArray(), b.logits().toFloatArray());
        assertEquals(a.dynamicMacs().getFloat(), b.dynamicMacs().getFloat());
        for (int i = 0; i < a.blocks().size(); i++) {
            assertEquals(a.blocks().get(i).d3().getFloat(), b.blocks().get(i).d3().getFloat(), "block " + i);
            assertEquals(a.blocks().get(i).dc().getFloat(), b.blocks().get(i).dc().getFloat(), "block " + i);
        }
    }

    @Test
    void gatedResNetRoundTripGivesIdenticalEvalOutputsAndMetadata() throws WeightFileException, IOException {
        GatedBackbone net = gatedResNet();
        Path file = dir.resolve("sub/net.laud");
        ImagePreprocessing prep = new ImagePreprocessing(40, 32, ImagePreprocessing.ChannelOrder.RGB,
                new float[] {1.5f, 2.25f, -3f}, new float[] {0.5f, 1f, 64f});
        LaudModelFile.save(file, net, new ModelMetadata(prep, SEVEN));
        assertTrue(Files.isRegularFile(file));
        JsonObject header = header(Files.readAllBytes(file));
        assertEquals(LaudModelFile.PLACEMENT_FREE_VERSION, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(8));
        assertEquals("resnet", header.get("architecture").getAsString());
        assertEquals("CONV1", header.getAsJsonObject("family").get("stridePlacement").getAsString());
        try (NDManager other = NDManager.newBaseManager()) {
            LoadedNetwork model = LaudModelFile.load(file, other);
            assertEquals("resnet", model.architecture());
            GatedBackbone loaded = model.network();
            assertEquals(new ResNetFamily(BlockType.BOTTLENECK, StridePlacement.CONV1, true), loaded.getFamily());
            assertEquals(net.getStages(), loaded.getStages());
            assertEquals(net.getStem(), loaded.getStem());
            assertEquals(1e-3f, loaded.getBatchNormEpsilon());
            assertEquals(99, loaded.getSeed());
            assertEquals(net.staticMacs(), loaded.staticMacs());
            assertEquals(prep, model.metadata().preprocessing());
            assertEquals(SEVEN, model.metadata().labels());
            assertSameOutputs(net, loaded, other, 6);
        }
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void referenceChannelPlacementIsRecordedAsVersion3() throws WeightFileException, IOException {
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(1, 8, 32, 1, GateSpec.both(2, 4)),
                        new StageSpec(1, 16, 64, 2, GateSpec.channel(2))))
                .optChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM)
                .optStem(StemSpec.small(3, 16)).optInputSize(16).optNumClasses(7).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 16, 16));
        randomize(net, 5);
        Path file = dir.resolve("before-norm.laud");
        LaudModelFile.save(file, net);
        assertEquals(3, ByteBuffer.wrap(Files.readAllBytes(file)).getInt(8));
        assertEquals("BEFORE_NORM", header(Files.readAllBytes(file)).getAsJsonArray("stages").get(1)
                .getAsJsonObject().getAsJsonObject("gate").get("channelMaskPlacement").getAsString());
        try (NDManager other = NDManager.newBaseManager()) {
            GatedBackbone loaded = LaudModelFile.load(file, other).network();
            assertEquals(net.getStages(), loaded.getStages());
            assertEquals(ChannelMaskPlacement.BEFORE_NORM, loaded.getBlocks().get(1).getGateSpec()
                    .channelMaskPlacement());
            assertSameOutputs(net, loaded, other, 3);
        }
    }

    @Test
    void regNetRoundTripGivesIdenticalEvalOutputsAndMetadata() throws WeightFileException {
        GatedBackbone net = gatedRegNet();
        Path file = dir.resolve("regnet.laud");
        List<String> labels = List.of("cat", "dog", "bird, flying", "\"quoted\" fish", "über-ant");
        ImagePreprocessing prep = ImagePreprocessing.normalized(32, ImagePreprocessing.ChannelOrder.RGB,
                new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
        LaudModelFile.save(file, net, new ModelMetadata(prep, labels));
        LoadedNetwork model = LaudModelFile.load(file, m);
        assertEquals("regnety", model.architecture());
        RegNetYFamily family = assertInstanceOf(RegNetYFamily.class, model.network().getFamily());
        assertEquals(0.5, family.seRatio());
        assertEquals(8, family.groupWidth());
        assertEquals(labels, model.metadata().labels());
        assertEquals(prep, model.metadata().preprocessing());
        assertSameOutputs(net, model.network(), m, 7);
    }

    @Test
    void withoutMetadataNothingIsRecorded() throws WeightFileException, IOException {
        GatedBackbone net = gatedRegNet();
        Path file = dir.resolve("plain.laud");
        LaudModelFile.save(file, net);
        JsonObject header = header(Files.readAllBytes(file));
        assertFalse(header.has("labels") || header.has("preprocessing"), header.toString());
        LoadedNetwork model = LaudModelFile.load(file, m);
        assertEquals(ModelMetadata.none(), model.metadata());
        assertNull(model.metadata().preprocessing());
        assertFalse(model.metadata().hasLabels());
    }

    @Test
    void metadataThatDoesNotFitTheNetworkIsRefused() {
        GatedBackbone net = gatedResNet();
        Path file = dir.resolve("refused.laud");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaudModelFile.save(file, net, new ModelMetadata(null, List.of("a", "b"))));
        assertTrue(e.getMessage().contains("one entry per class (7)") && e.getMessage().contains("2"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudModelFile.save(file, net, new ModelMetadata(ImagePreprocessing.caffe(), List.of())));
        assertTrue(e.getMessage().contains("32x32") && e.getMessage().contains("224x224"), e.getMessage());
        assertFalse(Files.exists(file));
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMetadata(null, java.util.Collections.nCopies(ModelMetadata.MAX_LABELS + 1, "x")));
        assertTrue(e.getMessage().contains("100000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMetadata(null, List.of("ok", "y".repeat(1001))));
        assertTrue(e.getMessage().contains("labels[1]") && e.getMessage().contains("1000"), e.getMessage());
    }

    /**
     * The version 1 header of {@link #gatedResNet()} as the previous library wrote it (the stage list, whose form did
     * not change, is inserted).
     */
    private static final String RESNET_V1_HEADER = """
            {"architecture":"RESNET","blockType":"BOTTLENECK","stridePlacement":"CONV1","convBias":true,
             "stem":{"inChannels":3,"channels":16,"kernel":3,"stride":1,"maxPool":true,"maxPoolPadding":1},
             "stages":%s,"inputSize":32,"numClasses":7,"batchNormEpsilon":0.001,"seed":99}
            """;

    @Test
    void versionOneFilesStillLoad() throws WeightFileException, IOException {
        GatedBackbone net = gatedResNet();
        String v1 = RESNET_V1_HEADER.formatted(header(saved(net, "ref.laud")).get("stages"));
        Path file = dir.resolve("resnet-v1.laud");
        Files.write(file, modelBytes(1, v1, parameters(net)));
        LoadedNetwork model = LaudModelFile.load(file, m);
        assertEquals(new ResNetFamily(BlockType.BOTTLENECK, StridePlacement.CONV1, true), model.network().getFamily());
        assertEquals(ModelMetadata.none(), model.metadata());
        assertSameOutputs(net, model.network(), m, 9);

        GatedBackbone reg = gatedRegNet();
        String regV1 = """
                {"architecture":"REGNET","groupWidth":8,"seRatio":0.5,
                 "stem":{"inChannels":3,"channels":32,"kernel":3,"stride":2,"maxPool":false,"maxPoolPadding":0},
                 "stages":%s,"inputSize":32,"numClasses":5,"batchNormEpsilon":1.0E-5,"seed":1}
                """.formatted(header(saved(reg, "reg-ref.laud")).get("stages"));
        Path regFile = dir.resolve("regnet-v1.laud");
        Files.write(regFile, modelBytes(1, regV1, parameters(reg)));
        LoadedNetwork regModel = LaudModelFile.load(regFile, m);
        assertEquals(new RegNetYFamily(8, 0.5), regModel.network().getFamily());
        assertSameOutputs(reg, regModel.network(), m, 10);

        Path vgg = dir.resolve("vgg-v1.laud");
        Files.write(vgg, modelBytes(1, v1.replace("RESNET", "VGG"), parameters(net)));
        assertMessage(vgg, "unknown architecture 'VGG'");
    }

    @Test
    void unknownArchitecturesAreRejectedNamingTheKnownOnes() throws IOException, WeightFileException {
        GatedBackbone net = gatedResNet();
        byte[] bytes = saved(net, "good.laud");
        JsonObject h = header(bytes);
        h.addProperty("architecture", "mobilenet");
        Path file = dir.resolve("mobilenet.laud");
        Files.write(file, modelBytes(2, h.toString(), payload(bytes)));
        WeightFileException e = assertMessage(file, "unknown architecture 'mobilenet'");
        assertTrue(e.getMessage().contains("known architectures: resnet, regnety"), e.getMessage());

        // a known architecture with settings it does not understand
        JsonObject bad = header(bytes);
        bad.getAsJsonObject("family").addProperty("blockType", "TRIANGLE");
        Path badFile = dir.resolve("triangle.laud");
        Files.write(badFile, modelBytes(2, bad.toString(), payload(bytes)));
        WeightFileException t = assertMessage(badFile, "header does not describe a valid network");
        assertTrue(t.getMessage().contains("blockType") && t.getMessage().contains("TRIANGLE"), t.getMessage());

        // a registry without the architecture refuses to save it
        ArchitectureRegistry regNetOnly = ArchitectureRegistry.of(
                List.of(ArchitectureRegistry.builtIn().find("regnety").orElseThrow()));
        WeightFileException s = assertThrows(WeightFileException.class,
                () -> LaudModelFile.save(dir.resolve("x.laud"), net, ModelMetadata.none(), regNetOnly));
        assertTrue(s.getMessage().contains("unknown architecture 'resnet'")
                && s.getMessage().contains("known architectures: regnety"), s.getMessage());
    }

    @Test
    void tooManyLabelsAreRejected() throws IOException, WeightFileException {
        GatedBackbone net = gatedResNet();
        byte[] bytes = saved(net, "good.laud");
        JsonObject h = header(bytes);
        JsonArray labels = new JsonArray(1_000_000);
        for (int i = 0; i < 1_000_000; i++) {
            labels.add("c");
        }
        h.add("labels", labels);
        Path file = dir.resolve("labels.laud");
        Files.write(file, modelBytes(2, h.toString(), payload(bytes)));
        WeightFileException e = assertMessage(file, "1000000 labels");
        assertTrue(e.getMessage().contains("at most 100000"), e.getMessage());

        JsonObject few = header(bytes);
        JsonArray three = new JsonArray();
        List.of("a", "b", "c").forEach(three::add);
        few.add("labels", three);
        Path fewFile = dir.resolve("few.laud");
        Files.write(fewFile, modelBytes(2, few.toString(), payload(bytes)));
        assertMessage(fewFile, "one entry per class (7)");

        JsonObject longLabel = header(bytes);
        JsonArray seven = new JsonArray();
        SEVEN.forEach(seven::add);
        seven.set(3, new com.google.gson.JsonPrimitive("z".repeat(1001)));
        longLabel.add("labels", seven);
        Path longFile = dir.resolve("long.laud");
        Files.write(longFile, modelBytes(2, longLabel.toString(), payload(bytes)));
        assertMessage(longFile, "labels[3] has 1001 characters");
    }

    @Test
    void extensionsComeThroughTheServiceLoaderAndIdsIgnoreCase() throws WeightFileException {
        ArchitectureRegistry standard = ArchitectureRegistry.standard();
        assertTrue(standard.ids().containsAll(List.of("resnet", "regnety", TwinResNetFactory.ID)), standard.ids()::toString);
        assertTrue(standard.find("RegNetY").isPresent() && standard.find("RESNET").isPresent());
        assertFalse(standard.find("nothing").isPresent());
        assertFalse(ArchitectureRegistry.builtIn().find(TwinResNetFactory.ID).isPresent());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> ArchitectureRegistry.builtIn().with(new ResNetLookalike()));
        assertTrue(dup.getMessage().contains("registered twice"), dup.getMessage());

        GatedBackbone net = GatedBackbone.builder(new TwinResNetFactory.TwinFamily(42), StemSpec.small(1, 8))
                .setStages(List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(2)),
                        new StageSpec(1, 16, 16, 2, GateSpec.channel(2))))
                .optInputSize(16)
                .optNumClasses(3)
                .build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
        randomize(net, 12);
        Path file = dir.resolve("twin.laud");
        LaudModelFile.save(file, net);
        LoadedNetwork model = LaudModelFile.load(file, m);
        assertEquals(new TwinResNetFactory.TwinFamily(42), model.network().getFamily());
        assertSameOutputs(net, model.network(), m, 13);
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> LaudModelFile.load(file, m, ArchitectureRegistry.builtIn()));
        assertTrue(e.getMessage().contains("unknown architecture '" + TwinResNetFactory.ID + "'"), e.getMessage());
    }

    /** A second factory claiming the ResNet id. */
    private static final class ResNetLookalike implements ArchitectureFactory {
        @Override
        public String id() {
            return "ResNet";
        }

        @Override
        public JsonObject settings(org.laudnet.core.net.BlockFamily family) {
            return new JsonObject();
        }

        @Override
        public org.laudnet.core.net.BlockFamily family(JsonObject settings) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void badFilesAreRejectedWithTheFileName() throws IOException, WeightFileException {
        GatedBackbone net = gatedResNet();
        Path good = dir.resolve("good.laud");
        LaudModelFile.save(good, net);
        byte[] bytes = Files.readAllBytes(good);

        Path missing = dir.resolve("absent.laud");
        assertMessage(missing, "does not exist");

        Path text = dir.resolve("text.laud");
        Files.writeString(text, "hello, world");
        assertMessage(text, "bad magic");

        byte[] v4 = bytes.clone();
        ByteBuffer.wrap(v4).putInt(8, 4);
        Path version = dir.resolve("v4.laud");
        Files.write(version, v4);
        assertMessage(version, "unsupported format version 4");

        byte[] huge = bytes.clone();
        ByteBuffer.wrap(huge).putInt(12, LaudModelFile.MAX_HEADER_BYTES + 1);
        Path hugeHeader = dir.resolve("huge.laud");
        Files.write(hugeHeader, huge);
        assertMessage(hugeHeader, "invalid header length");

        for (int cut : new int[] {10, 20, bytes.length / 2, bytes.length - 1}) {
            Path truncated = dir.resolve("cut" + cut + ".laud");
            Files.write(truncated, Arrays.copyOf(bytes, cut));
            assertMessage(truncated, "truncated");
        }

        byte[] flipped = bytes.clone();
        flipped[bytes.length - 100] ^= 0x40;
        Path corrupt = dir.resolve("corrupt.laud");
        Files.write(corrupt, flipped);
        assertMessage(corrupt, "checksum");

        Path notJson = dir.resolve("notjson.laud");
        Files.write(notJson, modelBytes(2, "[1, 2", payload(bytes)));
        assertMessage(notJson, "header is not a JSON object");

        Path wrongParams = dir.resolve("params.laud");
        Files.write(wrongParams, modelBytes(2, header(bytes).toString(), parameters(gatedRegNet())));
        assertMessage(wrongParams, "cannot load the parameters");

        // an intact file is still readable after all of this
        assertFalse(LaudModelFile.load(good, m).network().getBlocks().isEmpty());
    }

    @Test
    void headersThatImplyHugeNetworksAreRejectedBeforeAnythingIsAllocated() throws IOException, WeightFileException {
        GatedBackbone net = gatedResNet();
        byte[] bytes = saved(net, "good.laud");
        byte[] tiny = new byte[64];

        // a file of about 1 KB declaring a million classes (a head of 64 x 10^6 parameters)
        JsonObject classes = header(bytes);
        classes.addProperty("numClasses", 1_000_000);
        Path millionClasses = dir.resolve("million-classes.laud");
        Files.write(millionClasses, modelBytes(2, classes.toString(), tiny));
        assertTrue(Files.size(millionClasses) < 2048, "a small file: " + Files.size(millionClasses));
        WeightFileException million = assertMessage(millionClasses, "numClasses must be in [1, 100000]");
        assertTrue(million.getMessage().contains("got 1000000"), million.getMessage());

        // within the limits, but more parameters than the payload holds: refused before initialising
        JsonObject many = header(bytes);
        many.addProperty("numClasses", 100_000);
        Path manyClasses = dir.resolve("many-classes.laud");
        Files.write(manyClasses, modelBytes(2, many.toString(), payload(bytes)));
        WeightFileException e = assertMessage(manyClasses, "at least");
        assertTrue(e.getMessage().contains("100000 classes")
                && e.getMessage().contains(payload(bytes).length + " parameter bytes"), e.getMessage());

        JsonObject wide = header(bytes);
        wide.getAsJsonArray("stages").get(0).getAsJsonObject().addProperty("width", 60_000);
        Path wideFile = dir.resolve("wide.laud");
        Files.write(wideFile, modelBytes(2, wide.toString(), tiny));
        assertMessage(wideFile, "parameters");

        JsonObject tooWide = header(bytes);
        tooWide.getAsJsonArray("stages").get(1).getAsJsonObject().addProperty("outChannels", 1 << 20);
        Path tooWideFile = dir.resolve("too-wide.laud");
        Files.write(tooWideFile, modelBytes(2, tooWide.toString(), tiny));
        assertMessage(tooWideFile, "stages[1] outChannels must be in [1, 65536], got 1048576");

        JsonObject large = header(bytes);
        large.addProperty("inputSize", 100_000);
        Path largeInput = dir.resolve("large-input.laud");
        Files.write(largeInput, modelBytes(2, large.toString(), tiny));
        assertMessage(largeInput, "inputSize must be in [1, 4096], got 100000");

        // the real file still loads
        assertSameOutputs(net, LaudModelFile.load(dir.resolve("good.laud"), m).network(), m, 3);
        // a true lower bound (convolution and classifier weights only), yet most of the parameters
        for (GatedBackbone n : List.of(net, gatedRegNet())) {
            long count = n.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            double bound = ModelHeader.minParameters(n);
            assertTrue(bound <= count && bound > 0.5 * count, n.getFamily().id() + ": bound " + bound + ", " + count
                    + " parameters");
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheParameter() throws IOException, WeightFileException {
        GatedBackbone net = gatedResNet();
        byte[] bytes = saved(net, "good.laud");
        byte[] payload = payload(bytes);
        List<ParameterStreamCheck.Entry> entries = ParameterStreamCheck.layout(net, payload, 0, payload.length);
        for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
            ParameterStreamCheck.Entry e = entries.get(entries.size() / 2);
            byte[] p = payload.clone();
            ByteBuffer.wrap(p).order(java.nio.ByteOrder.nativeOrder()).putFloat((int) e.dataOffset() + 8, bad);
            Path file = dir.resolve("nan.laud");
            Files.write(file, modelBytes(2, header(bytes).toString(), p));
            WeightFileException x = assertMessage(file, "value 2 of shape " + e.shape() + " is " + bad);
            assertEquals(java.util.Optional.of(e.parameter()), x.tensor());
            assertTrue(x.getMessage().contains("tensor '" + e.parameter() + "'"), x.getMessage());
        }
    }

    @Test
    void parameterStreamsUnlikeTheHeadersNetworkAreRefusedBeforeDjlReadsThem() throws IOException,
            WeightFileException {
        GatedBackbone net = gatedResNet();
        byte[] bytes = saved(net, "good.laud");
        byte[] payload = payload(bytes);
        ParameterStreamCheck.Entry e = ParameterStreamCheck.layout(net, payload, 0, payload.length).get(5);
        int rank = e.shape().dimension();
        int rankAt = (int) e.dataOffset() - 4 - 1 - (4 + 8 * rank + 4 + 2 * rank);

        // a rank DJL would allocate a long[2^31 - 1] for, with a valid checksum
        byte[] huge = payload.clone();
        ByteBuffer.wrap(huge).putInt(rankAt, Integer.MAX_VALUE);
        Path hugeFile = dir.resolve("huge-rank.laud");
        Files.write(hugeFile, modelBytes(2, header(bytes).toString(), huge));
        WeightFileException x = assertMessage(hugeFile, "the parameter stream does not match the network the "
                + "header describes");
        assertEquals(java.util.Optional.of(e.parameter()), x.tensor());

        // a data length DJL would allocate a 2 GiB direct buffer for
        byte[] length = payload.clone();
        ByteBuffer.wrap(length).putInt((int) e.dataOffset() - 4, Integer.MAX_VALUE - 8);
        Path lengthFile = dir.resolve("huge-length.laud");
        Files.write(lengthFile, modelBytes(2, header(bytes).toString(), length));
        assertMessage(lengthFile, "does not match the network");

        // a parameter marked absent: DJL would skip it and keep the fresh network's random values
        byte[] absent = payload.clone();
        absent[(int) e.headerOffset() + 1] = 'N';
        Path absentFile = dir.resolve("absent.laud");
        Files.write(absentFile, modelBytes(2, header(bytes).toString(), absent));
        assertMessage(absentFile, "does not match the network");

        // a recorded input shape that is not the header's (1 .. 65536, channels, size, size)
        byte[] input = payload.clone();
        ByteBuffer.wrap(input).putLong(9 + 8, 5);
        Path inputFile = dir.resolve("input.laud");
        Files.write(inputFile, modelBytes(2, header(bytes).toString(), input));
        assertMessage(inputFile, "records the input shapes [(1, 5, 32, 32)]");
    }

    @Test
    void aNetworkInitialisedForAnotherBatchSizeRoundTrips() throws IOException, WeightFileException {
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(2))))
                .optStem(StemSpec.small(3, 8)).optInputSize(16).optNumClasses(3).build();
        net.initialize(m, DataType.FLOAT32, new Shape(32, 3, 16, 16));
        randomize(net, 12);
        Path file = dir.resolve("batch32.laud");
        LaudModelFile.save(file, net);
        assertSameOutputs(net, LaudModelFile.load(file, m).network(), m, 5);
    }

    private WeightFileException assertMessage(Path file, String text) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> LaudModelFile.load(file, m));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(text), e.getMessage());
        assertEquals(file, e.file());
        return e;
    }

    private byte[] saved(GatedBackbone net, String name) throws WeightFileException, IOException {
        Path file = dir.resolve(name);
        LaudModelFile.save(file, net);
        return Files.readAllBytes(file);
    }

    /** The JSON header of a model file's bytes. */
    private static JsonObject header(byte[] file) {
        int length = ByteBuffer.wrap(file).getInt(12);
        return JsonParser.parseString(new String(file, 16, length, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    /** The parameter payload of a model file's bytes. */
    private static byte[] payload(byte[] file) {
        int length = ByteBuffer.wrap(file).getInt(12);
        int start = 16 + length + 8;
        return Arrays.copyOfRange(file, start, file.length - 8);
    }

    /** A network's DJL parameter stream. */
    private static byte[] parameters(GatedBackbone net) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            net.saveParameters(out);
        }
        return bos.toByteArray();
    }

    /** A model file written by hand: magic, version, header, payload, CRC-32 of header and payload. */
    static byte[] modelBytes(int version, String header, byte[] payload) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(h);
        crc.update(payload);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.write(MAGIC);
            out.writeInt(version);
            out.writeInt(h.length);
            out.write(h);
            out.writeLong(payload.length);
            out.write(payload);
            out.writeLong(crc.getValue());
        }
        return bos.toByteArray();
    }
}
