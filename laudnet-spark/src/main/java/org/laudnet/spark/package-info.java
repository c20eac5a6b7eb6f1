/**
 * Batch inference with LAUD models on Apache Spark: {@link org.laudnet.spark.LaudImageClassifier} (a Spark ML
 * transformer over encoded image bytes or Spark's image struct, appending top-k classes, MACs ratio, per-stage
 * densities and an error column: {@link org.laudnet.spark.ClassifierColumns}), {@link org.laudnet.spark.ModelSource}
 * (a pretrained name, a local or Hadoop path, and a device), {@link org.laudnet.spark.LaudModelCache} (one model per
 * executor JVM, shared by its tasks, closed at exit) and {@link org.laudnet.spark.DirectoryClassification} (classify
 * every image under a directory and write Parquet or JSON, behind {@code laudnet spark-classify}).
 */
package org.laudnet.spark;
