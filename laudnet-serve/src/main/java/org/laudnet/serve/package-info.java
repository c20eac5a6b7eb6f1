/**
 * The HTTP model server of {@code scripts/laudnet serve}: {@link org.laudnet.serve.LaudServer} (Javalin on Jetty)
 * over the in-process {@link org.laudnet.models.serving.LaudService}, its {@link org.laudnet.serve.ServerOptions},
 * {@link org.laudnet.serve.ModelInfo} ({@code GET /models}) and the Prometheus text of {@code GET /metrics}. A separate
 * module so that library users do not inherit the server's dependencies.
 */
package org.laudnet.serve;
