package org.laudnet.models.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Record;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {

    @TempDir
    Path root;

    /** A w x h image whose left half is pure red and right half pure blue. */
    private static void halves(Path file, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, x < w / 2 ? 0xFF0000 : 0x0000FF);
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void classesFromSubdirectoriesAndResizeThenCentreCrop() throws IOException {
        Files.createDirectories(root.resolve("dog"));
        Files.createDirectories(root.resolve("cat"));
        halves(root.resolve("dog/a.png"), 40, 20);
        halves(root.resolve("cat/b.png"), 20, 20);
        halves(root.resolve("cat/c.PNG"), 20, 40);
        Files.writeString(root.resolve("cat/notes.txt"), "ignored");
        ImageFolderDataset ds = ImageFolderDataset.builder().setRoot(root).optImageSize(10, 10)
                .optNormalization(Normalization.unit(3)).setSampling(2, false).build();
        assertEquals(List.of("cat", "dog"), ds.getClasses());
        assertEquals(3, ds.size());
        assertEquals(0, ds.label(0));
        assertEquals(0, ds.label(1));
        assertEquals(1, ds.label(2));
        try (NDManager m = NDManager.newBaseManager()) {
            Record r = ds.get(m, 2);
            assertEquals(new Shape(3, 10, 10), r.getData().head().getShape());
            assertEquals(1f, r.getLabels().head().getFloat());
            // 40x20 at scale 1/2, the centre crop covers source x in [10, 30): columns 0..4 come from the red half,
            // 5..9 from the blue half
            float[] v = r.getData().head().toFloatArray();
            int plane = 100;
            int row = 4 * 10;
            assertEquals(1f, v[row + 1], 1e-6f);
            assertEquals(0f, v[2 * plane + row + 1], 1e-6f);
            assertEquals(0f, v[row + 8], 1e-6f);
            assertEquals(1f, v[2 * plane + row + 8], 1e-6f);
        }
        ImageFolderDataset norm = ImageFolderDataset.builder().setRoot(root).optImageSize(12, 10)
                .optNormalization(Normalization.imagenet()).setSampling(1, false).build();
        float[] v = norm.load(root.resolve("cat/b.png"));
        assertEquals(300, v.length);
        // 20x20 at scale 0.6, the centre crop covers source x in [2, 19): column 1 of the crop lies in the red half
        assertEquals((1f - 0.485f) / 0.229f, v[1], 1e-5f);
        assertEquals((0f - 0.406f) / 0.225f, v[200 + 1], 1e-5f);
    }

    @Test
    void badImagesAndFoldersGiveClearErrors() throws IOException {
        Files.createDirectories(root.resolve("x"));
        Path bad = root.resolve("x/broken.png");
        Files.writeString(bad, "not an image");
        ImageFolderDataset ds = ImageFolderDataset.builder().setRoot(root).optImageSize(8, 8)
                .setSampling(1, false).build();
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> ds.get(m, 0));
            assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        }
        Path empty = Files.createDirectories(root.resolve("x/empty"));
        IOException none = assertThrows(IOException.class,
                () -> ImageFolderDataset.builder().setRoot(empty).setSampling(1, false).build());
        assertTrue(none.getMessage().contains(empty.toString()), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.builder().optImageSize(8, 10));
    }

    @Test
    void anImageDeclaringTooManyPixelsIsRefusedBeforeDecoding() throws IOException {
        Files.createDirectories(root.resolve("x"));
        Path file = root.resolve("x/huge.png");
        halves(file, 4, 4);
        byte[] png = Files.readAllBytes(file);
        // the IHDR chunk's width and height (bytes 16..23) declare 50000 x 50000 pixels
        int[] dims = {0, 0, 0xc3, 0x50, 0, 0, 0xc3, 0x50};
        for (int i = 0; i < 8; i++) {
            png[16 + i] = (byte) dims[i];
        }
        Files.write(file, png);
        ImageFolderDataset ds = ImageFolderDataset.builder().setRoot(root).optImageSize(8, 8)
                .setSampling(1, false).build();
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> ds.get(m, 0));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("2500000000 pixels"),
                    e.getMessage());
        }
    }

    @Test
    void chosenClassLabelsAndEpochIndexedOrder() throws Exception {
        Files.createDirectories(root.resolve("bald_eagle"));
        Files.createDirectories(root.resolve("sorrel"));
        for (int i = 0; i < 5; i++) {
            halves(root.resolve("bald_eagle/e" + i + ".png"), 8, 8);
            halves(root.resolve("sorrel/s" + i + ".png"), 8, 8);
        }
        ImageFolderDataset ds = ImageFolderDataset.builder().setRoot(root).optImageSize(8, 8)
                .optClassLabels(java.util.Map.of("bald_eagle", 22, "sorrel", 339)).optShuffle(10, 5).build();
        assertEquals(22, ds.label(0));
        assertEquals(339, ds.label(9));
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(339f, ds.get(m, 9).getLabels().head().getFloat());
            ds.setEpoch(3);
            float[] third = firstBatchLabels(ds, m);
            ds.setEpoch(0);
            float[] zeroth = firstBatchLabels(ds, m);
            ds.setEpoch(3);
            assertTrue(java.util.Arrays.equals(third, firstBatchLabels(ds, m)), "same epoch, same order");
            assertTrue(!java.util.Arrays.equals(third, zeroth), "epochs 0 and 3 should be ordered differently");
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset
                .builder().setRoot(root).optClassLabels(java.util.Map.of("bald_eagle", 22)).setSampling(1, false)
                .build());
        assertTrue(missing.getMessage().contains("sorrel"), missing.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.builder().optClassLabels(java.util.Map.of("x", -1)));
        assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ds.setEpoch(-1));
    }

    @Test
    void aModelsPreprocessingGivesExactlyTheTensorsOfItsClassifier() throws Exception {
        Files.createDirectories(root.resolve("a"));
        Path file = root.resolve("a/wide.png");
        halves(file, 30, 18);
        org.laudnet.models.imagenet.ImagePreprocessing bgr = new org.laudnet.models.imagenet.ImagePreprocessing(
                20, 16, org.laudnet.models.imagenet.ImagePreprocessing.ChannelOrder.BGR,
                new float[] {100f, 110f, 120f}, new float[] {2f, 1f, 4f});
        ImageFolderDataset ds = ImageFolderDataset.builder().setRoot(root).optPreprocessing(bgr)
                .setSampling(1, false).build();
        assertEquals(bgr, ds.getPreprocessing());
        assertEquals(new Shape(3, 16, 16), ds.imageShape());
        float[] expected = bgr.apply(ImageIO.read(file.toFile()));
        try (NDManager m = NDManager.newBaseManager()) {
            Record r = ds.get(m, 0);
            assertEquals(new Shape(3, 16, 16), r.getData().head().getShape());
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, r.getData().head().toFloatArray());
        }
        // channel 0 is blue: (255 - 100) / 2 in the blue half, (0 - 100) / 2 in the red half
        assertEquals(-50f, expected[0], 1e-5f);
        assertEquals(77.5f, expected[15], 1e-5f);
    }

    @Test
    void seededSplitsAreComplementaryAndReproducible() throws Exception {
        for (String c : List.of("a", "b")) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < 5; i++) {
                halves(root.resolve(c + "/" + i + ".png"), 8, 8);
            }
        }
        ImageFolderDataset held = split(ImageFolderDataset.Part.HELD_OUT, 0.3, 4);
        ImageFolderDataset kept = split(ImageFolderDataset.Part.TRAINING, 0.3, 4);
        assertEquals(3, held.size());
        assertEquals(7, kept.size());
        java.util.Set<Path> all = new java.util.HashSet<>(held.getFiles());
        all.addAll(kept.getFiles());
        assertEquals(10, all.size(), "the parts are complementary");
        assertEquals(held.getFiles(), split(ImageFolderDataset.Part.HELD_OUT, 0.3, 4).getFiles(), "same seed");
        assertEquals(List.of("a", "b"), held.getClasses());
        for (int i = 0; i < held.size(); i++) {
            assertEquals(held.getFiles().get(i).getParent().getFileName().toString().equals("a") ? 0 : 1,
                    held.label(i));
        }
        assertEquals(1, split(ImageFolderDataset.Part.HELD_OUT, 0.01, 4).size(), "at least one held out");
        IllegalArgumentException all9 = assertThrows(IllegalArgumentException.class,
                () -> split(ImageFolderDataset.Part.TRAINING, 0.99, 4));
        assertTrue(all9.getMessage().contains("0.99"), all9.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ImageFolderDataset.builder().optSplit(ImageFolderDataset.Part.TRAINING, 1.5, 1));
        assertTrue(bad.getMessage().contains("fraction") && bad.getMessage().contains("1.5"), bad.getMessage());
    }

    private ImageFolderDataset split(ImageFolderDataset.Part part, double fraction, long seed) throws IOException {
        return ImageFolderDataset.builder().setRoot(root).optImageSize(8, 8).optSplit(part, fraction, seed)
                .setSampling(1, false).build();
    }

    private static float[] firstBatchLabels(ImageFolderDataset ds, NDManager m) throws Exception {
        for (ai.djl.training.dataset.Batch b : ds.getData(m)) {
            try (b) {
                // labels follow the shuffled order; with the data's 5 + 5 split they reveal the permutation
                return b.getLabels().head().toFloatArray();
            }
        }
        throw new AssertionError("no batch");
    }
}
