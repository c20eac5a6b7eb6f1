package org.laudnet.models.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A DJL dataset over IDX gray images and labels (MNIST, Fashion-MNIST).
 *
 * <p>Record {@code i}: data = one float32 image {@code (1, rows, cols)} with {@code x = (p / 255 - mean) / std}; labels =
 * one float32 scalar class index. Batched by DJL's stack batchifier: {@code (B, 1, rows, cols)} and {@code (B)}.
 * Use {@link Builder#optShuffle(int, long)} for a deterministic, seeded shuffle per epoch.
 */
public final class IdxDataset extends RandomAccessDataset implements EpochOrdered {

    /** File names of the Fashion-MNIST training images. */
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    /** File names of the Fashion-MNIST training labels. */
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    /** File names of the Fashion-MNIST test images. */
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    /** File names of the Fashion-MNIST test labels. */
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

    private final IdxImages images;
    private final int[] labels;
    private final Normalization normalization;
    private final SeededShuffleSampler shuffleSampler;

    private IdxDataset(Builder b) {
        super(b);
        this.images = b.images;
        this.labels = b.labels;
        this.normalization = b.normalization;
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

    /** Returns the images. */
    public IdxImages getImages() {
        return images;
    }

    /**
     * Returns the label of item {@code i}.
     *
     * @param i item index
     * @return the class index
     */
    public int label(int i) {
        return labels[i];
    }

    /** {@inheritDoc} */
    @Override
    public Record get(NDManager manager, long index) {
        if (index < 0 || index >= images.count()) {
            throw new IllegalArgumentException("index must be in [0, " + images.count() + "), got " + index);
        }
        int i = (int) index;
        int n = images.rows() * images.cols();
        float[] data = new float[n];
        byte[] px = images.pixels();
        int off = i * n;
        for (int k = 0; k < n; k++) {
            data[k] = normalization.apply(0, px[off + k] & 0xFF);
        }
        NDArray image = manager.create(data, new Shape(1, images.rows(), images.cols()));
        NDArray label = manager.create((float) labels[i]);
        return new Record(new NDList(image), new NDList(label));
    }

    /** {@inheritDoc} */
    @Override
    protected long availableSize() {
        return images.count();
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Progress progress) {
        // the arrays are in memory from the builder on
    }

    /** Builder of an {@link IdxDataset}. */
    public static final class Builder extends BaseBuilder<Builder> {
        private SeededShuffleSampler shuffleSampler;
        private IdxImages images;
        private int[] labels;
        private Normalization normalization = Normalization.unit(1);

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Uses images and labels already in memory.
         *
         * @param images the images
         * @param labels one label per image
         * @return this builder
         */
        public Builder setData(IdxImages images, int[] labels) {
            if (images == null || labels == null) {
                throw new IllegalArgumentException("images and labels must not be null");
            }
            if (labels.length != images.count()) {
                throw new IllegalArgumentException(
                        "labels must have one entry per image (" + images.count() + "), got " + labels.length);
            }
            this.images = images;
            this.labels = labels.clone();
            return this;
        }

        /**
         * Reads the images and labels from IDX files.
         *
         * @param imageFile IDX3 images ({@code .gz} or raw)
         * @param labelFile IDX1 labels ({@code .gz} or raw)
         * @return this builder
         * @throws IOException if a file is missing or malformed (the message names it), or the counts differ
         */
        public Builder setFiles(Path imageFile, Path labelFile) throws IOException {
            IdxImages im = IdxReader.readImages(imageFile);
            int[] lb = IdxReader.readLabels(labelFile);
            if (lb.length != im.count()) {
                throw new IdxFormatException(labelFile, "holds " + lb.length + " labels but " + imageFile + " holds "
                        + im.count() + " images");
            }
            return setData(im, lb);
        }

        /**
         * Reads the Fashion-MNIST (or MNIST) split from a directory with the standard gzip file names.
         *
         * @param dir the directory
         * @param train the 60k training split if true, the 10k test split otherwise
         * @return this builder
         * @throws IOException if a file is missing or malformed
         */
        public Builder setDirectory(Path dir, boolean train) throws IOException {
            return setFiles(dir.resolve(train ? TRAIN_IMAGES : TEST_IMAGES),
                    dir.resolve(train ? TRAIN_LABELS : TEST_LABELS));
        }

        /**
         * Sets the normalisation (default: scale to [0, 1]); must have one channel.
         *
         * @param normalization the normalisation
         * @return this builder
         */
        public Builder optNormalization(Normalization normalization) {
            if (normalization == null || normalization.channels() != 1) {
                throw new IllegalArgumentException("normalization must have exactly 1 channel, got " + normalization);
            }
            this.normalization = normalization;
            return this;
        }

        /**
         * Batches with a deterministic seeded shuffle ({@link SeededShuffleSampler}), keeping the last partial batch.
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
         * Builds the dataset.
         *
         * @return the dataset
         * @throws IllegalArgumentException if no data or no sampling was set
         */
        public IdxDataset build() {
            if (images == null) {
                throw new IllegalArgumentException("data must be set (setData, setFiles or setDirectory)");
            }
            requireSampler(this);
            return new IdxDataset(this);
        }
    }

    static void requireSampler(BaseBuilder<?> b) {
        try {
            b.getSampler();
        } catch (NullPointerException e) {
            throw new IllegalArgumentException("sampling must be set (setSampling or optShuffle)", e);
        }
    }
}
