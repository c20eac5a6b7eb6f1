package org.laudnet.bench.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The file formats the library reads, as the fuzzer names them. Immutable and thread-safe.
 */
public enum FuzzFormat {
    /** {@code .laud} model files ({@code LaudModelFile}). */
    LAUD("laud", "LAUD model file (.laud): LaudModelFile.load"),
    /** Inference plan files ({@code PlanFile}). */
    PLAN("plan", "inference plan (LAUDPLAN): PlanFile.read"),
    /** Safetensors weight files, imported into a torchvision-named ResNet. */
    SAFETENSORS("safetensors", "safetensors: SafetensorsReader.read + TorchvisionImporter.loadResNet"),
    /** TF.js layers models: {@code model.json} and its weight shards. */
    TFJS("tfjs", "TF.js layers model (model.json + shards): TfjsLayersModel.read"),
    /** Training checkpoints ({@code Checkpoint}). */
    CHECKPOINT("checkpoint", "training checkpoint (LAUDCKPT): Checkpoint.loadAll"),
    /** IDX data files (raw and gzip), read as an image/label pair into a dataset. */
    IDX("idx", "IDX images + labels (raw and gzip): IdxDataset.Builder.setFiles"),
    /** Encoded images (PNG, JPEG, BMP, GIF). */
    IMAGE("image", "images (PNG, JPEG, BMP, GIF): ImageInputs.read"),
    /** CPU latency profiles (JSON). */
    PROFILE("profile", "CPU latency profile (JSON): CpuLatencyProfile.read"),
    /** PyTorch checkpoints ({@code torch.save}'s zip archive), imported into a torchvision-named ResNet. */
    PTH("pth", "PyTorch checkpoint (.pth): TorchCheckpointReader + TorchvisionImporter.loadResNet");

    private final String id;
    private final String description;

    FuzzFormat(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /**
     * Returns the name used on the command line, e.g. {@code safetensors}.
     *
     * @return the identifier
     */
    public String id() {
        return id;
    }

    /**
     * Returns what is read and through which entry point.
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    /**
     * Returns whether this build has a reader for the format.
     *
     * @return true for every format (this build reads them all)
     */
    public boolean readable() {
        return true;
    }

    /**
     * Returns the formats this build reads, in declaration order.
     *
     * @return every format
     */
    public static List<FuzzFormat> readableFormats() {
        return Arrays.stream(values()).filter(FuzzFormat::readable).toList();
    }

    /**
     * Looks a format up by its identifier, ignoring case.
     *
     * @param id e.g. {@code laud}
     * @return the format
     * @throws IllegalArgumentException naming the known identifiers if none matches
     */
    public static FuzzFormat of(String id) {
        for (FuzzFormat f : values()) {
            if (f.id.equalsIgnoreCase(id == null ? "" : id.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("format must be one of "
                + Arrays.stream(values()).map(FuzzFormat::id).toList() + ", got '" + id + "'");
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
