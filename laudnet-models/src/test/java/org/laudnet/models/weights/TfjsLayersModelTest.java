package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TfjsLayersModelTest {

    /** 25 weights values: conv1 kernel 6, conv1 bias 2, BN 4 x 2, fc kernel 6, fc bias 3. */
    private static final int VALUES = 25;

    @TempDir
    Path dir;

    private static String modelJson(String dtypeOfFcBias, String... shards) {
        String paths = String.join(",", Arrays.stream(shards).map(s -> "\"" + s + "\"").toList());
        return """
                {"format": "layers-model", "generatedBy": "keras v2.2.4-tf", "convertedBy": "TensorFlow.js Converter",
                 "modelTopology": {"keras_version": "2.2.4-tf", "backend": "tensorflow",
                  "model_config": {"class_name": "Model", "config": {"name": "tiny",
                   "layers": [
                    {"name": "input_1", "class_name": "InputLayer",
                     "config": {"batch_input_shape": [null, 4, 4, 3], "name": "input_1"}, "inbound_nodes": []},
                    {"name": "conv1_pad", "class_name": "ZeroPadding2D",
                     "config": {"name": "conv1_pad", "padding": [[1, 2], [3, 4]]},
                     "inbound_nodes": [[["input_1", 0, 0, {}]]]},
                    {"name": "conv1", "class_name": "Conv2D",
                     "config": {"name": "conv1", "filters": 2, "kernel_size": [1, 1], "strides": [2, 2],
                      "padding": "valid", "dilation_rate": [1, 1], "activation": "linear", "use_bias": true},
                     "inbound_nodes": [[["conv1_pad", 0, 0, {}]]]},
                    {"name": "bn_conv1", "class_name": "BatchNormalization",
                     "config": {"name": "bn_conv1", "axis": [3], "epsilon": 0.001, "center": true, "scale": true},
                     "inbound_nodes": [[["conv1", 0, 0, {}]]]},
                    {"name": "add", "class_name": "Add", "config": {"name": "add"},
                     "inbound_nodes": [[["bn_conv1", 0, 0, {}], ["conv1", 0, 0, {}]]]},
                    {"name": "pool", "class_name": "MaxPooling2D",
                     "config": {"name": "pool", "pool_size": [3, 3], "strides": [2, 2], "padding": "same"},
                     "inbound_nodes": [[["add", 0, 0, {}]]]},
                    {"name": "fc", "class_name": "Dense",
                     "config": {"name": "fc", "units": 3, "activation": "softmax", "use_bias": true},
                     "inbound_nodes": [[["pool", 0, 0, {}]]]}],
                   "input_layers": [["input_1", 0, 0]], "output_layers": [["fc", 0, 0]]}}},
                 "weightsManifest": [{"paths": [%s], "weights": [
                   {"name": "conv1/kernel", "shape": [1, 1, 3, 2], "dtype": "float32"},
                   {"name": "conv1/bias", "shape": [2], "dtype": "float32"},
                   {"name": "bn_conv1/gamma", "shape": [2], "dtype": "float32"},
                   {"name": "bn_conv1/beta", "shape": [2], "dtype": "float32"},
                   {"name": "bn_conv1/moving_mean", "shape": [2], "dtype": "float32"},
                   {"name": "bn_conv1/moving_variance", "shape": [2], "dtype": "float32"},
                   {"name": "fc/kernel", "shape": [2, 3], "dtype": "float32"},
                   {"name": "fc/bias", "shape": [3], "dtype": "%s"}]}]}
                """.formatted(paths, dtypeOfFcBias);
    }

    /** Values i + 0.5 for i = 0..24, little-endian, split into shards of the given byte sizes. */
    private Path writeModel(String dtypeOfFcBias, int... shardBytes) throws IOException {
        float[] values = new float[VALUES];
        for (int i = 0; i < VALUES; i++) {
            values[i] = i + 0.5f;
        }
        byte[] all = new LittleEndianBytes().f32(values).toArray();
        String[] names = new String[shardBytes.length];
        int off = 0;
        for (int s = 0; s < shardBytes.length; s++) {
            names[s] = "group1-shard" + (s + 1) + "of" + shardBytes.length + ".bin";
            int end = Math.min(all.length, off + shardBytes[s]);
            byte[] part = Arrays.copyOfRange(all, Math.min(off, all.length), end);
            if (off + shardBytes[s] > all.length) {
                part = Arrays.copyOf(part, shardBytes[s]);
            }
            Files.write(dir.resolve(names[s]), part);
            off += shardBytes[s];
        }
        Path json = dir.resolve("model.json");
        Files.writeString(json, modelJson(dtypeOfFcBias, names), StandardCharsets.UTF_8);
        return json;
    }

    @Test
    void readsTopologyAndWeightsAcrossShards() throws Exception {
        TfjsLayersModel m = TfjsLayersModel.read(writeModel("float32", 40, 40, 20));
        assertEquals("layers-model", m.format());
        assertEquals("keras v2.2.4-tf", m.generatedBy());
        assertEquals("tiny", m.modelName());
        assertEquals(List.of("input_1"), m.inputLayers());
        assertEquals(List.of("fc"), m.outputLayers());
        assertEquals(7, m.layers().size());
        assertEquals(List.of("input_1", "conv1_pad", "conv1", "bn_conv1", "add", "pool", "fc"),
                m.layers().stream().map(KerasLayer::name).toList());

        KerasLayer conv = m.layer("conv1");
        assertEquals(KerasLayer.CONV2D, conv.className());
        assertEquals(List.of("conv1_pad"), conv.inboundLayers());
        assertEquals(OptionalInt.of(2), conv.config().filters());
        assertEquals(List.of(1, 1), conv.config().kernelSize());
        assertEquals(List.of(2, 2), conv.config().strides());
        assertEquals(Optional.of("valid"), conv.config().padding());
        assertEquals(Optional.of(true), conv.config().useBias());
        assertEquals(OptionalInt.empty(), conv.config().groups());
        assertEquals(List.of(1, 2, 3, 4), m.layer("conv1_pad").config().paddingAmounts());
        assertEquals(OptionalDouble.of(0.001), m.layer("bn_conv1").config().epsilon());
        assertEquals(Optional.of(true), m.layer("bn_conv1").config().center());
        assertEquals(List.of("bn_conv1", "conv1"), m.layer("add").inboundLayers());
        assertEquals(List.of(3, 3), m.layer("pool").config().poolSize());
        assertEquals(Optional.of("same"), m.layer("pool").config().padding());
        assertEquals(OptionalInt.of(3), m.layer("fc").config().units());
        assertEquals(Optional.of("softmax"), m.layer("fc").config().activation());
        assertEquals(1, m.layersOfClass(KerasLayer.DENSE).size());

        TensorFile w = m.weights();
        assertEquals(8, w.size());
        assertEquals(VALUES, w.totalValues());
        NamedTensor kernel = w.get("conv1/kernel");
        assertArrayEquals(new long[] {1, 1, 3, 2}, kernel.shape());
        assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, kernel.data());
        assertEquals(5.5f, kernel.get(0, 0, 2, 1));
        assertArrayEquals(new float[] {6.5f, 7.5f}, w.get("conv1/bias").data());
        // bn_conv1/moving_mean spans the boundary between shard 1 (values 0..9) and shard 2 (values 10..19)
        assertArrayEquals(new float[] {12.5f, 13.5f}, w.get("bn_conv1/moving_mean").data());
        assertArrayEquals(new float[] {22.5f, 23.5f, 24.5f}, w.get("fc/bias").data());
        assertEquals(List.of("bn_conv1/gamma", "bn_conv1/beta", "bn_conv1/moving_mean", "bn_conv1/moving_variance"),
                m.weightsOf("bn_conv1").stream().map(NamedTensor::name).toList());
        assertTrue(m.weightsOf("add").isEmpty());
    }

    @Test
    void shardBoundaryInsideAFloat() throws Exception {
        TfjsLayersModel m = TfjsLayersModel.read(writeModel("float32", 42, 42, 16));
        float[] expected = new float[VALUES];
        int k = 0;
        for (NamedTensor t : m.weights().tensors()) {
            for (float v : t.data()) {
                expected[k] = k + 0.5f;
                assertEquals(expected[k], v, t.name() + " element " + k);
                k++;
            }
        }
        assertEquals(VALUES, k);
    }

    @Test
    void shardPathsLeavingTheModelDirectoryAreRefused() throws Exception {
        Path json = writeModel("float32", 100);
        String manifest = Files.readString(json);
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.copy(dir.resolve("group1-shard1of1.bin"), outside.resolve("w.bin"));
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(dir.resolve("group1-shard1of1.bin"), model.resolve("group1-shard1of1.bin"));
        for (String path : new String[] {"../outside/w.bin", outside.resolve("w.bin").toString(),
            "sub/../../outside/w.bin", "", ".", "a\\u0000b"}) {
            Path m = model.resolve("model.json");
            Files.writeString(m, manifest.replace("\"group1-shard1of1.bin\"", "\"" + path + "\""),
                    StandardCharsets.UTF_8);
            WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(m));
            assertMessage(e, m.toString(), "weightsManifest[0].paths[0]");
        }
        Files.createSymbolicLink(model.resolve("linked.bin"), outside.resolve("w.bin"));
        Path m = model.resolve("model.json");
        Files.writeString(m, manifest.replace("group1-shard1of1.bin", "linked.bin"), StandardCharsets.UTF_8);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(m));
        assertMessage(e, "weightsManifest[0].paths[0] 'linked.bin' links to", "outside the directory");
        // the same shard inside the directory reads
        Files.writeString(m, manifest, StandardCharsets.UTF_8);
        assertEquals(VALUES, TfjsLayersModel.read(m).weights().totalValues());
    }

    @Test
    void nonFiniteWeightsAndBlankNamesAreRefused() throws Exception {
        Path json = writeModel("float32", 100);
        Path shard = dir.resolve("group1-shard1of1.bin");
        byte[] b = Files.readAllBytes(shard);
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(4 * 23, Float.NaN);
        Files.write(shard, b);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "tensor 'fc/bias'", "value 1 of shape [3] is NaN");
        Files.writeString(json, Files.readString(json).replace("\"name\": \"fc/bias\"", "\"name\": \" \""));
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "weightsManifest[0] has a weight without a name (or a blank one)");
        Path directory = Files.createDirectories(dir.resolve("model.json.d"));
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(directory));
        assertMessage(e, "is a directory");
    }

    @Test
    void missingShardIsNamed() throws Exception {
        Path json = writeModel("float32", 40, 40, 20);
        Files.delete(dir.resolve("group1-shard2of3.bin"));
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "group1-shard2of3.bin", "shard 2 of 3", "missing");
    }

    @Test
    void wrongShardSizeNamesShardAndByteCounts() throws Exception {
        Path json = writeModel("float32", 40, 40, 20);
        Path shard2 = dir.resolve("group1-shard2of3.bin");
        Files.write(shard2, Arrays.copyOf(Files.readAllBytes(shard2), 36));
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "group1-shard2of3.bin", "has 36 bytes, expected 40", "25 float32 values (100 bytes)",
                "hold 96 bytes");
        assertEquals(shard2, e.file());
    }

    @Test
    void lastShardTooLong() throws Exception {
        Path json = writeModel("float32", 40, 40, 24);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "group1-shard3of3.bin", "has 24 bytes, expected 20");
    }

    @Test
    void totalValueCountMismatchWithOneShard() throws Exception {
        Path json = writeModel("float32", 96);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "group1-shard1of1.bin", "has 96 bytes, expected 100",
                "lists 25 float32 values (100 bytes) but its 1 shards hold 96 bytes");
    }

    @Test
    void unsupportedDtypeIsNamed() throws Exception {
        Path json = writeModel("int32", 40, 40, 20);
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(json));
        assertMessage(e, "model.json", "tensor 'fc/bias'", "unsupported dtype 'int32'");
        assertEquals(Optional.of("fc/bias"), e.tensor());
    }

    @Test
    void malformedModelFiles() throws Exception {
        Path missing = dir.resolve("absent/model.json");
        WeightFileException e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(missing));
        assertMessage(e, "absent", "not found");

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"modelTopology\": ");
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(bad));
        assertMessage(e, "bad.json", "not valid JSON");

        Path noManifest = dir.resolve("nomanifest.json");
        Files.writeString(noManifest, "{\"modelTopology\": {\"class_name\": \"Sequential\", \"config\": []}}");
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(noManifest));
        assertMessage(e, "nomanifest.json", "weightsManifest");

        Path noLayers = dir.resolve("nolayers.json");
        Files.writeString(noLayers, "{\"modelTopology\": {\"class_name\": \"Model\", \"config\": {}},"
                + " \"weightsManifest\": []}");
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(noLayers));
        assertMessage(e, "nolayers.json", "layer list");

        Path quantized = dir.resolve("quantized.json");
        Files.writeString(quantized, "{\"modelTopology\": {\"class_name\": \"Sequential\", \"config\": []},"
                + " \"weightsManifest\": [{\"paths\": [], \"weights\": [{\"name\": \"d/kernel\", \"shape\": [1],"
                + " \"dtype\": \"float32\", \"quantization\": {\"dtype\": \"uint8\"}}]}]}");
        e = assertThrows(WeightFileException.class, () -> TfjsLayersModel.read(quantized));
        assertMessage(e, "quantized.json", "tensor 'd/kernel'", "quantized");
    }

    @Test
    void sequentialModelAndKeras3InboundNodes() throws Exception {
        Files.write(dir.resolve("w.bin"), new LittleEndianBytes().f32(1, 2).toArray());
        Path json = dir.resolve("seq.json");
        Files.writeString(json, """
                {"modelTopology": {"class_name": "Sequential", "config": [
                   {"class_name": "Dense", "config": {"name": "d", "units": 2, "use_bias": false}},
                   {"class_name": "Activation", "config": {"name": "act", "activation": "relu"},
                    "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                      "config": {"shape": [null, 2], "keras_history": ["d", 0, 0]}}], "kwargs": {}}]}]},
                 "weightsManifest": [{"paths": ["w.bin"],
                   "weights": [{"name": "d/kernel", "shape": [1, 2], "dtype": "float32"}]}]}
                """);
        TfjsLayersModel m = TfjsLayersModel.read(json);
        assertEquals(List.of("d", "act"), m.layers().stream().map(KerasLayer::name).toList());
        assertEquals(List.of("d"), m.layer("act").inboundLayers());
        assertEquals(Optional.of(false), m.layer("d").config().useBias());
        assertTrue(m.inputLayers().isEmpty());
        assertArrayEquals(new float[] {1, 2}, m.weights().get("d/kernel").data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.layer("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }

    private static void assertMessage(WeightFileException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }
}
