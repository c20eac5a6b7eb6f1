package org.laudnet.models.io;

import com.google.gson.JsonObject;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.BlockSlot;
import org.laudnet.models.resnet.ResNetFamily;

/**
 * A test extension architecture registered through {@code META-INF/services}: basic ResNet blocks under the id
 * {@value #ID}, with one setting of its own, so that model files of a family the library does not know are written and
 * rebuilt through the service-loaded factory.
 */
public final class TwinResNetFactory implements ArchitectureFactory {

    /** The extension's architecture id. */
    public static final String ID = "twin-resnet";

    /**
     * The extension's family: basic ResNet blocks, tagged.
     *
     * @param tag a setting that only this family has (must survive a round trip)
     */
    public record TwinFamily(int tag) implements BlockFamily {

        @Override
        public String id() {
            return ID;
        }


        @Override
        public AbstractGatedBlock newBlock(BlockSlot slot) {
            return new ResNetFamily(BlockType.BASIC, StridePlacement.CONV2, false).newBlock(slot);
        }
    }

    /** Creates the factory (the service loader needs a public no-argument constructor). */
    public TwinResNetFactory() {}

    @Override
    public String id() {
        return ID;
    }

    @Override
    public JsonObject settings(BlockFamily family) {
        if (!(family instanceof TwinFamily f)) {
            throw new IllegalArgumentException("not a twin family: " + family);
        }
        JsonObject o = new JsonObject();
        o.addProperty("tag", f.tag());
        return o;
    }

    @Override
    public BlockFamily family(JsonObject settings) {
        return new TwinFamily(JsonFields.integer(settings, "tag"));
    }
}
