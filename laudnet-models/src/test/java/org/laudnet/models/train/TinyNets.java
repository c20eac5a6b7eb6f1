package org.laudnet.models.train;

import java.util.List;
import java.util.Random;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.data.IdxDataset;
import org.laudnet.models.data.IdxImages;
import org.laudnet.models.resnet.LaudResNet;

/** Small networks and synthetic data shared by the training tests. */
final class TinyNets {

    private TinyNets() {}

    /** Two basic-block stages (8 and 16 channels), both spatially gated with S = 2, on gray images. */
    static GatedBackbone twoStage(GumbelTemperature temperature, int size, int classes) {
        return LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 8, 8, 1, GateSpec.none()), new StageSpec(1, 16, 16, 2, GateSpec.none())))
                .optStageGates(GateSpec.spatial(2), GateSpec.spatial(2))
                .optStem(StemSpec.small(1, 8))
                .optInputSize(size)
                .optNumClasses(classes)
                .optTemperature(temperature)
                .optSeed(3)
                .build();
    }

    /**
     * Gray {@code size x size} images of 4 classes: class c is a bright square in quadrant c over uniform noise.
     */
    static IdxImages patterns(int count, int size, long seed, int[] labelsOut) {
        Random r = new Random(seed);
        byte[] px = new byte[count * size * size];
        int h = size / 2;
        for (int i = 0; i < count; i++) {
            int c = i % 4;
            labelsOut[i] = c;
            int oy = (c / 2) * h;
            int ox = (c % 2) * h;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean in = y >= oy + 1 && y < oy + h - 1 && x >= ox + 1 && x < ox + h - 1;
                    int v = (in ? 150 : 0) + r.nextInt(80);
                    px[(i * size + y) * size + x] = (byte) v;
                }
            }
        }
        return new IdxImages(count, size, size, px);
    }

    static IdxDataset patternDataset(int count, int size, int batch, long seed) {
        int[] labels = new int[count];
        IdxImages im = patterns(count, size, seed, labels);
        return IdxDataset.builder().setData(im, labels).optShuffle(batch, seed).build();
    }
}
