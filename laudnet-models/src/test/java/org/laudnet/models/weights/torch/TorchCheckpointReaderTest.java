package org.laudnet.models.weights.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.torch.PthFixtures.Pickle;

class TorchCheckpointReaderTest {

    @TempDir
    Path dir;

    private static float base(int i, int j) {
        return (6 * i + j) / 4f - 2f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtypes.pth", "legacy_dtypes.pth"})
    void readsEveryDtypeAndViewOfTheFixtureExactly(String fixture) throws Exception {
        Map<String, TorchTensor> d = TorchCheckpointReader.read(PthFixtures.fixture(fixture)).stateDict();
        float[] f32 = new float[24];
        float[] f64 = new float[24];
        float[] f16 = new float[24];
        float[] transposed = new float[24];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                f32[6 * i + j] = base(i, j);
                f64[6 * i + j] = (float) (((6 * i + j) * 0.25 - 2.0) / 3.0);
                f16[6 * i + j] = base(i, j) * 1.5f;
                transposed[4 * j + i] = base(i, j);
            }
        }
        check(d.get("f32"), TorchDType.FLOAT32, new long[] {4, 6}, f32);
        check(d.get("f64"), TorchDType.FLOAT64, new long[] {4, 6}, f64);
        check(d.get("f16"), TorchDType.FLOAT16, new long[] {4, 6}, f16);
        check(d.get("bf16"), TorchDType.BFLOAT16, new long[] {4, 6}, f16);
        check(d.get("i64"), TorchDType.INT64, new long[] {6},
                new long[] {-3000000021L, -2000000014L, -1000000007L, 0, 1000000007L, 2000000014L});
        check(d.get("i32"), TorchDType.INT32, new long[] {6}, new long[] {-210000, -140000, -70000, 0, 70000, 140000});
        check(d.get("i16"), TorchDType.INT16, new long[] {6}, new long[] {-3000, -2000, -1000, 0, 1000, 2000});
        check(d.get("i8"), TorchDType.INT8, new long[] {6}, new long[] {-120, -80, -40, 0, 40, 80});
        check(d.get("u8"), TorchDType.UINT8, new long[] {6}, new long[] {0, 50, 100, 150, 200, 250});
        check(d.get("bool"), TorchDType.BOOL, new long[] {4}, new long[] {1, 0, 0, 1});
        check(d.get("transposed"), TorchDType.FLOAT32, new long[] {6, 4}, transposed);
        check(d.get("sliced"), TorchDType.FLOAT32, new long[] {2, 3}, new float[] {base(1, 2), base(1, 3), base(1, 4),
            base(2, 2), base(2, 3), base(2, 4)});
        check(d.get("expanded"), TorchDType.FLOAT32, new long[] {2, 3}, new float[] {1.5f, 1.5f, 1.5f, -2.5f, -2.5f,
            -2.5f});
        check(d.get("shared_a"), TorchDType.FLOAT32, new long[] {4}, new float[] {2, 3, 4, 5});
        check(d.get("shared_b"), TorchDType.FLOAT32, new long[] {5, 1}, new float[] {5, 6, 7, 8, 9});
        check(d.get("scalar"), TorchDType.FLOAT32, new long[] {}, new float[] {3.75f});
        check(d.get("empty"), TorchDType.FLOAT32, new long[] {0, 3}, new float[0]);
        check(d.get("param"), TorchDType.FLOAT32, new long[] {1, 2}, new float[] {0.5f, -0.25f});
        check(d.get("num_batches_tracked"), TorchDType.INT64, new long[] {}, new long[] {123456789012L});
        assertEquals(19, d.size());
        // integers become floats for the importers
        TensorFile f = TorchCheckpointReader.read(PthFixtures.fixture(fixture)).toTensorFile();
        assertArrayEquals(new float[] {-120, -80, -40, 0, 40, 80}, f.get("i8").data());
    }

    private static void check(TorchTensor t, TorchDType dtype, long[] shape, float[] values) {
        assertEquals(dtype, t.dtype());
        assertArrayEquals(shape, t.shape());
        assertArrayEquals(values, t.floats());
        assertNull(t.longs());
    }

    private static void check(TorchTensor t, TorchDType dtype, long[] shape, long[] values) {
        assertEquals(dtype, t.dtype());
        assertArrayEquals(shape, t.shape());
        assertArrayEquals(values, t.longs());
        assertNull(t.floats());
    }

    @Test
    void findsTheNestedStateDictStripsModulePrefixesAndKeepsTheCheckpointEntries() throws Exception {
        TorchCheckpoint c = TorchCheckpointReader.read(PthFixtures.fixture("laudnet_ref_resnet.pth.tar"));
        Map<?, ?> root = assertInstanceOf(Map.class, c.root());
        assertEquals(3L, root.get("epoch"));
        assertEquals("uni_resnet50", root.get("model"));
        assertEquals(50.0, root.get("best_acc1_corresponding_acc5"));
        assertEquals(List.of(10.0, 12.5), root.get("val_acc_top1"));
        TorchTensor best = assertInstanceOf(TorchTensor.class, root.get("best_acc1"));
        assertArrayEquals(new float[] {12.5f}, best.floats());
        Map<String, TorchTensor> sd = c.stateDict();
        assertEquals("conv1.weight", sd.keySet().iterator().next());
        assertTrue(sd.keySet().stream().noneMatch(k -> k.startsWith("module.")), sd.keySet().toString());
        assertArrayEquals(new long[] {2, 32, 1, 1}, sd.get("layer4.0.masker_spatial.conv.weight").shape());
        assertArrayEquals(new long[] {64, 16, 1, 1}, sd.get("layer4.0.conv3.weight").shape());
        assertEquals(TorchDType.INT64, sd.get("bn1.num_batches_tracked").dtype());
        assertArrayEquals(new long[] {17}, sd.get("bn1.num_batches_tracked").longs());
    }

    @Test
    void hostilePicklesAreRefusedNamingTheGlobalAndNothingRuns() throws Exception {
        Path marker = Path.of("pth-fixture-executed.marker");
        Files.deleteIfExists(marker);
        Map<String, String> cases = Map.of(
                "hostile_os_system.pth", "posix.system",
                "hostile_eval.pth", "__builtin__.eval", // protocol 2 spells builtins as Python 2 did
                "hostile_subprocess.pth", "commands.call", // protocol 2's Python 2 name of subprocess.call
                "hostile_legacy.pth", "posix.system");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path f = PthFixtures.fixture(c.getKey());
            UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> TorchCheckpointReader.read(f));
            assertEquals(c.getValue(), e.className(), c.getKey());
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(c.getValue())
                    && e.getMessage().contains("GLOBAL at offset"), e.getMessage());
            assertInstanceOf(LaudInputException.class, e);
        }
        assertFalse(Files.exists(marker), "a payload ran");
    }

    @Test
    void refusesInstantiationOpcodesAndGlobalsAStateDictDoesNotNeed() throws Exception {
        Object[][] cases = {
            {new Pickle().global("torch.nn.modules.conv", "Conv2d").op(')').op('R').op('.'),
                "torch.nn.modules.conv.Conv2d"},
            {new Pickle().global("builtins", "getattr").op('.'), "builtins.getattr"},
            {new Pickle().op('i').raw("os\nsystem\n".getBytes()).op('.'), "os.system"},
            {new Pickle().global("collections", "OrderedDict").op(')').op(0x81).op('.'), "collections.OrderedDict"},
            {new Pickle().global("torch", "FloatStorage").op('(').integer(3).op('t').op('R').op('.'),
                "torch.FloatStorage"},
            // BUILD on anything but an OrderedDict
            {new Pickle().op(']').op('}').op('b').op('.'), "list"},
        };
        for (Object[] c : cases) {
            Path f = PthFixtures.archive(dir.resolve("case.pth"), ((Pickle) c[0]).bytes(), Map.of());
            UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> TorchCheckpointReader.read(f));
            assertEquals(c[1], e.className(), e.getMessage());
        }
    }

    @Test
    void malformedPicklesAreNamedErrorsBeforeAnyLargeAllocation() throws Exception {
        byte[] floats = new byte[16];
        Object[][] cases = {
            {new Pickle().op('X').le(0x7ffffff0L, 4), "more bytes"},
            {new Pickle().op(0x8d).le(Long.MAX_VALUE, 8), "more bytes"},
            {new Pickle().op(0x8a).op(200), "does not fit 64 bits"},
            {new Pickle().op('h').op(7).op('.'), "never PUT"},
            {new Pickle().op('a').op('.'), "stack is empty"},
            {new Pickle().op('t').op('.'), "needs a mark"},
            {new Pickle().op(0x80).op(9), "protocol 9"},
            {new Pickle().op(0x28).op(0x28).op('.'), "STOP at offset"},
            {new Pickle().op(0xff), "opcode 0xff"},
            {new Pickle().op('N'), "without a STOP"},
            {new Pickle().op('}').op('(').op('N').op('u').op('.'), "not key/value pairs"},
            {new Pickle().op('}').op(']').op('N').op('s').op('.'), "dict key"},
            {new Pickle().tensor("0", 4, 0, new long[] {5}, new long[] {1}).op('.'), "outside the storage"},
            {new Pickle().tensor("0", 4, 2, new long[] {2, 2}, new long[] {1, 1}).op('.'), "outside the storage"},
            {new Pickle().tensor("0", 4, 0, new long[] {1 << 20, 1 << 10}, new long[] {0, 0}).op('.'), "exceed"},
            {new Pickle().tensor("0", 4, 0, new long[] {1 << 20, 1 << 20}, new long[] {0, 0}).op('.'), "Java array"},
            {new Pickle().tensor("0", 8, 0, new long[] {2}, new long[] {1}).op('.'), "needs 32 bytes"},
            {new Pickle().tensor("9", 4, 0, new long[] {2}, new long[] {1}).op('.'), "no such entry"},
            {new Pickle().tensor("../x", 4, 0, new long[] {2}, new long[] {1}).op('.'), "letters, digits"},
            {new Pickle().tensor("0", 4, -1, new long[] {2}, new long[] {1}).op('.'), "negative storage offset"},
            {new Pickle().tensor("0", 4, 0, new long[] {2}, new long[] {-1}).op('.'), "negative size or stride"},
        };
        for (Object[] c : cases) {
            Path f = PthFixtures.archive(dir.resolve("case.pth"), ((Pickle) c[0]).bytes(), Map.of("0", floats));
            TorchCheckpointException e = assertThrows(TorchCheckpointException.class,
                    () -> TorchCheckpointReader.read(f), (String) c[1]);
            assertFalse(e instanceof UnsafePickleException, e.getMessage());
            assertTrue(e.getMessage().contains((String) c[1]), c[1] + " not in: " + e.getMessage());
        }
        // nesting and stack are bounded
        Pickle deep = new Pickle();
        for (int i = 0; i <= RestrictedUnpickler.MAX_MARKS; i++) {
            deep.op('(');
        }
        Path f = PthFixtures.archive(dir.resolve("deep.pth"), deep.bytes(), Map.of());
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(f));
        assertTrue(e.getMessage().contains("nested marks"), e.getMessage());
    }

    @Test
    void legacyCheckpointIsReadAndItsDamageRefused() throws Exception {
        TorchCheckpoint c = TorchCheckpointReader.read(PthFixtures.fixture("legacy.pth"));
        assertEquals(1L, ((Map<?, ?>) c.root()).get("epoch"));
        Map<String, TorchTensor> sd = c.stateDict();
        assertEquals(List.of("w"), List.copyOf(sd.keySet()));
        assertArrayEquals(new float[] {1, 1, 1}, sd.get("w").floats());

        byte[] good = Files.readAllBytes(PthFixtures.fixture("legacy_dtypes.pth"));
        for (int length : new int[] {10, 15, 21, 200, good.length / 2, good.length - 4, good.length - 1}) {
            Path f = Files.write(dir.resolve("legacy-" + length + ".pth"), java.util.Arrays.copyOf(good, length));
            TorchCheckpointException e = assertThrows(TorchCheckpointException.class,
                    () -> TorchCheckpointReader.read(f), "length " + length);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 3);
        Path f = Files.write(dir.resolve("legacy-longer.pth"), longer);
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(f));
        assertTrue(e.getMessage().contains("3 bytes follow the last legacy storage"), e.getMessage());
        Path bare = Files.write(dir.resolve("bare.pth"), new Pickle().op(']').op('.').bytes());
        e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(bare));
        assertTrue(e.getMessage().contains("without the magic number"), e.getMessage());
    }

    @Test
    void truncatedAndNonZipFilesAreRefusedWithTheReason() throws Exception {
        TorchCheckpointException e;
        byte[] good = Files.readAllBytes(PthFixtures.fixture("tv_resnet_basic.pth"));
        for (int length : new int[] {0, 3, 4, 100, good.length / 2, good.length - 22, good.length - 1}) {
            Path f = dir.resolve("truncated-" + length + ".pth");
            Files.write(f, java.util.Arrays.copyOf(good, length));
            e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(f), "length " + length);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
        Path text = Files.writeString(dir.resolve("text.pth"), "not a checkpoint");
        e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(text));
        assertTrue(e.getMessage().contains("zip header"), e.getMessage());
        e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(dir.resolve("none.pth")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tv_resnet_basic.pth", "legacy_dtypes.pth"})
    void damagedFilesAreReadOrRefusedButNeverCrashTheReader(String fixture) throws IOException {
        byte[] good = Files.readAllBytes(PthFixtures.fixture(fixture));
        Random r = new Random(5);
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
            }
            Path f = Files.write(dir.resolve("bad.pth"), bad);
            try {
                TorchCheckpointReader.read(f).stateDict();
            } catch (TorchCheckpointException e) {
                refused++;
                assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            }
        }
        assertTrue(refused > 0, "no damaged file was refused");
    }

    @Test
    void writerRoundTripsAndTheRootMustHoldAStateDict() throws Exception {
        TensorFile t = TensorFile.of(List.of(
                new NamedTensor("a.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, 4, 5, 6}),
                new NamedTensor("b", new long[] {}, new float[] {7}),
                new NamedTensor("c", new long[] {0}, new float[0])));
        Path f = dir.resolve("round.pth");
        TorchCheckpointWriter.write(f, t);
        TensorFile back = TorchCheckpointReader.read(f).toTensorFile();
        assertEquals(t.tensors(), back.tensors());

        Path noDict = PthFixtures.archive(dir.resolve("list.pth"), new Pickle().op(']').op('.').bytes(), Map.of());
        TorchCheckpointException e = assertThrows(TorchCheckpointException.class,
                () -> TorchCheckpointReader.read(noDict).stateDict());
        assertTrue(e.getMessage().contains("root object is a list"), e.getMessage());
        Path noTensors = PthFixtures.archive(dir.resolve("dict.pth"), new Pickle().op('}').str("epoch").integer(3)
                .op('s').op('.').bytes(), Map.of());
        e = assertThrows(TorchCheckpointException.class, () -> TorchCheckpointReader.read(noTensors).stateDict());
        assertTrue(e.getMessage().contains("[epoch]") && e.getMessage().contains("state_dict"), e.getMessage());
    }
}
