package org.laudnet.onednn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.plan.FoldedConv;

/**
 * The oneDNN backend's form of a folded convolution: its bias copied once into native memory, and its weights
 * reordered into each layout a primitive asks for ({@code memory::format_tag::any}: blocked layouts such as
 * {@code OIhw16i16o}, the packed matmul layout of a 1x1 convolution on gathered rows, the blocked layout of a 1x1
 * convolution over a column of rows). Each layout is reordered once and shared by every executor of the model: one copy
 * per layout per model, whatever the number of workers. The plain weights stay in the {@link FoldedConv} (Java heap);
 * they are copied into native memory only for the duration of a reorder, or kept there as a layout when a primitive
 * reads them as they are.
 *
 * <p>When: {@link OneDnnBackend#prepare} (called when the plan is loaded, and for each batch size a runtime
 * calibrates) reorders the weights ({@link #prepare}) into the layouts of the dense primitives ({@link PlanLayouts})
 * and of the sparse paths the plan's blocks may take ({@link SparseLayouts}: every patch and row bucket of the HALO,
 * WINDOWS and ROWS schedules, the LAYER and channel paths' sub-batches), so that the first inference, dense or sparse,
 * reorders nothing. Any other layout (a channel pattern's slices, which are weights of their own, or a batch size
 * nobody prepared) is reordered the first time a primitive of that layout runs ({@link #in}). Layouts prepared for an
 * earlier thread count that no primitive ever used are freed when the backend prepares for a new one
 * ({@link #dropUnused}); all are freed when the backend closes.
 *
 * <p>Thread-safe: the reordered copies are created under the weights' lock and read concurrently afterwards; a copy
 * that {@link #in} has handed out is never freed before {@link #close()}.
 */
public final class OneDnnWeights implements ConvWeights, AutoCloseable {

    private final FoldedConv spec;
    private final engine eng;
    private final AtomicLong reorders;
    private final FloatPointer biasValues;
    private final List<Layout> layouts = new ArrayList<>();
    private boolean closed;

    /** One layout of the weights: its storage, whether a primitive used it, the preparation that last wanted it. */
    private static final class Layout {
        final memory.desc desc;
        final FloatPointer storage;
        boolean used;
        int generation = -1;

        Layout(memory.desc desc, FloatPointer storage) {
            this.desc = desc;
            this.storage = storage;
        }
    }

    /**
     * Copies a convolution's bias into native memory (its weights are copied into each layout a primitive asks for).
     *
     * @param spec the convolution
     * @param eng the engine
     * @param reorders the counter of reorders of the owning backend
     */
    OneDnnWeights(FoldedConv spec, engine eng, AtomicLong reorders) {
        if (spec == null) {
            throw new IllegalArgumentException("conv must not be null");
        }
        this.spec = spec;
        this.eng = eng;
        this.reorders = reorders;
        float[] b = spec.bias();
        this.biasValues = new FloatPointer(b.length);
        biasValues.put(b, 0, b.length);
    }
    /** Returns the convolution these weights hold. */
    @Override
    public FoldedConv spec() {
        return spec;
    }

    /** Returns the bias values ({@code O} floats). */
    FloatPointer bias() {
        return biasValues;
    }

    /** Returns the descriptor of the plain convolution weights: {@code oihw}, or {@code goihw} when grouped. */
    memory.desc plainConvDesc() {
        int k = spec.kernel();
        int g = spec.groups();
        if (g == 1) {
            return new memory.desc(new long[] {spec.outChannels(), spec.inChannels(), k, k}, memory.data_type.f32,
                    memory.format_tag.oihw);
        }
        return new memory.desc(new long[] {g, spec.outChannels() / g, spec.inChannels() / g, k, k},
                memory.data_type.f32, memory.format_tag.goihw);
    }

    /** Returns the descriptor of the weights as a matmul {@code B} operand {@code (I, O)} (an ungrouped 1x1 conv). */
    memory.desc plainMatmulDesc() {
        return new memory.desc(new long[] {spec.inChannels(), spec.outChannels()}, memory.data_type.f32,
                memory.format_tag.ba);
    }

    /**
     * Returns the weights in the layout {@code want}, reordering them from {@code plain} the first time; the layout is
     * then kept until the weights are closed.
     *
     * @param plain the descriptor of the plain weights ({@link #plainConvDesc()} or {@link #plainMatmulDesc()})
     * @param want the layout a primitive asks for
     * @param s the caller's stream (a reorder runs and completes on it)
     * @return the weights' storage in that layout
     */
    synchronized FloatPointer in(memory.desc plain, memory.desc want, stream s) {
        Layout l = layout(plain, want, s);
        l.used = true;
        return l.storage;
    }

    /**
     * Creates the layout {@code want} ahead of use (a reorder unless it exists), marking it wanted by preparation
     * {@code generation}.
     *
     * @param plain the descriptor of the plain weights
     * @param want the layout a primitive will ask for
     * @param s a stream (the reorder runs and completes on it)
     * @param generation the backend's preparation round
     */
    synchronized void prepare(memory.desc plain, memory.desc want, stream s, int generation) {
        layout(plain, want, s).generation = generation;
    }

    /**
     * Frees the layouts that no primitive has used and that preparation {@code generation} did not ask for (those
     * prepared for an earlier thread count).
     *
     * @param generation the latest preparation round
     * @return how many layouts were freed
     */
    synchronized int dropUnused(int generation) {
        int dropped = 0;
        for (Iterator<Layout> it = layouts.iterator(); it.hasNext();) {
            Layout l = it.next();
            if (!l.used && l.generation != generation) {
                l.storage.close();
                it.remove();
                dropped++;
            }
        }
        return dropped;
    }

    private Layout layout(memory.desc plain, memory.desc want, stream s) {
        if (closed) {
            throw new IllegalStateException("the oneDNN weights of " + spec + " are closed");
        }
        for (Layout l : layouts) {
            if (l.desc.equals(want)) {
                return l;
            }
        }
        float[] w = spec.weight();
        FloatPointer storage;
        if (want.equals(plain)) {
            storage = new FloatPointer(w.length);
            storage.put(w, 0, w.length);
        } else {
            // the plain weights in native memory only for the reorder: the folded convolution keeps them
            storage = new FloatPointer((want.get_size() + 3) / 4);
            try (FloatPointer values = new FloatPointer(w.length)) {
                values.put(w, 0, w.length);
                try (memory src = new memory(plain, eng, values); memory dst = new memory(want, eng, storage);
                        reorder r = new reorder(src, dst)) {
                    r.execute(s, src, dst);
                    s._wait();
                }
            }
            reorders.incrementAndGet();
        }
        Layout l = new Layout(want, storage);
        layouts.add(l);
        return l;
    }

    /** Returns how many layouts the weights are held in (the plain one counted when a primitive reads it as is). */
    synchronized int layoutCount() {
        return layouts.size();
    }

    /** Frees the native copies. Idempotent; the weights must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Layout l : layouts) {
            l.storage.close();
        }
        layouts.clear();
        biasValues.close();
    }

    @Override
    public String toString() {
        return "OneDnnWeights[" + spec + "]";
    }
}
