package org.laudnet.models.resnet;

import com.google.gson.JsonObject;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.models.io.ArchitectureFactory;
import org.laudnet.models.io.JsonFields;

/**
 * The model-file description of {@link ResNetFamily} (id {@value ResNetFamily#ID}): settings
 * {@code {"blockType": "BOTTLENECK"|"BASIC", "stridePlacement": "CONV1"|"CONV2", "convBias": bool}}. Stateless and
 * thread-safe.
 */
public final class ResNetArchitectureFactory implements ArchitectureFactory {

    /** Creates the factory. */
    public ResNetArchitectureFactory() {}

    /** Returns {@value ResNetFamily#ID}. */
    @Override
    public String id() {
        return ResNetFamily.ID;
    }

    /** {@inheritDoc} */
    @Override
    public JsonObject settings(BlockFamily family) {
        if (!(family instanceof ResNetFamily f)) {
            throw new IllegalArgumentException("the " + ResNetFamily.ID + " factory describes ResNetFamily only, got "
                    + (family == null ? "null" : family.getClass().getName()));
        }
        JsonObject o = new JsonObject();
        o.addProperty("blockType", f.blockType().name());
        o.addProperty("stridePlacement", f.stridePlacement().name());
        o.addProperty("convBias", f.convBias());
        return o;
    }

    /** {@inheritDoc} */
    @Override
    public BlockFamily family(JsonObject settings) {
        return new ResNetFamily(JsonFields.enumValue(BlockType.class, settings, "blockType"),
                JsonFields.enumValue(StridePlacement.class, settings, "stridePlacement"),
                JsonFields.bool(settings, "convBias"));
    }
}
