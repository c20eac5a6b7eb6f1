package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The size classes of the device buffer pool (host arithmetic only; no GPU needed). */
class BufferPoolTest {

    @Test
    void smallRequestsShareTheSmallestClass() {
        assertEquals(BufferPool.MIN_ELEMENTS, BufferPool.sizeClass(0));
        assertEquals(BufferPool.MIN_ELEMENTS, BufferPool.sizeClass(1));
        assertEquals(BufferPool.MIN_ELEMENTS, BufferPool.sizeClass(64));
    }

    @Test
    void classesAreEightPerOctaveAndAtMostAnEighthLarger() {
        assertEquals(72, BufferPool.sizeClass(65));
        assertEquals(128, BufferPool.sizeClass(128));
        assertEquals(144, BufferPool.sizeClass(129));
        assertEquals(1024, BufferPool.sizeClass(1000));
        assertEquals(1152, BufferPool.sizeClass(1025));
        for (long n = 1; n < 200_000; n += 37) {
            long c = BufferPool.sizeClass(n);
            assertTrue(c >= n, "class of " + n + " is " + c);
            assertTrue(c <= Math.max(BufferPool.MIN_ELEMENTS, n + n / 8), "class of " + n + " is " + c);
            assertEquals(c, BufferPool.sizeClass(c), "a class is its own class: " + c);
        }
    }

    @Test
    void largestRequestsStayWithinIntRange() {
        assertEquals(Integer.MAX_VALUE, BufferPool.sizeClass(Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, BufferPool.sizeClass((1L << 30) + 1 + (7L << 27)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BufferPool.sizeClass(1L << 31));
        assertTrue(e.getMessage().contains("n must be in [0, 2^31)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BufferPool.sizeClass(-1));
    }
}
