package org.laudnet.bench.fuzz;

/**
 * The outcome of one fuzz case. Immutable and thread-safe.
 *
 * @param format the format
 * @param kind the mutation kind
 * @param index the case's index within its kind
 * @param description what the mutation did
 * @param outcome how the reader handled it
 * @param detail the refusal's message, the loaded object's summary, or what failed (paths relative to the case
 *     directory)
 * @param allocatedBytes heap bytes the reader allocated on its thread, or -1 when the JVM cannot tell
 */
public record CaseResult(FuzzFormat format, MutationKind kind, int index, String description, Outcome outcome,
        String detail, long allocatedBytes) {}
