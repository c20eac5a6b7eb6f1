package org.laudnet.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.core.testing.TestNets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;

/** Shared fixtures of the Spark tests: one local[2] session, a small gated model file, photos and bad files. */
final class SparkFixtures {

    /** The class names of the small model. */
    static final List<String> LABELS = List.of("ant", "bee", "cat", "dog");

    /** The asset photos the tests classify. */
    static final List<String> PHOTOS = AssetCache.PHOTOS;

    private static SparkSession session;

    private SparkFixtures() {}

    /** The tests' session: local[2], two shuffle partitions, no UI; stopped when the test JVM exits. */
    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("laudnet-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    /**
     * Writes a small gated ResNet (bottleneck stages with spatial+channel and layer gates, random gates that open and
     * close per image, 32 x 32 input, four classes) as a model file.
     *
     * @param file the file to write
     * @param seed the seed of its weights
     * @return the file
     */
    static Path smallModel(Path file, long seed) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.both(2, 2)),
                            new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 16))
                    .optInputSize(32)
                    .optNumClasses(LABELS.size())
                    .build();
            TestNets.initialise(net, manager, seed);
            ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.normalized(32,
                    ImagePreprocessing.ChannelOrder.RGB, new float[] {0.47f, 0.45f, 0.41f},
                    new float[] {0.25f, 0.25f, 0.25f}), LABELS);
            try (LaudModel model = LaudModel.of(net, metadata, LaudModel.Options.defaults())) {
                model.save(file);
            }
        }
        return file;
    }

    /**
     * Fills a directory with the asset photos (skipping the test when they are missing, failing it on CI), a truncated
     * JPEG in a subdirectory ({@code bad/truncated.jpg}) and a text file ({@code bad/notes.txt}).
     *
     * @param dir the directory
     * @return the photos' copies
     */
    static List<Path> images(Path dir) throws IOException {
        AssetCache cache = AssetCache.defaultCache();
        RealAssets.require(PHOTOS.stream().map(cache::photo).toArray(Path[]::new));
        Files.createDirectories(dir.resolve("bad"));
        List<Path> photos = PHOTOS.stream().map(p -> {
            try {
                return Files.copy(cache.photo(p), dir.resolve(cache.photo(p).getFileName()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
        byte[] jpeg = Files.readAllBytes(photos.get(0));
        Files.write(dir.resolve("bad/truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(dir.resolve("bad/notes.txt"), "these are notes, not an image\n");
        return photos;
    }
}
