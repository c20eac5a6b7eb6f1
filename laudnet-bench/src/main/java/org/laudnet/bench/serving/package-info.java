/**
 * The serving load test ({@code laudnet bench serve}): {@link org.laudnet.bench.serving.ServeBenchmark} starts
 * {@code laudnet serve} child processes on loopback, drives closed-loop {@code HttpClient} load at several
 * concurrencies, runs the same settings on the in-process service, a bad-input run and a long RSS run, and writes
 * {@link org.laudnet.bench.serving.ServeReport} as markdown and JSON.
 */
package org.laudnet.bench.serving;
