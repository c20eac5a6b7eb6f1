/**
 * Training and evaluation datasets on DJL's {@link ai.djl.training.dataset.RandomAccessDataset}, with sample orders
 * that are a function of the epoch so that resumed runs reproduce uninterrupted ones.
 *
 * <ul>
 *   <li>{@link IdxReader}, {@link IdxImages}, {@link IdxDataset}: IDX files (MNIST, Fashion-MNIST), raw or gzip;
 *       records {@code (1, rows, cols)} float32 with {@code x = (p / 255 - mean) / std} and a scalar class index;
 *       {@link IdxFormatException} for malformed files.
 *   <li>{@link ImageFolderDataset}: {@code root/<class>/<image>}, classes in sorted name order (or caller-chosen
 *       labels); images decoded within size limits and preprocessed by a model's
 *       {@link org.laudnet.models.imagenet.ImagePreprocessing} (or an RGB one of a size and a {@link Normalization}).
 *   <li>{@link SeededShuffleSampler} (pass {@code k} visits the permutation of {@code new Random(seed + k)}) and
 *       {@link EpochOrdered} (datasets told the epoch before it is iterated).
 * </ul>
 *
 * Datasets are immutable after building and their records may be read from several threads; samplers keep the pass
 * count and belong to one training loop.
 */
package org.laudnet.models.data;
