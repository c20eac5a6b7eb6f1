package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.util.LaudnetHome;

class AssetCacheTest {

    @TempDir
    Path dir;

    @Test
    void layoutUnderRoot() {
        AssetCache c = new AssetCache(dir);
        assertEquals(dir.resolve("resnet50-imagenet/model.json"), c.resnet50ModelJson());
        assertEquals(dir.resolve("resnet50-imagenet/labels.json"), c.imageNetLabelsJson());
        assertEquals(dir.resolve("photos/grace_hopper.jpg"), c.photo("grace_hopper"));
        assertEquals(dir.resolve("fashion-mnist"), c.fashionMnistDir());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.photo("cat"));
        assertTrue(e.getMessage().contains("got 'cat'"), e.getMessage());
    }

    @Test
    void missingWeightsSayHowToFetchThem() {
        AssetCache c = new AssetCache(dir);
        assertFalse(c.hasResNet50());
        WeightFileException e = assertThrows(WeightFileException.class, c::readResNet50);
        assertTrue(e.getMessage().contains("model.json") && e.getMessage().contains("scripts/fetch-assets weights"),
                e.getMessage());
    }

    @Test
    void defaultCacheIsTheLaudnetHome() {
        assertEquals(LaudnetHome.current().directory(), AssetCache.defaultCache().root());
        LaudnetHome home = LaudnetHome.from(p -> p.equals(LaudnetHome.PROPERTY) ? dir.toString() : null, e -> null);
        assertEquals(dir.resolve("resnet50-imagenet/model.json"), AssetCache.in(home).resnet50ModelJson());
    }
}
