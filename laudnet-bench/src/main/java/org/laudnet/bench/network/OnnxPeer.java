package org.laudnet.bench.network;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The ONNX Runtime peer of {@code bench network}: one session on an exported static network (input {@code (B, 3, 224,
 * 224)} float32, a dynamic batch axis), graph optimisation level ALL, the engine's intra-op thread count. The model
 * file is only parsed by ONNX Runtime (no code in it runs in the JVM). This class is loaded only when a peer is asked
 * for, so ONNX Runtime's natives are never touched otherwise. Not thread-safe.
 */
final class OnnxPeer implements AutoCloseable {

    /** Largest model file accepted (a ResNet-101 export is about 180 MB). */
    static final long MAX_BYTES = 1L << 30;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final String input;

    private OnnxPeer(OrtEnvironment env, OrtSession session) throws OrtException {
        this.env = env;
        this.session = session;
        this.input = session.getInputNames().iterator().next();
    }

    /**
     * Opens a session.
     *
     * @param file the ONNX model
     * @param threads intra-op threads
     * @return the peer
     * @throws IllegalArgumentException if the file is missing, too large or not a model ONNX Runtime accepts
     */
    static OnnxPeer open(Path file, int threads) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new IllegalArgumentException("--peer-onnx " + file + " is " + size + " bytes, above the "
                        + MAX_BYTES + " byte limit");
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--peer-onnx " + file + " cannot be read: " + e.getMessage(), e);
        }
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            return new OnnxPeer(env, env.createSession(file.toString(), o));
        } catch (OrtException e) {
            throw new IllegalArgumentException("--peer-onnx " + file + " is not a model ONNX Runtime can run: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Runs one batch; the output is read back to the host (float[] in and out, as a Java user would).
     *
     * @param images {@code B 3 224 224} values
     * @param batch {@code B}
     */
    void run(float[] images, int batch) {
        long[] shape = {batch, 3, NetworkBenchmark.INPUT, NetworkBenchmark.INPUT};
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(images), shape);
                OrtSession.Result r = session.run(java.util.Map.of(input, t))) {
            Object v = r.get(0).getValue();
            if (!(v instanceof float[][] logits) || logits.length != batch) {
                throw new IllegalStateException("the ONNX peer must return (B, classes) float32 logits");
            }
        } catch (OrtException e) {
            throw new IllegalStateException("the ONNX peer failed: " + e.getMessage(), e);
        }
    }

    /** Closes the session. */
    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("could not close the ONNX session: " + e.getMessage(), e);
        }
    }
}
