package org.laudnet.onednn;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.SqueezeExcitationPlan;

/**
 * The dense convolution primitives an inference of a plan creates at one batch size, as the engine calls
 * {@code Kernels.conv}: the stem (ReLU); per block the maskers' convolutions (the spatial masker's logits, the channel
 * masker's hidden layer with ReLU), the projection of the identity, conv1 and conv2 with ReLU, conv3 (conv2 in a basic
 * block) with the residual sum and ReLU (both as a binary add of the identity and as a sum into the identity in place,
 * {@link ConvShape#accumulating}), the squeeze-excitation's two layers; the classifier. {@link OneDnnBackend}
 * reorders the weights into the layouts these primitives ask for when the plan is loaded.
 *
 * <p>The sparse paths' primitives (matmuls on gathered rows, convolutions over gathered windows or over a column of
 * rows, the dense branch on sub-batches) are listed by {@link SparseLayouts}; a channel pattern's slices are weights
 * of their own, reordered on first use. Stateless and thread-safe.
 */
final class PlanLayouts {

    /** A convolution of the plan and the primitive shape it runs with. */
    record Use(FoldedConv conv, ConvShape shape) {}

    private PlanLayouts() {}

    /**
     * Lists the dense convolution primitives of a plan at a batch size.
     *
     * @param plan the plan
     * @param batch the batch size, at least 1
     * @return each convolution with its primitive shape, in execution order
     */
    static List<Use> of(InferencePlan plan, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        List<Use> uses = new ArrayList<>();
        FoldedConv stem = plan.stem();
        add(uses, stem, batch, plan.inputSize(), plan.inputSize(), false, true);
        for (BlockPlan b : plan.blocks()) {
            BlockGeometry g = b.geometry();
            int h = g.inHeight();
            int w = g.inWidth();
            if (b.spatialMasker() != null && b.spatialMasker().maskSize() > 1) {
                add(uses, b.spatialMasker().conv(), batch, h, w, false, false);
            }
            if (b.channelMasker() != null && b.channelMasker().engineConv() != null) {
                add(uses, b.channelMasker().engineConv(), batch, h, w, false, true);
            }
            if (b.downsample() != null) {
                add(uses, b.downsample(), batch, h, w, false, false);
            }
            FoldedConv c1 = b.conv1();
            add(uses, c1, batch, h, w, false, true);
            int h1 = c1.outSize(h);
            int w1 = c1.outSize(w);
            FoldedConv c2 = b.conv2();
            if (b.conv3() == null) {
                add(uses, c2, batch, h1, w1, true, true);
                uses.add(new Use(c2, ConvShape.accumulating(c2, batch, h1, w1, true)));
                continue;
            }
            add(uses, c2, batch, h1, w1, false, true);
            SqueezeExcitationPlan se = b.squeezeExcitation();
            if (se != null) {
                add(uses, se.fc1(), batch, 1, 1, false, true);
                add(uses, se.fc2(), batch, 1, 1, false, false);
            }
            add(uses, b.conv3(), batch, c2.outSize(h1), c2.outSize(w1), true, true);
            uses.add(new Use(b.conv3(), ConvShape.accumulating(b.conv3(), batch, c2.outSize(h1), c2.outSize(w1), true)));
        }
        add(uses, plan.head(), batch, 1, 1, false, false);
        return uses;
    }

    private static void add(List<Use> uses, FoldedConv c, int batch, int h, int w, boolean residual, boolean relu) {
        uses.add(new Use(c, ConvShape.of(c, c.padding(), batch, h, w, residual, relu)));
    }
}
