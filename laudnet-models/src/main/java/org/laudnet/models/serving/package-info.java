/**
 * Serving a {@link org.laudnet.models.inference.LaudModel} to concurrent callers in one JVM, without any network
 * dependency: {@link org.laudnet.models.serving.LaudService} (a bounded request queue, dynamic batching, worker threads
 * with their own executors and engine thread settings), its {@link org.laudnet.models.serving.ServiceOptions}, answers
 * ({@link org.laudnet.models.serving.ServedPrediction}, {@link org.laudnet.models.serving.ServedClass}),
 * {@link org.laudnet.models.serving.ServiceMetrics} with a {@link org.laudnet.models.serving.LatencyHistogram}, and the
 * named refusals {@link org.laudnet.models.serving.QueueFullException},
 * {@link org.laudnet.models.serving.RequestTimeoutException} and
 * {@link org.laudnet.models.serving.ServiceClosedException} (all {@link org.laudnet.models.serving.ServiceException},
 * counted by {@link org.laudnet.models.serving.ErrorKind}). The HTTP server over it is the separate
 * {@code laudnet-serve} module.
 */
package org.laudnet.models.serving;
