package org.laudnet.cuda.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.SqueezeExcitationPlan;

/**
 * Exports a static plan for the PyTorch peer ({@code gpu_peer.py}): every folded convolution as {@code <name>_w.npy}
 * {@code (O, I / g, k, k)} and {@code <name>_b.npy} {@code (O)}, the input batch as {@code input.npy}, Java's logits as
 * {@code java_logits_<source>.npy}, and {@code plan.json}:
 *
 * <pre>
 *   {"name": network name, "input_size": S, "batch": B, "max_pool_padding": p (-1 without max pool),
 *    "stem": conv, "head": conv,
 *    "blocks": [{"conv1": conv, "conv2": conv, "conv3": conv, "downsample": conv | null,
 *                "se": {"fc1": conv, "fc2": conv} | null}, ...],
 *    "java_logits": ["fp32", "tf32"] or ["cpu"]}
 *   conv = {"name": file prefix, "stride": s, "padding": p, "groups": g}
 * </pre>
 *
 * Stateless.
 */
final class PeerExport {

    private PeerExport() {}

    /**
     * Writes the plan's weights, the input and {@code plan.json}.
     *
     * @param dir the destination folder (created)
     * @param name the network's name, e.g. {@code "ResNet-101"}
     * @param plan a static bottleneck plan
     * @param images the input {@code (B, C, S, S)}
     * @param batch {@code B}
     * @param logitSources the names of the logits files that {@link #writeLogits} writes
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the plan has gates or basic blocks
     */
    static void write(Path dir, String name, InferencePlan plan, float[] images, int batch, String... logitSources)
            throws IOException {
        Files.createDirectories(dir);
        Npy.write(dir.resolve("input.npy"), images, batch, plan.inputChannels(), plan.inputSize(), plan.inputSize());
        StringBuilder json = new StringBuilder();
        json.append("{\n  \"name\": \"").append(name).append("\",\n  \"input_size\": ").append(plan.inputSize())
                .append(",\n  \"batch\": ").append(batch)
                .append(",\n  \"max_pool_padding\": ").append(plan.maxPool() ? plan.maxPoolPadding() : -1)
                .append(",\n  \"stem\": ").append(conv(dir, "stem", plan.stem()))
                .append(",\n  \"head\": ").append(conv(dir, "head", plan.head()))
                .append(",\n  \"blocks\": [\n");
        for (int i = 0; i < plan.blocks().size(); i++) {
            BlockPlan b = plan.blocks().get(i);
            if (b.gate().mode().hasSpatialGate() || b.gate().mode().hasChannelGate() || b.conv3() == null) {
                throw new IllegalArgumentException("the peer runs static bottleneck plans; block " + i + " is "
                        + b.geometry().type() + " with mode " + b.mode());
            }
            SqueezeExcitationPlan se = b.squeezeExcitation();
            json.append("    {\"conv1\": ").append(conv(dir, "b" + i + "_conv1", b.conv1()))
                    .append(", \"conv2\": ").append(conv(dir, "b" + i + "_conv2", b.conv2()))
                    .append(", \"conv3\": ").append(conv(dir, "b" + i + "_conv3", b.conv3()))
                    .append(", \"downsample\": ")
                    .append(b.downsample() == null ? "null" : conv(dir, "b" + i + "_down", b.downsample()))
                    .append(", \"se\": ")
                    .append(se == null ? "null" : "{\"fc1\": " + conv(dir, "b" + i + "_se1", se.fc1())
                            + ", \"fc2\": " + conv(dir, "b" + i + "_se2", se.fc2()) + "}")
                    .append(i + 1 < plan.blocks().size() ? "},\n" : "}\n");
        }
        json.append("  ],\n  \"java_logits\": [");
        for (int i = 0; i < logitSources.length; i++) {
            json.append(i > 0 ? ", " : "").append('"').append(logitSources[i]).append('"');
        }
        json.append("]\n}\n");
        Files.writeString(dir.resolve("plan.json"), json.toString(), StandardCharsets.UTF_8);
    }

    /**
     * Writes Java's logits of the exported input.
     *
     * @param dir the export folder
     * @param source the name of the logits' source, e.g. {@code "fp32"}
     * @param logits {@code (B, classes)}
     * @param batch {@code B}
     * @param classes the number of classes
     * @throws IOException if writing fails
     */
    static void writeLogits(Path dir, String source, float[] logits, int batch, int classes) throws IOException {
        Npy.write(dir.resolve("java_logits_" + source + ".npy"), logits, batch, classes);
    }

    private static String conv(Path dir, String name, FoldedConv c) throws IOException {
        Npy.write(dir.resolve(name + "_w.npy"), c.weight(), c.outChannels(), c.inChannels() / c.groups(), c.kernel(),
                c.kernel());
        Npy.write(dir.resolve(name + "_b.npy"), c.bias(), c.outChannels());
        return "{\"name\": \"" + name + "\", \"stride\": " + c.stride() + ", \"padding\": " + c.padding()
                + ", \"groups\": " + c.groups() + "}";
    }
}
