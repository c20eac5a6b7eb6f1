package org.laudnet.bench.demo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.util.ArrayWrites;

/**
 * Runs one gated ResNet-50 bottleneck (layer1, Cin 256, width 64, 56x56) per mode in training and eval mode and
 * reports the densities of its masks and its MACs.
 */
public final class GateDemo {

    /** One line of the demo table. */
    public record DemoRow(
            String label, String phase, double d1, double d2, double d3, double dc, double denseMacs,
            double dynamicMacs) {}

    private final int batch;
    private final long seed;
    private final float tau;
    private final float keepBiasShift;

    /**
     * Creates the demo.
     *
     * @param batch batch size
     * @param seed seed of inputs, weights and noise
     * @param tau Gumbel temperature for training mode
     * @param keepBiasShift added to the gates' initial keep-logit biases
     */
    public GateDemo(int batch, long seed, float tau, float keepBiasShift) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        this.batch = batch;
        this.seed = seed;
        this.tau = tau;
        this.keepBiasShift = keepBiasShift;
    }

    /**
     * Runs the three modes.
     *
     * @return two rows (train, eval) per mode
     */
    public List<DemoRow> run() {
        Engine.getInstance().setRandomSeed((int) seed);
        BlockGeometry geometry = BlockGeometry.bottleneck(256, 64, 56, 1);
        List<DemoRow> rows = new ArrayList<>();
        record Mode(String label, GateSpec spec) {}
        List<Mode> modes = List.of(
                new Mode("spatial S=2", GateSpec.spatial(2)),
                new Mode("channel G=4", GateSpec.channel(4)),
                new Mode("layer", GateSpec.layer()));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(batch, 256, 56, 56)).toType(DataType.FLOAT32, false);
            ParameterStore ps = new ParameterStore(manager, false);
            for (Mode mode : modes) {
                GatedResidualBlock block = GatedResidualBlock.builder()
                        .setGeometry(geometry)
                        .optGateSpec(mode.spec())
                        .optTemperature(GumbelTemperature.constant(tau))
                        .optSeed(seed)
                        .build();
                block.initialize(manager, DataType.FLOAT32, x.getShape());
                shiftKeepBias(block.getSpatialGate().orElse(null));
                shiftKeepBias(block.getChannelGate().orElse(null));
                for (boolean training : new boolean[] {true, false}) {
                    try (NDManager step = manager.newSubManager()) {
                        NDArray input = x.duplicate();
                        input.attach(step);
                        BlockResult r = block.run(ps, input, training);
                        rows.add(new DemoRow(
                                mode.label(),
                                training ? "train" : "eval",
                                r.d1().getFloat(),
                                r.d2().getFloat(),
                                r.d3().getFloat(),
                                r.dc().getFloat(),
                                block.getCost().denseMacs(),
                                r.dynamicMacs().getFloat()));
                    }
                }
            }
        }
        return rows;
    }

    /** Adds the shift to the keep half of the last bias of a gate's masker. */
    private void shiftKeepBias(Block gate) {
        if (gate == null || keepBiasShift == 0f) {
            return;
        }
        var biases = gate.getParameters().stream()
                .filter(p -> p.getKey().endsWith("bias"))
                .map(p -> p.getValue().getArray())
                .toList();
        NDArray last = biases.get(biases.size() - 1);
        float[] values = last.toFloatArray();
        for (int i = 0; i < values.length / 2; i++) {
            values[i] += keepBiasShift;
        }
        ArrayWrites.write(last, values);
    }
}
