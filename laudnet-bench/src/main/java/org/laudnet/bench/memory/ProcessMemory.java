package org.laudnet.bench.memory;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * The memory of this process: resident set size from {@code /proc/self/status} (Linux), the JVM heap in use, the
 * direct buffers, and a trim of the C library's native heap. Stateless and thread-safe.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /**
     * Returns the resident set size of this process.
     *
     * @return {@code VmRSS}, KiB
     * @throws IOException if {@code /proc/self/status} cannot be read or has no {@code VmRSS} line (not Linux)
     */
    public static long rssKb() throws IOException {
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith("VmRSS:")) {
                String kb = line.substring("VmRSS:".length()).replace("kB", "").trim();
                try {
                    return Long.parseLong(kb);
                } catch (NumberFormatException e) {
                    throw new IOException(STATUS + " has an unreadable VmRSS line: " + line, e);
                }
            }
        }
        throw new IOException(STATUS + " has no VmRSS line: resident memory is measured on Linux only");
    }

    /**
     * Asks the C library to return the free memory of its native heap to the operating system (glibc's
     * {@code malloc_trim}, through the JVM's {@code System.trim_native_heap} diagnostic command, present from JDK
     * 17.0.9 on Linux). Live allocations are untouched: the RSS after a trim is what the process actually uses, the
     * difference is memory freed but kept by the allocator.
     *
     * @return whether the JVM ran the trim (false where the command does not exist)
     */
    public static boolean trimNativeHeap() {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            return out instanceof String text && text.contains("Trim native heap");
        } catch (JMException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Returns the memory of the JVM's direct byte buffers (DJL copies host data through them; each is freed when the
     * garbage collector finds it unreachable).
     *
     * @return bytes, 0 if the JVM does not report it
     */
    public static long directBufferBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /**
     * Returns the memory the JVM has committed for its heap: resident once touched, so the RSS grows when the
     * collector enlarges the heap (start the JVM with {@code -Xms} equal to {@code -Xmx} and
     * {@code -XX:+AlwaysPreTouch} to keep it fixed and resident from the start).
     *
     * @return bytes
     */
    public static long heapCommittedBytes() {
        return Runtime.getRuntime().totalMemory();
    }

    /**
     * Returns the JVM heap in use (total minus free; run a garbage collection first for a stable figure).
     *
     * @return bytes
     */
    public static long heapUsedBytes() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
