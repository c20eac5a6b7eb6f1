package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamedTensorTest {

    @Test
    void rowMajorIndexingAndShape() {
        float[] data = {0, 1, 2, 3, 4, 5};
        NamedTensor t = NamedTensor.of("x", new int[] {2, 3}, data);
        assertEquals(6, t.numel());
        assertEquals(2, t.rank());
        assertEquals(3, t.dim(1));
        assertEquals(5f, t.get(1, 2));
        assertEquals(3f, t.get(1, 0));
        assertArrayEquals(new int[] {2, 3}, t.intShape());
        assertSame(data, t.data(), "data is shared, not copied");
        long[] shape = t.shape();
        shape[0] = 99;
        assertArrayEquals(new long[] {2, 3}, t.shape(), "shape accessor returns a copy");
    }

    @Test
    void scalarAndEmptyTensors() {
        NamedTensor scalar = new NamedTensor("s", new long[0], new float[] {7f});
        assertEquals(1, scalar.numel());
        assertEquals(7f, scalar.get());
        NamedTensor empty = new NamedTensor("e", new long[] {0, 4}, new float[0]);
        assertEquals(0, empty.numel());
    }

    @Test
    void validation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NamedTensor("w", new long[] {2, 2}, new float[3]));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("got 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NamedTensor("w", new long[] {-1}, new float[0]));
        assertTrue(e.getMessage().contains("shape[0]") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new NamedTensor(" ", new long[] {1}, new float[1]));
        assertTrue(e.getMessage().contains("name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NamedTensor("big", new long[] {1L << 20, 1L << 20}, new float[0]));
        assertTrue(e.getMessage().contains("elements"), e.getMessage());
        NamedTensor t = NamedTensor.of("x", new int[] {2, 3}, new float[6]);
        e = assertThrows(IllegalArgumentException.class, () -> t.get(2, 0));
        assertTrue(e.getMessage().contains("index[0]") && e.getMessage().contains("got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.get(1));
        assertTrue(e.getMessage().contains("2 components"), e.getMessage());
    }

    @Test
    void equalityComparesValues() {
        NamedTensor a = NamedTensor.of("x", new int[] {2}, new float[] {1, 2});
        NamedTensor b = NamedTensor.of("x", new int[] {2}, new float[] {1, 2});
        NamedTensor c = NamedTensor.of("x", new int[] {2}, new float[] {1, 3});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        assertNotEquals(a, a.withName("y"));
    }

    @Test
    void tensorFileKeepsOrderAndRejectsDuplicates() {
        NamedTensor a = NamedTensor.of("layer/b", new int[] {1}, new float[] {1});
        NamedTensor b = NamedTensor.of("layer/a", new int[] {2}, new float[] {2, 3});
        NamedTensor c = NamedTensor.of("other/a", new int[] {3}, new float[3]);
        TensorFile f = TensorFile.of(List.of(a, b, c), Map.of("k", "v"));
        assertEquals(List.of("layer/b", "layer/a", "other/a"), List.copyOf(f.names()));
        assertEquals(6, f.totalValues());
        assertEquals(List.of(a, b), f.withPrefix("layer/"));
        assertEquals("v", f.metadata().get("k"));
        assertSame(b, f.get("layer/a"));
        assertTrue(f.find("nope").isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.get("nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TensorFile.of(List.of(a, a)));
        assertTrue(e.getMessage().contains("'layer/b' twice"), e.getMessage());
    }
}
