package org.laudnet.models.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.weights.WeightFileException;

/**
 * The JSON header of a model file: the architecture (id and family settings), the stem, the stage specs with their
 * gates, the backbone settings and the optional metadata. Writes format version 2 (3 when a gate records the
 * reference's channel mask placement, {@code channelMaskPlacement}); reads versions 1 to 3. Stateless.
 *
 * <p>Version 2:
 *
 * <pre>
 *   {"architecture": id, "family": {settings}, "stem": {...}, "stages": [{..., "gate": {...}}, ...],
 *    "inputSize": S, "numClasses": K, "batchNormEpsilon": e, "seed": n,
 *    ["preprocessing": {"resizeShorter", "cropSize", "channelOrder", "mean": [...], "std": [...]}],
 *    ["labels": [K strings]]}
 * </pre>
 *
 * Version 1 has {@code "architecture": "RESNET"} with top-level {@code blockType, stridePlacement, convBias}, or
 * {@code "REGNET"} with top-level {@code groupWidth, seRatio}, and no metadata.
 *
 * <p>Decoding bounds every size a header declares ({@value #MAX_STAGES} stages, {@value #MAX_BLOCKS} blocks,
 * {@value #MAX_CHANNELS} channels, input side {@value #MAX_INPUT_SIZE}, {@link ModelMetadata#MAX_LABELS} classes), and
 * {@link #minParameters} bounds what the described network will allocate, so that a small corrupt or hostile file
 * cannot make the loader build an absurd network.
 */
final class ModelHeader {

    /** The most blocks a header may describe (a guard against building absurd networks from a corrupt header). */
    static final int MAX_BLOCKS = 4096;

    /** The most stages a header may describe. */
    static final int MAX_STAGES = 64;

    /** The largest input side a header may declare (pixels; real networks take 224 to a few hundred). */
    static final int MAX_INPUT_SIZE = 4096;

    /**
     * The most channels a header may give the stem's input and output, or a stage's width and output (real networks
     * have at most a few thousand).
     */
    static final int MAX_CHANNELS = 1 << 16;

    private ModelHeader() {}

    /**
     * A decoded header.
     *
     * @param family the block family
     * @param stem the stem
     * @param stages the stage specs
     * @param inputSize the input side
     * @param numClasses the classes
     * @param epsilon the BatchNorm epsilon
     * @param seed the gates' base seed
     * @param metadata the preprocessing and labels
     */
    record Decoded(BlockFamily family, StemSpec stem, List<StageSpec> stages, int inputSize, int numClasses,
            float epsilon, long seed, ModelMetadata metadata) {

        /** Builds the (uninitialised) network the header describes. */
        GatedBackbone build() {
            GatedBackbone net = GatedBackbone.builder(family, stem)
                    .setStages(stages)
                    .optInputSize(inputSize)
                    .optNumClasses(numClasses)
                    .optBatchNormEpsilon(epsilon)
                    .optSeed(seed)
                    .build();
            metadata.checkFits(net);
            return net;
        }
    }

    /**
     * Encodes a network's header (format version 2).
     *
     * @param net the network
     * @param factory the factory of its family
     * @param metadata the metadata to record
     * @return the JSON object
     */
    static JsonObject encode(GatedNetwork net, ArchitectureFactory factory, ModelMetadata metadata) {
        JsonObject h = new JsonObject();
        h.addProperty("architecture", net.getFamily().id());
        h.add("family", factory.settings(net.getFamily()));
        StemSpec stem = net.getStem();
        JsonObject s = new JsonObject();
        s.addProperty("inChannels", stem.inChannels());
        s.addProperty("channels", stem.channels());
        s.addProperty("kernel", stem.kernel());
        s.addProperty("stride", stem.stride());
        s.addProperty("maxPool", stem.maxPool());
        s.addProperty("maxPoolPadding", stem.maxPoolPadding());
        h.add("stem", s);
        JsonArray arr = new JsonArray();
        for (StageSpec st : net.getStages()) {
            JsonObject o = new JsonObject();
            o.addProperty("blocks", st.blocks());
            o.addProperty("width", st.width());
            o.addProperty("outChannels", st.outChannels());
            o.addProperty("stride", st.stride());
            GateSpec g = st.gate();
            JsonObject gate = new JsonObject();
            gate.addProperty("mode", g.mode().name());
            gate.addProperty("spatialGranularity", g.spatialGranularity());
            gate.addProperty("spatialGroups", g.spatialGroups());
            gate.addProperty("channelGroups", g.channelGroups());
            gate.addProperty("maskerKind", g.maskerKind().name());
            if (g.channelMaskPlacement() != ChannelMaskPlacement.AFTER_ACTIVATION) {
                gate.addProperty("channelMaskPlacement", g.channelMaskPlacement().name());
            }
            o.add("gate", gate);
            arr.add(o);
        }
        h.add("stages", arr);
        h.addProperty("inputSize", net.getInputSize());
        h.addProperty("numClasses", net.getNumClasses());
        h.addProperty("batchNormEpsilon", net.getBatchNormEpsilon());
        h.addProperty("seed", net.getSeed());
        ImagePreprocessing p = metadata.preprocessing();
        if (p != null) {
            JsonObject o = new JsonObject();
            o.addProperty("resizeShorter", p.resizeShorter());
            o.addProperty("cropSize", p.cropSize());
            o.addProperty("channelOrder", p.channelOrder().name());
            o.add("mean", floats(p.mean()));
            o.add("std", floats(p.std()));
            h.add("preprocessing", o);
        }
        if (metadata.hasLabels()) {
            JsonArray labels = new JsonArray(metadata.labels().size());
            metadata.labels().forEach(labels::add);
            h.add("labels", labels);
        }
        return h;
    }

    private static JsonArray floats(float[] values) {
        JsonArray a = new JsonArray(values.length);
        for (float v : values) {
            a.add(v);
        }
        return a;
    }

    /**
     * Decodes a header.
     *
     * @param h the JSON object
     * @param version the file's format version (1 to 3)
     * @param registry where the architecture is looked up
     * @param file the file (named in errors)
     * @return the decoded header
     * @throws WeightFileException if the architecture is unknown
     * @throws IllegalArgumentException naming the first missing or invalid field
     */
    static Decoded decode(JsonObject h, int version, ArchitectureRegistry registry, Path file)
            throws WeightFileException {
        BlockFamily family;
        String arch = JsonFields.string(h, "architecture");
        if (version == 1) {
            JsonObject settings = new JsonObject();
            String id;
            switch (arch.toUpperCase(Locale.ROOT)) {
                case "RESNET" -> {
                    id = "resnet";
                    copy(h, settings, "blockType", "stridePlacement", "convBias");
                }
                case "REGNET" -> {
                    id = "regnety";
                    copy(h, settings, "groupWidth", "seRatio");
                }
                default -> id = arch;
            }
            family = registry.require(id, file).family(settings);
        } else {
            family = registry.require(arch, file).family(JsonFields.object(h, "family"));
        }
        JsonObject s = JsonFields.object(h, "stem");
        StemSpec stem = new StemSpec(channels(s, "inChannels", "stem"), channels(s, "channels", "stem"),
                JsonFields.integer(s, "kernel"), JsonFields.integer(s, "stride"), JsonFields.bool(s, "maxPool"),
                JsonFields.integer(s, "maxPoolPadding"));
        JsonArray arr = JsonFields.array(h, "stages");
        if (arr.isEmpty() || arr.size() > MAX_STAGES) {
            throw new IllegalArgumentException("header must have 1 to " + MAX_STAGES + " stages, got " + arr.size());
        }
        List<StageSpec> stages = new ArrayList<>();
        long blocks = 0;
        for (int i = 0; i < arr.size(); i++) {
            if (!arr.get(i).isJsonObject()) {
                throw new IllegalArgumentException("stages[" + i + "] must be a JSON object");
            }
            JsonObject o = arr.get(i).getAsJsonObject();
            JsonObject g = JsonFields.object(o, "gate");
            GateSpec gate = new GateSpec(JsonFields.enumValue(GateMode.class, g, "mode"),
                    JsonFields.integer(g, "spatialGranularity"), JsonFields.integer(g, "spatialGroups"),
                    JsonFields.integer(g, "channelGroups"), JsonFields.enumValue(ChannelMaskerKind.class, g,
                            "maskerKind"),
                    version >= 3 && g.has("channelMaskPlacement")
                            ? JsonFields.enumValue(ChannelMaskPlacement.class, g, "channelMaskPlacement")
                            : ChannelMaskPlacement.AFTER_ACTIVATION);
            StageSpec st = new StageSpec(JsonFields.integer(o, "blocks"), channels(o, "width", "stages[" + i + "]"),
                    channels(o, "outChannels", "stages[" + i + "]"), JsonFields.integer(o, "stride"), gate);
            blocks += st.blocks();
            if (blocks > MAX_BLOCKS) {
                throw new IllegalArgumentException("header must describe at most " + MAX_BLOCKS + " blocks, got "
                        + blocks + " in the first " + (i + 1) + " stages");
            }
            stages.add(st);
        }
        float epsilon = (float) JsonFields.number(h, "batchNormEpsilon");
        ModelMetadata metadata = version == 1 ? ModelMetadata.none()
                : new ModelMetadata(preprocessing(h), labels(h));
        int inputSize = JsonFields.integer(h, "inputSize");
        if (inputSize <= 0 || inputSize > MAX_INPUT_SIZE) {
            throw new IllegalArgumentException("inputSize must be in [1, " + MAX_INPUT_SIZE + "], got " + inputSize);
        }
        int numClasses = JsonFields.integer(h, "numClasses");
        if (numClasses <= 0 || numClasses > ModelMetadata.MAX_LABELS) {
            throw new IllegalArgumentException("numClasses must be in [1, " + ModelMetadata.MAX_LABELS
                    + "] (the label limit), got " + numClasses);
        }
        return new Decoded(family, stem, List.copyOf(stages), inputSize, numClasses, epsilon,
                JsonFields.longInteger(h, "seed"), metadata);
    }

    private static int channels(JsonObject o, String key, String where) {
        int c = JsonFields.integer(o, key);
        if (c <= 0 || c > MAX_CHANNELS) {
            throw new IllegalArgumentException(where + " " + key + " must be in [1, " + MAX_CHANNELS + "], got " + c);
        }
        return c;
    }

    /**
     * Returns a lower bound of a network's parameter count, computed from its specs without allocating anything: the
     * weights of the stem convolution, of every block's convolutions (the dense MACs of the block on a 1 x 1 input,
     * one per weight: {@link BlockCost}) and of the classifier ({@code channels x classes}). BatchNorm, bias, gate and
     * squeeze-excitation parameters are not counted. A double, so that no header can overflow it.
     *
     * @param net the (uninitialised) network
     * @return at most the number of its parameters
     */
    static double minParameters(GatedNetwork net) {
        StemSpec stem = net.getStem();
        double n = (double) stem.inChannels() * stem.channels() * stem.kernel() * stem.kernel();
        int channels = stem.channels();
        for (AbstractGatedBlock b : net.getBlocks()) {
            BlockGeometry g = b.getGeometry();
            n += BlockCost.of(g.withInputSize(1, 1), 0).denseMacs();
            channels = g.outChannels();
        }
        return n + (double) channels * net.getNumClasses();
    }

    private static void copy(JsonObject from, JsonObject to, String... keys) {
        for (String k : keys) {
            JsonElement e = from.get(k);
            if (e != null) {
                to.add(k, e);
            }
        }
    }

    private static ImagePreprocessing preprocessing(JsonObject h) {
        JsonElement e = h.get("preprocessing");
        if (e == null || e.isJsonNull()) {
            return null;
        }
        JsonObject p = JsonFields.object(h, "preprocessing");
        return new ImagePreprocessing(JsonFields.integer(p, "resizeShorter"), JsonFields.integer(p, "cropSize"),
                JsonFields.enumValue(ImagePreprocessing.ChannelOrder.class, p, "channelOrder"),
                floats(p, "mean"), floats(p, "std"));
    }

    private static float[] floats(JsonObject o, String key) {
        JsonArray a = JsonFields.array(o, key);
        if (a.size() > 3) {
            throw new IllegalArgumentException("preprocessing field '" + key + "' must have at most 3 entries, got "
                    + a.size());
        }
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) JsonFields.number(a.get(i), "preprocessing " + key + "[" + i + "]");
        }
        return v;
    }

    private static List<String> labels(JsonObject h) {
        JsonElement e = h.get("labels");
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        JsonArray a = JsonFields.array(h, "labels");
        if (a.size() > ModelMetadata.MAX_LABELS) {
            throw new IllegalArgumentException("header has " + a.size() + " labels, at most "
                    + ModelMetadata.MAX_LABELS + " are allowed");
        }
        List<String> labels = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            if (!(a.get(i) instanceof JsonPrimitive p) || !p.isString()) {
                throw new IllegalArgumentException("labels[" + i + "] must be a string");
            }
            String l = p.getAsString();
            if (l.length() > ModelMetadata.MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("labels[" + i + "] has " + l.length() + " characters, at most "
                        + ModelMetadata.MAX_LABEL_LENGTH + " are allowed");
            }
            labels.add(l);
        }
        return labels;
    }
}
