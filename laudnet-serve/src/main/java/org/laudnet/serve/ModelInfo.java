package org.laudnet.serve;

import java.util.List;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StageSpec;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.serving.LaudService;
import org.laudnet.models.serving.ServiceOptions;

/**
 * What {@code GET /models} says about the served model. Immutable and thread-safe.
 *
 * @param name the model's name
 * @param architecture the block family (e.g. {@code resnet})
 * @param inputChannels input channels
 * @param inputSize input side {@code S} of the {@code (C, S, S)} input
 * @param classes number of classes
 * @param stageGates per stage, its gate ({@code none}, {@code spatial S=2}, ...)
 * @param staticMacs MACs of the static network per image
 * @param backend the engine's backend (device, threads)
 * @param options the service's settings
 */
public record ModelInfo(String name, String architecture, int inputChannels, int inputSize, int classes,
        List<String> stageGates, long staticMacs, String backend, ServiceOptions options) {

    /** Copies the list. */
    public ModelInfo {
        stageGates = List.copyOf(stageGates);
    }

    /**
     * Describes a model and the service running it.
     *
     * @param model the model
     * @param service its service
     * @return the description
     */
    public static ModelInfo of(LaudModel model, LaudService<?> service) {
        GatedNetwork n = model.network();
        List<String> gates = n.getStages().stream().map(StageSpec::gate).map(ModelInfo::describe).toList();
        return new ModelInfo(model.name(), n.getFamily().id(), n.getStem().inChannels(), n.getInputSize(),
                n.getNumClasses(), gates, n.staticMacs(), service.backendDescription(), service.options());
    }

    private static String describe(GateSpec g) {
        return switch (g.mode()) {
            case NONE -> "none";
            case LAYER -> "layer";
            case SPATIAL -> "spatial S=" + g.spatialGranularity();
            case CHANNEL -> "channel G=" + g.channelGroups();
            case BOTH -> "spatial S=" + g.spatialGranularity() + " + channel G=" + g.channelGroups();
        };
    }
}
