package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.util.ArrayWrites;
import org.laudnet.models.data.ImageFolderDataset;

/** The evaluation and parameter copy of a {@link FineTuning} run. Stateless. */
final class FineTuningEvaluation {

    private FineTuningEvaluation() {}

    /**
     * Evaluates a network in eval mode: top-1 against the labels (or the teacher's top-1), agreement with the teacher,
     * mean MACs ratio.
     */
    static FineTuningResult.Evaluation evaluate(GatedNetwork net, GatedNetwork teacher, ImageFolderDataset data,
            boolean teacherLabels, FineTuningResult.EvaluatedOn on, NDManager manager)
            throws IOException, TranslateException {
        long n = 0;
        long correct = 0;
        long agree = 0;
        double macs = 0;
        try (NDManager m = manager.newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            for (Batch batch : data.getData(m)) {
                try {
                    NDArray x = batch.getData().head();
                    NetworkResult r = net.run(ps, x, false);
                    long[] pred = r.logits().argMax(1).toLongArray();
                    long[] teach = teacher.forward(ps, new NDList(x), false).head().argMax(1).toLongArray();
                    float[] y = batch.getLabels().head().toFloatArray();
                    for (int i = 0; i < pred.length; i++) {
                        agree += pred[i] == teach[i] ? 1 : 0;
                        correct += pred[i] == (teacherLabels ? teach[i] : (long) y[i]) ? 1 : 0;
                    }
                    n += pred.length;
                    macs += pred.length * (double) r.dynamicMacs().getFloat() / net.staticMacs();
                } finally {
                    batch.close();
                }
            }
        }
        return new FineTuningResult.Evaluation(on, n, n == 0 ? Double.NaN : correct / (double) n,
                n == 0 ? Double.NaN : agree / (double) n, n == 0 ? Double.NaN : macs / n);
    }

    /**
     * Copies every parameter of a static network from the gated network with the same layout (same names: the gates
     * are the only parameters the static network lacks).
     */
    static void copyParameters(GatedNetwork from, GatedNetwork to) {
        Map<String, Parameter> source = new HashMap<>();
        for (Pair<String, Parameter> p : from.getParameters()) {
            source.put(p.getKey(), p.getValue());
        }
        for (Pair<String, Parameter> p : to.getParameters()) {
            Parameter s = source.get(p.getKey());
            NDArray target = p.getValue().getArray();
            if (s == null || !s.getArray().getShape().equals(target.getShape())) {
                throw new IllegalArgumentException("parameter " + p.getKey() + " " + target.getShape()
                        + " has no counterpart of the same shape in the gated network");
            }
            ArrayWrites.copy(s.getArray(), target);
        }
    }
}
