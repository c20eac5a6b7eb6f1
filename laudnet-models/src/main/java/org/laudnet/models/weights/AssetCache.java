package org.laudnet.models.weights;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.laudnet.core.util.LaudnetHome;

/**
 * Locations in the local asset cache that {@code scripts/fetch-assets} fills (it downloads and verifies the files;
 * this class only computes paths and checks presence, it never touches the network).
 *
 * <p>The default cache is the LAUDNet home, {@link LaudnetHome#current()}: the system property {@code laudnet.home}
 * if set, else the environment variable {@code LAUDNET_HOME}, else {@code $HOME/.laudnet} (the rule, written once,
 * that {@code scripts/fetch-assets} applies too). Layout:
 * <pre>
 * resnet50-imagenet/model.json, group1-shard{1..25}of25.bin, labels.json   Keras ResNet-50 (TF.js layers model)
 * photos/{dog,eagle,giraffe,horses,kite,person,grace_hopper}.jpg          natural photos
 * fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz          Fashion-MNIST (IDX, gzip)
 * </pre>
 *
 * @param root the cache root directory
 */
public record AssetCache(Path root) {

    /** Names of the photos in {@code photos/}, without the {@code .jpg} extension. */
    public static final List<String> PHOTOS =
            List.of("dog", "eagle", "giraffe", "horses", "kite", "person", "grace_hopper");

    /** Checks that the root is present. */
    public AssetCache {
        if (root == null) {
            throw new IllegalArgumentException("root must not be null");
        }
    }

    /**
     * The cache in the LAUDNet home of this process ({@link LaudnetHome#current()}).
     *
     * @return the cache
     * @throws IllegalStateException if the LAUDNet home setting is a relative path (the message names the setting)
     */
    public static AssetCache defaultCache() {
        return in(LaudnetHome.current());
    }

    /**
     * The cache in a LAUDNet home.
     *
     * @param home the home directory
     * @return the cache rooted at {@code home.directory()}
     */
    public static AssetCache in(LaudnetHome home) {
        return new AssetCache(home.directory());
    }

    /**
     * The directory of the ImageNet ResNet-50 asset.
     *
     * @return {@code root/resnet50-imagenet}
     */
    public Path resnet50Dir() {
        return root.resolve("resnet50-imagenet");
    }

    /**
     * The TF.js {@code model.json} of the ImageNet ResNet-50.
     *
     * @return {@code root/resnet50-imagenet/model.json}
     */
    public Path resnet50ModelJson() {
        return resnet50Dir().resolve("model.json");
    }

    /**
     * The ImageNet class names of the ResNet-50 asset.
     *
     * @return {@code root/resnet50-imagenet/labels.json}
     */
    public Path imageNetLabelsJson() {
        return resnet50Dir().resolve("labels.json");
    }

    /**
     * One of the sample photos.
     *
     * @param name one of {@link #PHOTOS}
     * @return {@code root/photos/<name>.jpg}
     */
    public Path photo(String name) {
        if (!PHOTOS.contains(name)) {
            throw new IllegalArgumentException("name must be one of " + PHOTOS + ", got '" + name + "'");
        }
        return root.resolve("photos").resolve(name + ".jpg");
    }

    /**
     * The directory of the Fashion-MNIST IDX files.
     *
     * @return {@code root/fashion-mnist}
     */
    public Path fashionMnistDir() {
        return root.resolve("fashion-mnist");
    }

    /**
     * Whether the ResNet-50 model file is present (presence only; {@code scripts/fetch-assets --check} verifies
     * digests).
     *
     * @return true if {@link #resnet50ModelJson()} is a regular file
     */
    public boolean hasResNet50() {
        return Files.isRegularFile(resnet50ModelJson());
    }

    /**
     * Reads the ImageNet ResNet-50 TF.js model from the cache.
     *
     * @return the model with its 25,636,712 weight values
     * @throws WeightFileException if the asset is missing (the message says how to fetch it) or damaged
     */
    public TfjsLayersModel readResNet50() throws WeightFileException {
        if (!hasResNet50()) {
            throw new WeightFileException(resnet50ModelJson(),
                    "ImageNet ResNet-50 weights not in the asset cache; run scripts/fetch-assets weights");
        }
        return TfjsLayersModel.read(resnet50ModelJson());
    }
}
