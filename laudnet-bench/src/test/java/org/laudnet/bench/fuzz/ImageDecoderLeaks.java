package org.laudnet.bench.fuzz;

import java.util.Set;

/**
 * The one kind of image failure the fuzz tests tolerate for now: {@code ImageInputs} does not yet wrap the JDK
 * decoders' own {@code IOException}s (an {@code IIOException} for a corrupt header or image, an {@code EOFException}
 * for a truncated BMP) in {@code ImageInputException}, so they escape it as plain {@code IOException}s. The fuzzer
 * still counts them as failures (and the command reports them); every other image failure fails the tests.
 */
final class ImageDecoderLeaks {

    private static final Set<String> DECODER_EXCEPTIONS = Set.of("javax.imageio.IIOException",
            "java.io.EOFException");

    private ImageDecoderLeaks() {}

    /** Returns whether a failure is a decoder's IOException escaping ImageInputs. */
    static boolean isDecoderLeak(CaseResult r) {
        String d = r.detail();
        return DECODER_EXCEPTIONS.stream().anyMatch(e -> d.startsWith("threw " + e + ":"))
                && d.contains("javax.imageio") && !d.contains("allocated") && !d.contains("case directory changed");
    }
}
