package org.laudnet.models.weights.torch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.TorchvisionImporter.GateNames;

/**
 * The state dict of a PyTorch checkpoint as the importers take it: float tensors named as torchvision or the LAUDNet
 * reference name them, and the rule that tells the two apart (a LAUDNet checkpoint holds gate tensors,
 * {@code *.masker_spatial.*} or {@code *.masker_channel.*}). Stateless and thread-safe.
 */
public final class TorchWeights {

    /** File name endings taken for PyTorch checkpoints: {@code .pth}, {@code .pt}, {@code .pth.tar}, {@code .tar}. */
    public static final List<String> SUFFIXES = List.of(".pth", ".pt", ".pth.tar", ".tar");

    private TorchWeights() {}

    /**
     * Whether a file name ends like a PyTorch checkpoint ({@link #SUFFIXES}, case-insensitive).
     *
     * @param name the file name or path
     * @return true for a checkpoint name
     */
    public static boolean isCheckpointName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return SUFFIXES.stream().anyMatch(n::endsWith);
    }

    /**
     * Reads a checkpoint's state dict as float tensors ({@link TorchCheckpoint#toTensorFile()}).
     *
     * @param file the checkpoint
     * @return the tensors, without a {@code module.} prefix
     * @throws TorchCheckpointException if the file is refused or holds no state dict
     */
    public static TensorFile read(Path file) throws TorchCheckpointException {
        return TorchCheckpointReader.read(file).toTensorFile();
    }

    /**
     * How the file names gates: {@link GateNames#LAUDNET} when it has a gate tensor, else {@link GateNames#FRESH}.
     *
     * @param tensors the state dict
     * @return the naming
     */
    public static GateNames gateNames(TensorFile tensors) {
        return tensors.names().stream().anyMatch(TorchWeights::isGateTensor) ? GateNames.LAUDNET : GateNames.FRESH;
    }

    /**
     * The state dict without its gate tensors (the backbone of a LAUDNet checkpoint, e.g. for a static teacher).
     *
     * @param tensors the state dict
     * @return the tensors that are not gate tensors, in order
     */
    public static TensorFile withoutGates(TensorFile tensors) {
        List<NamedTensor> kept = new ArrayList<>();
        for (NamedTensor t : tensors.tensors()) {
            if (!isGateTensor(t.name())) {
                kept.add(t);
            }
        }
        return TensorFile.of(kept, tensors.metadata());
    }

    /**
     * Whether a network has at least one gate.
     *
     * @param net the network
     * @return true if a block has a spatial (or layer) or channel gate
     */
    public static boolean hasGates(GatedNetwork net) {
        return net.getBlocks().stream().anyMatch(b -> b.getSpatialGate().isPresent() || b.getChannelGate().isPresent());
    }

    /**
     * The stage gates an import builds for a checkpoint, with the channel mask placement resolved: an explicit
     * {@code placement} is applied to every stage (it has no effect on stages without a channel gate); without one,
     * a LAUDNet-named ResNet checkpoint ({@link GateNames#LAUDNET}) whose gates include a channel gate gets the
     * reference's placement {@link ChannelMaskPlacement#BEFORE_NORM} on its channel-gated stages, since the
     * reference's {@code laud_resnet.py} trained it with {@code ReLU(BN(conv x mask))} and only that placement
     * reproduces its outputs; a LAUDNet-named RegNet checkpoint (names under {@code trunk_output.}) keeps the specs as
     * given, since the reference's {@code laud_regnet.py} masks after the activation ({@code ReLU(BN(conv)) x mask},
     * {@link ChannelMaskPlacement#AFTER_ACTIVATION}); torchvision-named files keep the specs as given.
     *
     * @param tensors the state dict
     * @param placement the caller's placement, or null to choose by the file's naming
     * @param gates the stage gates (possibly none)
     * @return new specs, one per given spec
     */
    public static GateSpec[] resolvePlacement(TensorFile tensors, ChannelMaskPlacement placement, GateSpec... gates) {
        GateSpec[] out = gates.clone();
        ChannelMaskPlacement p = placement;
        if (p == null) {
            boolean channel = java.util.Arrays.stream(gates).anyMatch(g -> g.mode().hasChannelGate());
            if (!channel || gateNames(tensors) != GateNames.LAUDNET || isRegNet(tensors)) {
                return out;
            }
            p = ChannelMaskPlacement.BEFORE_NORM;
        }
        for (int s = 0; s < out.length; s++) {
            out[s] = out[s].withChannelMaskPlacement(p);
        }
        return out;
    }

    /**
     * Loads a ResNet state dict read from a checkpoint: torchvision names (gates keep their fresh initialisation) or
     * LAUDNet names (every gate from the file).
     *
     * @param tensors the state dict
     * @param source the checkpoint (named in errors)
     * @param net an initialised torchvision-form ResNet whose gates match the file's
     * @throws TorchCheckpointException if the file holds gate tensors and the network has no gates (give it the
     *     checkpoint's gates)
     * @throws org.laudnet.models.weights.WeightFileException listing missing, unexpected and mis-shaped tensors
     */
    public static void loadResNet(TensorFile tensors, Path source, GatedNetwork net)
            throws org.laudnet.models.weights.WeightFileException {
        GateNames names = gateNames(tensors);
        requireGates(tensors, source, net, names);
        TorchvisionImporter.loadResNet(tensors, source, net, names);
    }

    /**
     * Loads a RegNetY state dict read from a checkpoint: torchvision names (gates keep their fresh initialisation) or
     * LAUDNet names (every gate from the file, as the reference's {@code laud_regnet.py} names them).
     *
     * @param tensors the state dict
     * @param source the checkpoint (named in errors)
     * @param net an initialised RegNetY whose gates match the file's
     * @throws TorchCheckpointException if the file holds gate tensors and the network has no gates (give it the
     *     checkpoint's gates)
     * @throws org.laudnet.models.weights.WeightFileException listing missing, unexpected and mis-shaped tensors
     */
    public static void loadRegNet(TensorFile tensors, Path source, GatedNetwork net)
            throws org.laudnet.models.weights.WeightFileException {
        GateNames names = gateNames(tensors);
        requireGates(tensors, source, net, names);
        TorchvisionImporter.loadRegNet(tensors, source, net, names);
    }

    private static void requireGates(TensorFile tensors, Path source, GatedNetwork net, GateNames names)
            throws TorchCheckpointException {
        if (names == GateNames.LAUDNET && !hasGates(net)) {
            throw new TorchCheckpointException(source, "the checkpoint holds LAUDNet gate tensors (e.g. "
                    + tensors.names().stream().filter(TorchWeights::isGateTensor).findFirst().orElseThrow()
                    + ") but the network has no gates: build it with the checkpoint's per-stage gates");
        }
    }

    /** Whether a state dict names its modules as torchvision's (and the reference's) RegNet does. */
    private static boolean isRegNet(TensorFile tensors) {
        return tensors.names().stream().anyMatch(n -> n.startsWith("trunk_output."));
    }

    private static boolean isGateTensor(String name) {
        return name.contains("masker_spatial.") || name.contains("masker_channel.");
    }
}
