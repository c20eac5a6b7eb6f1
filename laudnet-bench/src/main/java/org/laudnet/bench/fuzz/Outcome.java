package org.laudnet.bench.fuzz;

/** How a reader handled one fuzz case. Immutable and thread-safe. */
public enum Outcome {
    /** The reader returned a valid object (e.g. a bit flip inside a weight's value). */
    ACCEPTED,
    /** The reader refused the input with the format's {@code LaudInputException} subclass, naming the source. */
    REFUSED,
    /**
     * Anything else: another exception or error (an {@link OutOfMemoryError} included), a timeout, an allocation far
     * beyond what the input could hold, an invalid or partially initialised object, a file written next to the input,
     * a refusal that does not name its source or uses the wrong exception type, or input that must be refused
     * accepted.
     */
    FAILURE
}
