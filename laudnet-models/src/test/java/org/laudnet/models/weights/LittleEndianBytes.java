package org.laudnet.models.weights;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds byte arrays by hand for the file-format tests. */
final class LittleEndianBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    LittleEndianBytes bytes(int... values) {
        for (int v : values) {
            out.write(v & 0xff);
        }
        return this;
    }

    LittleEndianBytes u64(long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
        return this;
    }

    LittleEndianBytes f32(float... values) {
        for (float f : values) {
            int bits = Float.floatToRawIntBits(f);
            for (int i = 0; i < 4; i++) {
                out.write((bits >>> (8 * i)) & 0xff);
            }
        }
        return this;
    }

    LittleEndianBytes utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        return this;
    }

    byte[] toArray() {
        return out.toByteArray();
    }

    /** A safetensors file: length prefix, header text, data bytes. */
    static byte[] safetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        LittleEndianBytes b = new LittleEndianBytes().u64(h.length).utf8(header);
        b.out.write(data, 0, data.length);
        return b.toArray();
    }
}
