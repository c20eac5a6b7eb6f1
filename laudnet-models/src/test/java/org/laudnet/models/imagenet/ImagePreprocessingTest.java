package org.laudnet.models.imagenet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The preprocessing of images of any shape: the crop's colours, and memory bounded by the crop. */
class ImagePreprocessingTest {

    private static BufferedImage filled(int width, int height, int rgb) {
        BufferedImage im = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                im.setRGB(x, y, rgb);
            }
        }
        return im;
    }

    /** Every value of the output is its channel's normalised colour. */
    private static void assertUniform(ImagePreprocessing p, float[] out, float[] rgb, String what) {
        int plane = p.cropSize() * p.cropSize();
        assertEquals(3 * plane, out.length);
        float[] mean = p.mean();
        float[] std = p.std();
        for (int c = 0; c < 3; c++) {
            float want = (rgb[p.channelOrder() == ImagePreprocessing.ChannelOrder.BGR ? 2 - c : c] - mean[c]) / std[c];
            for (int i = 0; i < plane; i++) {
                assertEquals(want, out[c * plane + i], 1e-4f, what + ": channel " + c + " at " + i);
            }
        }
    }

    @Test
    void thinImagesAreCroppedFromTheirCentrePixelsNotFromAnEmptyRegion() {
        ImagePreprocessing p = ImagePreprocessing.caffe();
        float[] orange = {250, 120, 10};
        int rgb = (250 << 16) | (120 << 8) | 10;
        // a source region below one pixel used to round to an empty one: the crop stayed black
        for (int[] size : new int[][] {{1, 2}, {1, 32}, {3, 1}, {2, 64}, {1, 3000}, {12_000, 1}, {300, 200}}) {
            float[] out = p.apply(filled(size[0], size[1], rgb));
            assertUniform(p, out, orange, size[0] + " x " + size[1]);
        }
    }

    @Test
    void aVeryLongImageCostsTheCropNotItsResizedForm() {
        ImagePreprocessing p = ImagePreprocessing.torchvision();
        BufferedImage strip = filled(1, 12_000, 0xffffff);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        p.apply(filled(4, 4, 0)); // loads the drawing classes before measuring
        long before = mx.getCurrentThreadAllocatedBytes();
        float[] out = p.apply(strip);
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertUniform(p, out, new float[] {255, 255, 255}, "1 x 12000");
        // resized to a shorter side of 256 it would be 256 x 3072000 pixels (3 GB as RGB ints)
        assertTrue(allocated < 16L << 20, "preprocessing a 1 x 12000 strip allocated " + allocated + " bytes");
    }
}
