package org.laudnet.models.weights.torch;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Materialises the view {@code (storage, offset, size, stride)} that {@code torch._utils._rebuild_tensor_v2} describes
 * as a dense row-major {@link TorchTensor}: element {@code (i0, ..., i(r-1))} is storage element
 * {@code offset + sum_k i_k * stride_k}. Checks, before allocating: {@code offset >= 0}, {@code stride_k >= 0},
 * {@code size_k >= 0}, the largest index {@code offset + sum_k (size_k - 1) * stride_k} inside the storage (for a
 * non-empty view), and the element count against the remaining budget of the whole file (so that views cannot expand a
 * small storage into an allocation the file does not justify). Not thread-safe.
 */
final class TensorViews {

    private final Path file;
    private long budget;

    TensorViews(Path file, long elementBudget) {
        this.file = file;
        this.budget = elementBudget;
    }

    /**
     * Checks a view against its storage's element count and charges its elements to the budget, without reading.
     *
     * @return the number of elements
     */
    long check(TorchStorage s, long offset, long[] size, long[] stride) throws TorchCheckpointException {
        String what = "view of storage " + s.key() + " (" + s.dtype() + " x " + s.numel() + ") with offset " + offset
                + ", size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride);
        if (size.length != stride.length) {
            throw error(what + ": size and stride have different ranks");
        }
        if (offset < 0) {
            throw error(what + ": negative storage offset");
        }
        long n = 1;
        long last = offset;
        for (int k = 0; k < size.length; k++) {
            if (size[k] < 0 || stride[k] < 0) {
                throw error(what + ": negative size or stride in dimension " + k);
            }
            n = size[k] == 0 ? 0 : n == 0 ? 0 : multiply(n, size[k], what);
        }
        if (n > 0) {
            for (int k = 0; k < size.length; k++) {
                last = add(last, multiply(size[k] - 1, stride[k], what), what);
            }
            if (last >= s.numel()) {
                throw error(what + ": element " + last + " lies outside the storage");
            }
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw error(what + ": more elements than a Java array holds");
        }
        if (n > budget) {
            throw error(what + ": " + n + " elements exceed what the file's storages justify (" + budget
                    + " left); re-save the tensors with .contiguous()");
        }
        budget -= n;
        return n;
    }

    TorchTensor materialize(TorchStorage s, long offset, long[] size, long[] stride) throws TorchCheckpointException {
        int count = (int) check(s, offset, size, stride);
        int rank = size.length;
        long[] index = new long[rank];
        float[] floats = s.dtype().isFloatingPoint() ? new float[count] : null;
        long[] longs = floats == null ? new long[count] : null;
        long p = offset;
        for (int i = 0; i < count; i++) {
            if (floats != null) {
                floats[i] = s.floatAt(p);
            } else {
                longs[i] = s.longAt(p);
            }
            for (int k = rank - 1; k >= 0; k--) {
                index[k]++;
                p += stride[k];
                if (index[k] < size[k]) {
                    break;
                }
                p -= stride[k] * size[k];
                index[k] = 0;
            }
        }
        return new TorchTensor(s.dtype(), size, floats, longs);
    }

    private long multiply(long a, long b, String what) throws TorchCheckpointException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw error(what + ": sizes overflow 64 bits");
        }
    }

    private long add(long a, long b, String what) throws TorchCheckpointException {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw error(what + ": offsets overflow 64 bits");
        }
    }

    private TorchCheckpointException error(String detail) {
        return new TorchCheckpointException(file, "data.pkl", detail, null);
    }
}
