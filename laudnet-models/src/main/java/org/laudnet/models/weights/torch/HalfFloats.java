package org.laudnet.models.weights.torch;

/** IEEE 754 half precision (binary16) to float conversion, exact for every value (subnormals, infinities, NaN). */
final class HalfFloats {

    private HalfFloats() {}

    /**
     * Converts a binary16 value.
     *
     * @param h the 16 bits
     * @return the float of the same value
     */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits >>> 15) << 31;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
