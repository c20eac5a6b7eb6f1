package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one-line description of an epoch that {@link EpochStatsListener} logs. */
class EpochStatsListenerTest {

    private static EpochStats stats(double temperature, double valAccuracy, double valMacsRatio) {
        return new EpochStats(2, 300, 1000, 0.5794, 0.5, 0.05, 0.0294, 0.7886, 0.45, 0.6125, temperature, 873.62,
                valAccuracy, valMacsRatio, List.of(new StageStats(0, 0.25, 0.5), new StageStats(1, 1, 1)));
    }

    @Test
    void valuesAnEpochDidNotHaveAreLeftOut() {
        assertEquals("epoch 2: loss 0.5794 (ce 0.5000, kd 0.0500, cost 0.0294), train acc 0.7886, density 0.450,"
                + " MACs ratio 0.613, 873.6 img/s; per stage (density/MACs ratio) s1 0.25/0.50, s2 1.00/1.00",
                EpochStatsListener.describe(stats(Double.NaN, Double.NaN, Double.NaN)));
    }

    @Test
    void temperatureAndValidationAppearWhenPresent() {
        assertEquals("epoch 2: loss 0.5794 (ce 0.5000, kd 0.0500, cost 0.0294), train acc 0.7886, density 0.450,"
                + " MACs ratio 0.613, tau 1.581, 873.6 img/s, val acc 0.9012, val MACs ratio 0.547; per stage"
                + " (density/MACs ratio) s1 0.25/0.50, s2 1.00/1.00",
                EpochStatsListener.describe(stats(1.5811, 0.9012, 0.5468)));
    }
}
