package org.laudnet.models.data;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.ImageInputs;

/**
 * An image-folder dataset: {@code root/<class>/<image>}, one class per subdirectory, classes indexed in sorted name
 * order, images in sorted path order.
 *
 * <p>Record: data = float32 image {@code (C, cropSize, cropSize)}; labels = float32 scalar class index. Each image is
 * decoded by {@link ImageInputs#read} (bounded in bytes and pixels; errors name the file) and goes through an
 * {@link ImagePreprocessing}, the very code a {@code .laud} model's classifier runs at inference: the one set with
 * {@link Builder#optPreprocessing(ImagePreprocessing)} (its channel order, RGB, BGR or gray, with its per-channel mean
 * and divisor), else an RGB one made of {@link Builder#optImageSize} and {@link Builder#optNormalization} (shorter side
 * {@code resize}, bilinear, centre crop {@code size x size}, {@code x = (p / 255 - mean[c]) / std[c]}; gray images are
 * replicated to three channels). A model trained on this dataset and saved with the same {@link ImagePreprocessing}
 * therefore sees the same tensors in training and in deployment.
 *
 * <p>With {@link Builder#optSplit} the dataset is one part of a seeded split of the folder: a held-out fraction for
 * validation, or the rest for training. Immutable after building; {@link #get} is thread-safe.
 */
public final class ImageFolderDataset extends RandomAccessDataset implements EpochOrdered {

    private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private final List<String> classes;
    private final List<Path> files;
    private final int[] labels;
    private final ImagePreprocessing preprocessing;
    private final SeededShuffleSampler shuffleSampler;

    /** Which part of a seeded split of the folder a dataset holds ({@link Builder#optSplit}). */
    public enum Part {
        /** The images that are not held out (for training). */
        TRAINING,
        /** The held-out images (for validation). */
        HELD_OUT
    }

    private ImageFolderDataset(Builder b, List<String> classes, List<Path> files, int[] labels) {
        super(b);
        this.classes = List.copyOf(classes);
        this.files = List.copyOf(files);
        this.labels = labels;
        this.preprocessing = b.preprocessing != null ? b.preprocessing : b.rgbPreprocessing();
        this.shuffleSampler = b.shuffleSampler;
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@code optShuffle}, sets the shuffle sampler's pass to {@code epoch}; a no-op otherwise.
     */
    @Override
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be non-negative, got " + epoch);
        }
        if (shuffleSampler != null) {
            shuffleSampler.setPass(epoch);
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the class directory names in sorted order; without {@code optClassLabels}, index = class label. */
    public List<String> getClasses() {
        return classes;
    }

    /** Returns the image files in item order. */
    public List<Path> getFiles() {
        return files;
    }

    /**
     * Returns the label of item {@code i}.
     *
     * @param i item index
     * @return the class directory's position, or its label from {@code optClassLabels}
     */
    public int label(int i) {
        return labels[i];
    }

    /**
     * Returns the preprocessing of every image: the one set with {@link Builder#optPreprocessing}, else the RGB one of
     * {@link Builder#optImageSize} and {@link Builder#optNormalization}.
     */
    public ImagePreprocessing getPreprocessing() {
        return preprocessing;
    }

    /** Returns the shape of one record's data: {@code (C, S, S)}. */
    public Shape imageShape() {
        return new Shape(preprocessing.channels(), preprocessing.cropSize(), preprocessing.cropSize());
    }

    /**
     * Decodes, resizes, crops and normalises one image file ({@link #getPreprocessing()}).
     *
     * @param file the image
     * @return CHW float values, {@code C * S * S} of them ({@link #imageShape()})
     * @throws IOException if the file is missing, too large or cannot be decoded (the message names it)
     */
    public float[] load(Path file) throws IOException {
        return preprocessing.apply(ImageInputs.read(file));
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager manager, long index) throws IOException {
        if (index < 0 || index >= files.size()) {
            throw new IllegalArgumentException("index must be in [0, " + files.size() + "), got " + index);
        }
        int i = (int) index;
        float[] data = load(files.get(i));
        return new Record(
                new NDList(manager.create(data, imageShape())),
                new NDList(manager.create((float) labels[i])));
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return files.size();
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Progress progress) {
        // the file list is built by the builder
    }

    /** Builder of an {@link ImageFolderDataset}. */
    public static final class Builder extends BaseBuilder<Builder> {
        private SeededShuffleSampler shuffleSampler;
        private Map<String, Integer> classLabels;
        private Path root;
        private int resize = 256;
        private int size = 224;
        private Normalization normalization = Normalization.imagenet();
        private ImagePreprocessing preprocessing;
        private Part part;
        private double splitFraction;
        private long splitSeed;

        private Builder() {}

        /** The RGB preprocessing of {@link #optImageSize} and {@link #optNormalization}. */
        private ImagePreprocessing rgbPreprocessing() {
            float[] mean = normalization.mean();
            float[] std = normalization.std();
            for (int c = 0; c < mean.length; c++) {
                mean[c] *= 255f;
                std[c] *= 255f;
            }
            return new ImagePreprocessing(resize, size, ImagePreprocessing.ChannelOrder.RGB, mean, std);
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the root directory (one subdirectory per class).
         *
         * @param root the root
         * @return this builder
         */
        public Builder setRoot(Path root) {
            this.root = root;
            return this;
        }

        /**
         * Sets the shorter-side resize and the centre-crop size (default 256 and 224), for the RGB preprocessing used
         * without {@link #optPreprocessing}.
         *
         * @param resize shorter side after resizing, at least {@code size}
         * @param size output side
         * @return this builder
         */
        public Builder optImageSize(int resize, int size) {
            if (size <= 0 || resize < size) {
                throw new IllegalArgumentException(
                        "need 0 < size <= resize, got resize=" + resize + ", size=" + size);
            }
            this.resize = resize;
            this.size = size;
            return this;
        }

        /**
         * Sets the normalisation (default ImageNet) of the RGB preprocessing used without {@link #optPreprocessing};
         * must have three channels.
         *
         * @param normalization the normalisation
         * @return this builder
         */
        public Builder optNormalization(Normalization normalization) {
            if (normalization == null || normalization.channels() != 3) {
                throw new IllegalArgumentException("normalization must have 3 channels, got " + normalization);
            }
            this.normalization = normalization;
            return this;
        }

        /**
         * Preprocesses every image with a model's {@link ImagePreprocessing} (shorter side, centre crop, channel order,
         * per-channel mean and divisor) instead of {@link #optImageSize} and {@link #optNormalization}, which are then
         * ignored: the records are exactly the tensors a classifier with this preprocessing feeds its network.
         *
         * @param preprocessing the preprocessing
         * @return this builder
         */
        public Builder optPreprocessing(ImagePreprocessing preprocessing) {
            if (preprocessing == null) {
                throw new IllegalArgumentException("preprocessing must not be null");
            }
            this.preprocessing = preprocessing;
            return this;
        }

        /**
         * Keeps one part of a seeded split of the folder: {@code max(1, round(fraction * n))} of the {@code n} images,
         * drawn by a shuffle seeded with {@code seed}, are held out; {@link Part#TRAINING} keeps the others,
         * {@link Part#HELD_OUT} those. Two builders with the same folder, fraction and seed give complementary parts.
         * Items stay in sorted path order within a part.
         *
         * @param part the part to keep
         * @param fraction the held-out fraction, in {@code (0, 1)}
         * @param seed the split's seed
         * @return this builder
         */
        public Builder optSplit(Part part, double fraction, long seed) {
            if (part == null) {
                throw new IllegalArgumentException("part must not be null");
            }
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("fraction must be in (0, 1), got " + fraction);
            }
            this.part = part;
            this.splitFraction = fraction;
            this.splitSeed = seed;
            return this;
        }

        /**
         * Gives every class directory a label of the caller's choice instead of its sorted position (e.g. the
         * ImageNet index of a directory named after an ImageNet class, so that a pretrained 1000-way head can be
         * fine-tuned on it). Every class directory must have an entry.
         *
         * @param labels directory name -> non-negative label
         * @return this builder
         */
        public Builder optClassLabels(Map<String, Integer> labels) {
            if (labels == null) {
                throw new IllegalArgumentException("labels must not be null");
            }
            for (Map.Entry<String, Integer> e : labels.entrySet()) {
                if (e.getValue() == null || e.getValue() < 0) {
                    throw new IllegalArgumentException("label of class " + e.getKey() + " must be non-negative, got "
                            + e.getValue());
                }
            }
            this.classLabels = Map.copyOf(labels);
            return this;
        }

        /**
         * Batches with a deterministic seeded shuffle ({@link SeededShuffleSampler}).
         *
         * @param batchSize positive batch size
         * @param seed the shuffle seed
         * @return this builder
         */
        public Builder optShuffle(int batchSize, long seed) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
            }
            shuffleSampler = new SeededShuffleSampler(seed);
            return setSampling(new BatchSampler(shuffleSampler, batchSize, false));
        }

        /**
         * Scans the root and builds the dataset.
         *
         * @return the dataset
         * @throws IOException if the root cannot be listed, or holds no class directory or no image
         */
        public ImageFolderDataset build() throws IOException {
            if (root == null || !Files.isDirectory(root)) {
                throw new IllegalArgumentException("root must be an existing directory, got " + root);
            }
            IdxDataset.requireSampler(this);
            List<Path> classDirs = new ArrayList<>();
            try (Stream<Path> s = Files.list(root)) {
                s.filter(Files::isDirectory).forEach(classDirs::add);
            }
            Collections.sort(classDirs);
            if (classDirs.isEmpty()) {
                throw new IOException("image folder " + root + " has no class subdirectory");
            }
            List<String> classes = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int c = 0; c < classDirs.size(); c++) {
                Path dir = classDirs.get(c);
                String name = dir.getFileName().toString();
                classes.add(name);
                int label = c;
                if (classLabels != null) {
                    Integer l = classLabels.get(name);
                    if (l == null) {
                        throw new IllegalArgumentException("class directory " + dir + " has no entry in the class"
                                + " labels (" + classLabels.size() + " entries)");
                    }
                    label = l;
                }
                List<Path> images = new ArrayList<>();
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).forEach(images::add);
                }
                Collections.sort(images);
                for (Path p : images) {
                    files.add(p);
                    labels.add(label);
                }
            }
            if (files.isEmpty()) {
                throw new IOException("image folder " + root + " holds no image (" + EXTENSIONS + ")");
            }
            if (part != null) {
                boolean[] held = heldOut(files.size());
                List<Path> keptFiles = new ArrayList<>();
                List<Integer> keptLabels = new ArrayList<>();
                for (int i = 0; i < files.size(); i++) {
                    if (held[i] == (part == Part.HELD_OUT)) {
                        keptFiles.add(files.get(i));
                        keptLabels.add(labels.get(i));
                    }
                }
                files = keptFiles;
                labels = keptLabels;
            }
            return new ImageFolderDataset(this, classes, files, labels.stream().mapToInt(Integer::intValue).toArray());
        }

        /** Which of {@code n} items the split holds out; both parts non-empty. */
        private boolean[] heldOut(int n) {
            int count = (int) Math.max(1, Math.round(splitFraction * n));
            if (count >= n) {
                throw new IllegalArgumentException("a split of fraction " + splitFraction + " of the " + n
                        + " images of " + root + " leaves no image for training; use a smaller fraction or more"
                        + " images");
            }
            List<Integer> order = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(splitSeed));
            boolean[] held = new boolean[n];
            for (int i = 0; i < count; i++) {
                held[order.get(i)] = true;
            }
            return held;
        }
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
