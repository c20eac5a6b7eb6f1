package org.laudnet.bench.experiment;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.laudnet.models.data.IdxDataset;

/** Writes small gzipped IDX files in the Fashion-MNIST layout: class c is a bright bar at row band c over noise. */
final class SyntheticIdx {

    private SyntheticIdx() {}

    static Path write(Path dir, int trainCount, int testCount, long seed) throws IOException {
        Files.createDirectories(dir);
        split(dir.resolve(IdxDataset.TRAIN_IMAGES), dir.resolve(IdxDataset.TRAIN_LABELS), trainCount, seed);
        split(dir.resolve(IdxDataset.TEST_IMAGES), dir.resolve(IdxDataset.TEST_LABELS), testCount, seed + 1);
        return dir;
    }

    private static void split(Path images, Path labels, int count, long seed) throws IOException {
        Random r = new Random(seed);
        int side = 28;
        byte[] px = new byte[count * side * side];
        byte[] lb = new byte[count];
        for (int i = 0; i < count; i++) {
            int c = i % 10;
            lb[i] = (byte) c;
            int y0 = 1 + c * 2;
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    boolean on = y >= y0 && y < y0 + 5 && x >= 4 && x < 24;
                    px[(i * side + y) * side + x] = (byte) ((on ? 160 : 0) + r.nextInt(60));
                }
            }
        }
        try (DataOutputStream o = gz(images)) {
            o.writeInt(0x00000803);
            o.writeInt(count);
            o.writeInt(side);
            o.writeInt(side);
            o.write(px);
        }
        try (DataOutputStream o = gz(labels)) {
            o.writeInt(0x00000801);
            o.writeInt(count);
            o.write(lb);
        }
    }

    private static DataOutputStream gz(Path p) throws IOException {
        OutputStream os = Files.newOutputStream(p);
        return new DataOutputStream(new GZIPOutputStream(os));
    }
}
