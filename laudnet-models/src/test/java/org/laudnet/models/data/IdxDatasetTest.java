package org.laudnet.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Record;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetTest {

    @TempDir
    Path dir;

    private static IdxImages images(int count) {
        byte[] px = new byte[count * 4];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < 4; k++) {
                px[i * 4 + k] = (byte) (i * 10 + k * 50);
            }
        }
        return new IdxImages(count, 2, 2, px);
    }

    private static int[] labels(int count) {
        int[] l = new int[count];
        for (int i = 0; i < count; i++) {
            l[i] = i % 10;
        }
        return l;
    }

    @Test
    void recordsAreNormalisedImagesAndLabels() throws IOException, TranslateException {
        IdxDataset ds = IdxDataset.builder().setData(images(5), labels(5))
                .optNormalization(new Normalization(new float[] {0.5f}, new float[] {0.25f}))
                .setSampling(2, false).build();
        assertEquals(5, ds.size());
        try (NDManager m = NDManager.newBaseManager()) {
            Record r = ds.get(m, 3);
            assertEquals(new Shape(1, 2, 2), r.getData().head().getShape());
            float[] expected = new float[4];
            for (int k = 0; k < 4; k++) {
                expected[k] = ((30 + k * 50) / 255f - 0.5f) / 0.25f;
            }
            assertArrayEquals(expected, r.getData().head().toFloatArray(), 1e-6f);
            assertEquals(3f, r.getLabels().head().getFloat());
            List<Long> batchSizes = new ArrayList<>();
            for (Batch b : ds.getData(m)) {
                assertEquals(4, b.getData().head().getShape().dimension());
                batchSizes.add(b.getData().head().getShape().get(0));
                b.close();
            }
            assertEquals(List.of(2L, 2L, 1L), batchSizes);
            assertThrows(IllegalArgumentException.class, () -> ds.get(m, 5));
        }
    }

    @Test
    void seededShuffleIsDeterministicPerPassAndCoversEveryItem() {
        SeededShuffleSampler a = new SeededShuffleSampler(7);
        SeededShuffleSampler b = new SeededShuffleSampler(7);
        List<Long> p0 = a.permutation(100, 0);
        assertEquals(p0, b.permutation(100, 0));
        assertNotEquals(p0, a.permutation(100, 1));
        assertNotEquals(p0, new SeededShuffleSampler(8).permutation(100, 0));
        assertEquals(100, new HashSet<>(p0).size());
        IdxDataset ds = IdxDataset.builder().setData(images(20), labels(20)).optShuffle(4, 7).build();
        List<Long> first = new ArrayList<>();
        a.sample(ds).forEachRemaining(first::add);
        List<Long> second = new ArrayList<>();
        a.sample(ds).forEachRemaining(second::add);
        assertEquals(new SeededShuffleSampler(7).permutation(20, 0), first);
        assertEquals(new SeededShuffleSampler(7).permutation(20, 1), second);
        a.setPass(0);
        assertEquals(0, a.getPass());
    }

    @Test
    void builderChecksItsInputs() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IdxDataset.builder().setData(images(3), labels(4)));
        assertTrue(e.getMessage().contains("labels"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IdxDataset.builder().setData(images(3), labels(3)).build());
        assertThrows(IllegalArgumentException.class,
                () -> IdxDataset.builder().optNormalization(Normalization.imagenet()));
        Path img = IdxReaderTest.write(dir.resolve("i"), IdxReaderTest.idx(IdxReader.IMAGES_MAGIC,
                new int[] {2, 1, 1}, new byte[] {1, 2}), false);
        Path lab = IdxReaderTest.write(dir.resolve("l"), IdxReaderTest.idx(IdxReader.LABELS_MAGIC,
                new int[] {3}, new byte[] {1, 2, 3}), false);
        IdxFormatException f = assertThrows(IdxFormatException.class, () -> IdxDataset.builder().setFiles(img, lab));
        assertTrue(f.getMessage().contains("3 labels"), f.getMessage());
    }
}
