package org.laudnet.models.inference;

import org.laudnet.core.exec.GateReport;

/**
 * The raw output of a gated network for one input: its logits and what the gates decided for it.
 *
 * @param logits the class scores
 * @param gateReport the input's gate report (a batch of one)
 */
public record GatedOutput(float[] logits, GateReport gateReport) {

    /** Copies the logits. */
    public GatedOutput {
        logits = logits.clone();
    }

    /** Returns a copy of the class scores. */
    @Override
    public float[] logits() {
        return logits.clone();
    }

    /** Returns the index of the largest logit. */
    public int argMax() {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
