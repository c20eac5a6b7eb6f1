package org.laudnet.bench.fuzz;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a valid plan file (the layout documented on {@code PlanFile}) and records its structure for mutations: every
 * field (version, architecture length, sizes, convolution headers, block count, geometry, gate and masker fields,
 * presence flags), every record boundary, the weight arrays, and the ranges of convolutions and blocks for tensor
 * edits. Only for trusted input (the fuzzer's own seeds); immutable once built.
 */
final class PlanLayout {

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * A convolution record.
     *
     * @param label which convolution
     * @param start its first byte (the output-channel field)
     * @param weightsStart the first weight
     * @param biasStart the first bias
     * @param end one past its last byte
     */
    record Conv(String label, int start, int weightsStart, int biasStart, int end) {}

    /**
     * A presence flag.
     *
     * @param label what it announces
     * @param offset its offset
     */
    record Flag(String label, int offset) {}

    final FileLayout.Builder layout = FileLayout.builder();
    final List<Conv> convs = new ArrayList<>();
    final List<int[]> blocks = new ArrayList<>();
    final List<Flag> flags = new ArrayList<>();
    int blockCountOffset;

    private final byte[] b;
    private int pos;

    private PlanLayout(byte[] bytes) {
        this.b = bytes;
    }

    /**
     * Walks a plan file.
     *
     * @param bytes a valid plan file
     * @return its structure
     */
    static PlanLayout of(byte[] bytes) {
        PlanLayout p = new PlanLayout(bytes);
        p.walk();
        return p;
    }

    private void walk() {
        layout.magic(0, 8);
        pos = 8;
        field(4, FileLayout.FieldRole.VERSION, "format version");
        int archLength = field(4, FileLayout.FieldRole.LENGTH, "architecture length");
        pos += archLength;
        boundary("input channels");
        field(4, FileLayout.FieldRole.DIMENSION, "input channels");
        field(4, FileLayout.FieldRole.DIMENSION, "input size");
        flag("max pool flag");
        field(4, FileLayout.FieldRole.DIMENSION, "max pool padding");
        conv("stem");
        blockCountOffset = pos;
        int count = field(4, FileLayout.FieldRole.COUNT, "block count");
        for (int i = 0; i < count; i++) {
            int start = pos;
            boundary("block " + i);
            String at = "block " + i + " ";
            for (String g : new String[] {"type", "inChannels", "width", "outChannels", "inHeight", "inWidth",
                "stride", "convGroups", "stridePlacement"}) {
                field(4, FileLayout.FieldRole.DIMENSION, at + "geometry " + g);
            }
            for (String g : new String[] {"mode", "spatialGranularity", "spatialGroups", "channelGroups",
                "maskerKind"}) {
                field(4, FileLayout.FieldRole.COUNT, at + "gate " + g);
            }
            conv(at + "conv1");
            conv(at + "conv2");
            optConv(at + "conv3");
            optConv(at + "downsample");
            if (flag(at + "squeeze-excitation flag")) {
                conv(at + "se fc1");
                conv(at + "se fc2");
            }
            if (flag(at + "spatial masker flag")) {
                conv(at + "spatial masker");
                field(4, FileLayout.FieldRole.DIMENSION, at + "spatial mask size");
                field(4, FileLayout.FieldRole.COUNT, at + "spatial mask groups");
            }
            if (flag(at + "channel masker flag")) {
                field(4, FileLayout.FieldRole.COUNT, at + "channel masker kind");
                field(4, FileLayout.FieldRole.COUNT, at + "channel masker groups");
                conv(at + "channel masker first");
                optConv(at + "channel masker second");
            }
            field(8, FileLayout.FieldRole.COUNT, at + "masker MACs");
            field(8, FileLayout.FieldRole.COUNT, at + "SE MACs");
            field(4, FileLayout.FieldRole.COUNT, at + "stage");
            blocks.add(new int[] {start, pos});
        }
        conv("head");
        boundary("end marker");
        pos += 4;
        boundary("checksum");
        pos += 4;
        if (pos != b.length) {
            throw new IllegalStateException("the plan walk ends at " + pos + ", the file has " + b.length + " bytes");
        }
        layout.sealer(PlanLayout::seal);
    }

    /** Recomputes the trailing CRC-32 (of every byte before it). */
    static byte[] seal(byte[] bytes) {
        if (bytes.length >= 12) {
            Bytes.put(bytes, bytes.length - 4, 4, LE, Bytes.crc32(bytes, 0, bytes.length - 4));
        }
        return bytes;
    }

    private void boundary(String label) {
        layout.boundary(pos, label);
    }

    private int field(int width, FileLayout.FieldRole role, String label) {
        layout.field(pos, width, LE, role, label);
        long v = Bytes.get(b, pos, width, LE);
        pos += width;
        return (int) v;
    }

    private boolean flag(String label) {
        flags.add(new Flag(label, pos));
        return field(4, FileLayout.FieldRole.COUNT, label) == 1;
    }

    private void optConv(String label) {
        if (flag(label + " flag")) {
            conv(label);
        }
    }

    private void conv(String label) {
        int start = pos;
        boundary(label);
        int o = field(4, FileLayout.FieldRole.DIMENSION, label + " output channels");
        int i = field(4, FileLayout.FieldRole.DIMENSION, label + " input channels");
        int k = field(4, FileLayout.FieldRole.DIMENSION, label + " kernel");
        field(4, FileLayout.FieldRole.DIMENSION, label + " stride");
        field(4, FileLayout.FieldRole.DIMENSION, label + " padding");
        int g = field(4, FileLayout.FieldRole.DIMENSION, label + " groups");
        int weights = o * (i / g) * k * k;
        int weightsStart = pos;
        layout.values(pos, weights, 4, LE, label + " weight");
        pos += 4 * weights;
        int biasStart = pos;
        boundary(label + " bias");
        layout.values(pos, o, 4, LE, label + " bias");
        pos += 4 * o;
        convs.add(new Conv(label, start, weightsStart, biasStart, pos));
    }
}
