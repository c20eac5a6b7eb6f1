package org.laudnet.models.regnet;

import com.google.gson.JsonObject;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.models.io.ArchitectureFactory;
import org.laudnet.models.io.JsonFields;

/**
 * The model-file description of {@link RegNetYFamily} (id {@value RegNetYFamily#ID}): settings
 * {@code {"groupWidth": int, "seRatio": number}}. Stateless and thread-safe.
 */
public final class RegNetYArchitectureFactory implements ArchitectureFactory {

    /** Creates the factory. */
    public RegNetYArchitectureFactory() {}

    /** Returns {@value RegNetYFamily#ID}. */
    @Override
    public String id() {
        return RegNetYFamily.ID;
    }

    /** {@inheritDoc} */
    @Override
    public JsonObject settings(BlockFamily family) {
        if (!(family instanceof RegNetYFamily f)) {
            throw new IllegalArgumentException("the " + RegNetYFamily.ID + " factory describes RegNetYFamily only, got "
                    + (family == null ? "null" : family.getClass().getName()));
        }
        JsonObject o = new JsonObject();
        o.addProperty("groupWidth", f.groupWidth());
        o.addProperty("seRatio", f.seRatio());
        return o;
    }

    /** {@inheritDoc} */
    @Override
    public BlockFamily family(JsonObject settings) {
        return new RegNetYFamily(JsonFields.integer(settings, "groupWidth"), JsonFields.number(settings, "seRatio"));
    }
}
