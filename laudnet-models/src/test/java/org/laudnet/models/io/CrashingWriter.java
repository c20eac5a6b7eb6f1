package org.laudnet.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.train.CheckpointState;

/**
 * The process {@link CrashSafeWritesTest} kills: writes versions of a small network, each as a checkpoint
 * ({@value #CHECKPOINT}, keeping {@value #CHECKPOINT}.prev) and then as a model file ({@value #MODEL}), into one
 * directory. Version {@code v} has every element of parameter {@code p} equal to {@link #value}{@code (v, p)} and the
 * checkpoint epoch {@code v}. Prints {@code ready} once the network is built and {@code wrote v} after each version.
 *
 * <p>Arguments: the directory, the first version, the number of versions ({@code 0}: until killed).
 */
public final class CrashingWriter {

    /** The checkpoint's file name. */
    static final String CHECKPOINT = "model.ckpt";

    /** The model file's name. */
    static final String MODEL = "model.laud";

    private CrashingWriter() {}

    /** The small gated network every version is a value assignment of (parameters of about 100 KiB). */
    static GatedBackbone network(NDManager m) {
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(new StageSpec(1, 16, 16, 1, GateSpec.spatial(2)),
                        new StageSpec(1, 32, 32, 2, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16)).optInputSize(16).optNumClasses(10).optSeed(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 16, 16));
        return net;
    }

    /** Every element of parameter {@code p} in version {@code v} (exact in float32 for the versions used). */
    static float value(long v, int p) {
        return v + (p % 8) * 0.125f;
    }

    /** Sets every parameter of {@code net} to version {@code v}. */
    static void assign(GatedBackbone net, long v) {
        int p = 0;
        for (Pair<String, Parameter> e : net.getParameters()) {
            NDArray a = e.getValue().getArray();
            float[] values = new float[Math.toIntExact(a.size())];
            Arrays.fill(values, value(v, p++));
            a.set(FloatBuffer.wrap(values));
        }
    }

    /**
     * Writes versions until killed or done.
     *
     * @param args the directory, the first version, the number of versions (0: no end)
     * @throws IOException if a write fails
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long first = Long.parseLong(args[1]);
        long count = Long.parseLong(args[2]);
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = network(m);
            System.out.println("ready");
            System.out.flush();
            for (long v = first; count == 0 || v < first + count; v++) {
                assign(net, v);
                Checkpoint.save(dir.resolve(CHECKPOINT), net, new CheckpointState(Math.toIntExact(v),
                        Math.toIntExact(v), 1f));
                LaudModelFile.save(dir.resolve(MODEL), net);
                System.out.println("wrote " + v);
                System.out.flush();
            }
        }
    }
}
