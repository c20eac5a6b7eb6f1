package org.laudnet.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.testing.ManagedTest;

/**
 * Spatial granularities that do not divide the block output, against the reference implementation (fixture
 * {@code fidelity/adaptive-masks.txt}, written by {@code scripts/fixtures/reference_fidelity.py}): the masker's
 * adaptive average pool, the rows that nearest interpolation gives each mask cell, and the reference's masker count.
 */
class ReferenceUnevenCellsTest extends ManagedTest {

    private record Case(int inSize, int stride, int granularity, int channels, float[] pooled, int[] rows,
            long maskerFlops) {
        int outSize() {
            return (inSize - 1) / stride + 1;
        }

        int maskSize() {
            return outSize() / granularity;
        }
    }

    private static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = ReferenceUnevenCellsTest.class.getResourceAsStream(
                        "/org/laudnet/core/fidelity/adaptive-masks.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int[] head = null;
            float[] pooled = null;
            int[] rows = null;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] t = line.split(" ");
                switch (t[0]) {
                    case "case" -> {
                        head = new int[4];
                        for (int i = 0; i < 4; i++) {
                            head[i] = Integer.parseInt(t[i + 1].substring(t[i + 1].indexOf('=') + 1));
                        }
                    }
                    case "pooled" -> {
                        pooled = new float[t.length - 1];
                        for (int i = 1; i < t.length; i++) {
                            pooled[i - 1] = Float.parseFloat(t[i]);
                        }
                    }
                    case "rows" -> {
                        rows = new int[t.length - 1];
                        for (int i = 1; i < t.length; i++) {
                            rows[i - 1] = Integer.parseInt(t[i]);
                        }
                    }
                    case "masker_flops" -> out.add(new Case(head[0], head[1], head[2], head[3], pooled, rows,
                            Long.parseLong(t[1])));
                    default -> throw new AssertionError("unexpected fixture line " + line);
                }
            }
        }
        return out;
    }

    /** The fixture's input: element {@code k} of the flattened {@code (1, C, H, H)} array is {@code sin(0.37 k)}. */
    private NDArray input(Case c) {
        float[] v = new float[c.channels() * c.inSize() * c.inSize()];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) Math.sin(0.37 * k);
        }
        return m.create(v, new Shape(1, c.channels(), c.inSize(), c.inSize()));
    }

    @Test
    void adaptivePoolingNearestRowsAndMaskerCountEqualTheReference() throws IOException {
        List<Case> cases = cases();
        assertEquals(4, cases.size());
        for (Case c : cases) {
            String what = "in " + c.inSize() + " stride " + c.stride() + " S " + c.granularity();
            int mm = c.maskSize();
            assertEquals(mm, GateSpec.spatial(c.granularity()).maskSize(c.outSize()), what);
            NDArray pooled = MaskOps.adaptiveAvgPool(input(c), mm, mm);
            assertArrayEquals(c.pooled(), pooled.toFloatArray(), 2e-6f, what + " pooled");
            int[] rows = new int[c.outSize()];
            for (int y = 0; y < rows.length; y++) {
                rows[y] = MaskOps.nearestIndex(y, mm, c.outSize());
            }
            assertArrayEquals(c.rows(), rows, what + " rows");
            // the upsampled grid follows the same rows and columns
            float[] grid = new float[mm * mm];
            for (int i = 0; i < grid.length; i++) {
                grid[i] = i;
            }
            float[] up = MaskOps.upsampleNearest(m.create(grid, new Shape(1, 1, mm, mm)), c.outSize(), c.outSize())
                    .toFloatArray();
            for (int y = 0; y < c.outSize(); y++) {
                for (int x = 0; x < c.outSize(); x++) {
                    assertEquals(c.rows()[y] * mm + c.rows()[x], up[y * c.outSize() + x], 0f, what + " upsampled");
                }
            }
            SpatialGate gate = SpatialGate.builder().setInputChannels(c.channels()).setMaskSize(mm)
                    .optTemperature(GumbelTemperature.constant(1f)).build();
            assertEquals(c.maskerFlops(), gate.maskerMacs(c.inSize(), c.inSize(), MaskerMacsConvention.REFERENCE),
                    what + " masker count");
            gate.initialize(m, DataType.FLOAT32, new Shape(1, c.channels(), c.inSize(), c.inSize()));
            assertArrayEquals(new long[] {1, 1, mm, mm},
                    gate.gate(ps, input(c), false).mask().getShape().getShape(), what);
        }
    }

    @Test
    void aGranularityLargerThanTheOutputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GateSpec.spatial(8).maskSize(7));
        assertEquals("spatialGranularity (8) must not exceed the block output size (7)", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MaskOps.upsampleNearest(m.zeros(new Shape(1, 1, 4, 4)), 3, 3));
    }
}
