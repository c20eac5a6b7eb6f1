/**
 * Fuzzing of every file format the library reads ({@code laudnet fuzz}): {@code .laud} model files, inference plans,
 * safetensors (imported into a network), TF.js layers models, training checkpoints, IDX data files, images and CPU
 * latency profiles.
 *
 * <p>A {@link org.laudnet.bench.fuzz.FuzzTarget} per format generates valid seeds programmatically (from small
 * networks and tensors, never from stored binaries), describes their structure in a
 * {@link org.laudnet.bench.fuzz.FileLayout} (boundaries, length and count fields, magic bytes, weight values, how to
 * recompute checksums) and calls the library's reader. {@link org.laudnet.bench.fuzz.AbstractFuzzTarget} implements
 * the mutations all formats share (truncation at boundaries and at random, bit flips, extreme length fields, wrong
 * magic and versions, NaN weights, empty files, directories); the targets add header edits
 * ({@link org.laudnet.bench.fuzz.JsonMutator}), tensor edits ({@link org.laudnet.bench.fuzz.DjlStreamEdits}, plan and
 * manifest edits), shard paths that escape the model directory and image dimension bombs
 * ({@link org.laudnet.bench.fuzz.ImageLayouts}).
 *
 * <p>{@link org.laudnet.bench.fuzz.FuzzEngine} runs each case in a fresh directory on a worker thread with a timeout,
 * measures what the reader allocates, lists the directory before and after, and classifies the case as
 * {@link org.laudnet.bench.fuzz.Outcome#ACCEPTED}, {@link org.laudnet.bench.fuzz.Outcome#REFUSED} or
 * {@link org.laudnet.bench.fuzz.Outcome#FAILURE}; {@link org.laudnet.bench.fuzz.Fuzzer} runs a list of formats and
 * {@link org.laudnet.bench.fuzz.FuzzReport} renders the console table and the markdown report.
 */
package org.laudnet.bench.fuzz;
