package org.laudnet.bench.network;

import java.util.Locale;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetVariant;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;

/** The architectures {@code bench network} times, each at ImageNet size (224 x 224, 1000 classes). Immutable. */
public enum NetworkArch {
    /** ResNet-50 (3-4-6-3 bottlenecks). */
    RESNET50("resnet50"),
    /** ResNet-101 (3-4-23-3 bottlenecks). */
    RESNET101("resnet101"),
    /** RegNetY-800MF (1-3-8-2 grouped bottlenecks with squeeze-excitation). */
    REGNETY_800MF("regnety-800mf");

    private final String id;

    NetworkArch(String id) {
        this.id = id;
    }

    /** Returns the command-line name. */
    public String id() {
        return id;
    }

    /**
     * Parses a command-line name.
     *
     * @param name {@code resnet50}, {@code resnet101} or {@code regnety-800mf} (case-insensitive)
     * @return the architecture
     * @throws IllegalArgumentException naming the value for anything else
     */
    public static NetworkArch parse(String name) {
        for (NetworkArch a : values()) {
            if (a.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new IllegalArgumentException("--arch must be resnet50, resnet101 or regnety-800mf, got '" + name + "'");
    }

    /**
     * Builds the network (not initialised: the caller seeds the engine and initialises it).
     *
     * @param stageGates one gate per stage (four)
     * @return the network
     */
    GatedBackbone build(GateSpec[] stageGates) {
        return switch (this) {
            case RESNET50, RESNET101 -> LaudResNet.builder()
                    .setDepth(this == RESNET50 ? ResNetDepth.RESNET50 : ResNetDepth.RESNET101)
                    .optStageGates(stageGates).optInputSize(224).optNumClasses(1000).build();
            case REGNETY_800MF -> LaudRegNet.builder().setVariant(RegNetVariant.Y_800MF).optStageGates(stageGates)
                    .optInputSize(224).optNumClasses(1000).build();
        };
    }
}
