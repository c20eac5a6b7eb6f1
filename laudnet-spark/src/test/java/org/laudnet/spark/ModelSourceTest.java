package org.laudnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.inference.LaudModel;

/**
 * {@link ModelSource} (local paths, Hadoop file systems through the settings the driver captured) and
 * {@link LaudModelCache} (one load per key, leases, eviction of idle models, closing).
 */
class ModelSourceTest {

    @TempDir
    static Path tmp;

    private static Path model;

    @BeforeAll
    static void setUp() throws Exception {
        model = SparkFixtures.smallModel(tmp.resolve("small.laud"), 3);
    }

    /** The local disk as a Hadoop file system of another scheme, {@code testfs}: a remote file system to the code. */
    public static final class TestFs extends org.apache.hadoop.fs.RawLocalFileSystem {
        @Override
        public java.net.URI getUri() {
            return java.net.URI.create("testfs:///");
        }

        @Override
        public String getScheme() {
            return "testfs";
        }
    }

    /** A Hadoop configuration with a file system of scheme {@code testfs} that reads the local disk. */
    private static Configuration testFs() {
        Configuration conf = new Configuration(false);
        conf.set("fs.testfs.impl", TestFs.class.getName());
        conf.set("fs.testfs.impl.disable.cache", "true");
        return conf;
    }

    @Test
    void aModelOnAHadoopFileSystemIsCopiedWithTheDriversSettingsAndLoaded() throws Exception {
        String uri = "testfs://" + model.toAbsolutePath();
        ModelSource source = ModelSource.of(uri, DeviceKind.CPU, testFs());
        assertTrue(source.isRemote());
        assertEquals(TestFs.class.getName(), source.hadoopSettings().get("fs.testfs.impl"));
        assertEquals("ModelSource[" + uri + "@CPU]", source.toString(), "no settings in the text");
        try (LaudModel loaded = source.load(); LaudModel direct = LaudModel.load(model)) {
            assertEquals(direct.classNames(), loaded.classNames());
            assertTrue(loaded.file().toString().endsWith("small.laud"));
            assertFalse(loaded.file().equals(model), "a local copy");
        }
        ModelSourceException e = assertThrows(ModelSourceException.class,
                () -> ModelSource.of("testfs://" + tmp.resolve("nope.laud"), DeviceKind.CPU, testFs()).load());
        assertEquals("testfs://" + tmp.resolve("nope.laud") + ": no such model file", e.getMessage());
        e = assertThrows(ModelSourceException.class,
                () -> ModelSource.of("testfs://" + tmp, DeviceKind.CPU, testFs()).load());
        assertEquals("testfs://" + tmp + ": is not a file", e.getMessage());
    }

    @Test
    void localPathsAndPretrainedNamesCarryNoHadoopSettings() {
        assertEquals(Set.of(), ModelSource.of(model.toString(), DeviceKind.CPU, testFs()).hadoopSettings().keySet());
        assertEquals(Set.of(), ModelSource.of("file://" + model, DeviceKind.CPU, testFs()).hadoopSettings().keySet());
        ModelSource pretrained = ModelSource.of("resnet50-imagenet", DeviceKind.AUTO, testFs());
        assertTrue(pretrained.isPretrained());
        assertFalse(pretrained.isRemote());
        assertEquals("resnet50-imagenet@AUTO", pretrained.key());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSource.local("", DeviceKind.CPU));
        assertEquals("modelPath must be a .laud file or one of [resnet50-imagenet], got ''", e.getMessage());
    }

    @Test
    void theCacheLoadsOncePerKeyCountsLeasesAndClosesIdleModels() throws Exception {
        LaudModelCache cache = new LaudModelCache();
        ModelSource source = ModelSource.local(model.toString(), DeviceKind.CPU);
        LaudModelCache.Lease a = cache.acquire(source);
        LaudModelCache.Lease b = cache.acquire(source);
        assertSame(a.model(), b.model());
        assertEquals(1, cache.loads(source.key()));
        assertEquals(2, cache.leases(source.key()));
        a.close();
        a.close();
        assertEquals(1, cache.leases(source.key()), "a lease is released once");
        assertEquals(0, cache.evictIdle(), "a leased model stays");
        b.close();
        assertEquals(1, cache.evictIdle());
        assertEquals(Set.of(), cache.keys());
        try (LaudModelCache.Lease c = cache.acquire(source)) {
            assertEquals(2, cache.loads(source.key()), "loaded again after eviction");
            assertEquals(SparkFixtures.LABELS, c.model().classNames());
        }
        assertEquals(2, cache.loads());
        cache.closeAll();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.acquire(source));
        assertEquals("the model cache is closed (the JVM is shutting down)", e.getMessage());
        assertEquals(0, cache.loads(ModelSource.local("other.laud", DeviceKind.CPU).key()));
    }
}
