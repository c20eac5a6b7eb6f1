package org.laudnet.models.inference;

import ai.djl.modality.Classifications;
import java.util.List;
import org.laudnet.core.exec.GateReport;

/**
 * The classes of one image with their probabilities (a DJL {@link Classifications}), and what the gates decided for
 * that image: its per-block densities, the paths the batch took and its MACs ratio ({@link #gateReport()}).
 */
public final class GatedClassifications extends Classifications {

    private static final long serialVersionUID = 1L;

    private final transient GateReport gateReport;

    /**
     * Creates the result.
     *
     * @param classNames the class names, in class order
     * @param probabilities the softmax probabilities, in class order
     * @param topK how many classes {@link #topK()} and {@link #toString()} list
     * @param gateReport the image's gate report (a batch of one)
     */
    public GatedClassifications(List<String> classNames, List<Double> probabilities, int topK,
            GateReport gateReport) {
        super(classNames, probabilities);
        setTopK(topK);
        this.gateReport = gateReport;
    }

    /** Returns the image's gate report: per-block densities, paths, and {@code F_dyn / F_static}. */
    public GateReport gateReport() {
        return gateReport;
    }

    /** Returns the image's {@code F_dyn / F_static}. */
    public double macsRatio() {
        return gateReport.macsRatio();
    }
}
