/**
 * Pictures of results: {@link AccuracyLatencyPlot} (top-1 against latency relative to the static network, a
 * JFreeChart PNG) and {@link MaskGrid} (per image and stage, which mask cells the stage's blocks computed).
 */
package org.laudnet.bench.viz;
