/**
 * {@code laudnet bench spark}: {@link org.laudnet.bench.spark.SparkBenchmark}, images per second of the Spark
 * transformer ({@code local[1]}, {@code local[2]}) against the in-process predictor on the same images, for a static
 * and a gated model.
 */
package org.laudnet.bench.spark;
