package org.laudnet.onednn;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;

/**
 * One created oneDNN primitive with its argument memories, for one shape: the unit of a kernels object's primitive
 * cache. The memories are created once without data; each call points them at the tensors' buffers and executes, so
 * that a call creates no primitive and no memory object.
 *
 * <p>Not thread-safe: owned by one {@link OneDnnKernels}.
 */
final class Prim implements AutoCloseable {

    final primitive prim;
    final memory.desc weightsDesc;
    private final int[] args;
    private final memory[] mems;
    private final IntMemoryMap map = new IntMemoryMap();

    /**
     * @param prim the primitive
     * @param weightsDesc the weights layout the primitive wants, or null
     * @param eng the engine
     * @param args the argument kinds ({@code DNNL_ARG_*}) in the order {@link #run} receives their buffers
     * @param descs their descriptors
     */
    Prim(primitive prim, memory.desc weightsDesc, engine eng, int[] args, memory.desc[] descs) {
        this.prim = prim;
        this.weightsDesc = weightsDesc;
        this.args = args.clone();
        this.mems = new memory[args.length];
        for (int i = 0; i < args.length; i++) {
            mems[i] = new memory(descs[i], eng, (Pointer) null);
            map.put(args[i], mems[i]);
        }
    }

    /** Creates the primitive of a descriptor. */
    static primitive create(primitive_desc pd) {
        return new primitive(pd);
    }

    /**
     * Runs the primitive on buffers, one per argument in constructor order, and waits for it.
     *
     * @param s the stream
     * @param handles the buffers
     */
    void run(stream s, Pointer... handles) {
        for (int i = 0; i < handles.length; i++) {
            mems[i].set_data_handle(handles[i]);
        }
        prim.execute(s, map);
        s._wait();
    }

    @Override
    public void close() {
        for (memory m : mems) {
            m.close();
        }
        map.close();
        prim.close();
    }
}
