package org.laudnet.bench.fuzz;

/**
 * How many cases ended in each outcome. Immutable and thread-safe.
 *
 * @param accepted cases read into a valid object
 * @param refused cases refused with the format's exception
 * @param failures failed cases
 */
public record OutcomeCounts(int accepted, int refused, int failures) {

    /** An empty count. */
    public static final OutcomeCounts ZERO = new OutcomeCounts(0, 0, 0);

    /**
     * Returns the count with one more outcome.
     *
     * @param outcome the outcome
     * @return a new count
     */
    public OutcomeCounts plus(Outcome outcome) {
        return switch (outcome) {
            case ACCEPTED -> new OutcomeCounts(accepted + 1, refused, failures);
            case REFUSED -> new OutcomeCounts(accepted, refused + 1, failures);
            case FAILURE -> new OutcomeCounts(accepted, refused, failures + 1);
        };
    }

    /**
     * Returns the sum of two counts.
     *
     * @param o the other count
     * @return a new count
     */
    public OutcomeCounts plus(OutcomeCounts o) {
        return new OutcomeCounts(accepted + o.accepted, refused + o.refused, failures + o.failures);
    }

    /**
     * Returns the number of cases.
     *
     * @return accepted + refused + failures
     */
    public int total() {
        return accepted + refused + failures;
    }
}
