package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;
import org.laudnet.cuda.CudaDriverException;
import org.laudnet.models.inference.ImageInputException;
import org.laudnet.models.train.EpochStatsListener;
import org.laudnet.models.train.LaudTrainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Exit codes and one-line messages of failures, and the command line's logging configuration. */
class ErrorReporterTest {

    @Test
    void refusedInputInsideAWrapperIsBadInputWithItsOwnMessage() {
        Exception e = new TranslateException(new ImageInputException("cat.jpg", "not a decodable image"));
        assertEquals(ExitCode.INPUT, ExitCode.of(e));
        assertEquals("cat.jpg: not a decodable image", ErrorReporter.message(e, ExitCode.INPUT));
    }

    @Test
    void fileSystemErrorsNameTheFile() {
        Exception missing = new UncheckedIOException(new NoSuchFileException("/data/x.idx"));
        assertEquals(ExitCode.INPUT, ExitCode.of(missing));
        assertEquals("/data/x.idx: no such file", ErrorReporter.message(missing, ExitCode.INPUT));
        Exception denied = new AccessDeniedException("/data/y.idx");
        assertEquals(ExitCode.INPUT, ExitCode.of(denied));
        assertEquals("/data/y.idx: permission denied", ErrorReporter.message(denied, ExitCode.INPUT));
    }

    @Test
    void missingPrerequisitesAreEnvironmentErrors() {
        assertEquals(ExitCode.ENVIRONMENT, ExitCode.of(new EnvironmentException("no profile")));
        Exception cuda = new IllegalStateException("no GPU backend", new CudaDriverException("cuInit", 100,
                "CUDA_ERROR_NO_DEVICE", null));
        assertEquals(ExitCode.ENVIRONMENT, ExitCode.of(cuda));
        assertEquals("no GPU backend", ErrorReporter.message(cuda, ExitCode.ENVIRONMENT));
    }

    @Test
    void otherFailuresAreOneLineAndNameUnexpectedTypes() {
        IOException write = new IOException("cannot write out.md:\n  disk full");
        assertEquals(ExitCode.FAILURE, ExitCode.of(write));
        assertEquals("cannot write out.md: disk full", ErrorReporter.message(write, ExitCode.FAILURE));
        assertEquals("NullPointerException", ErrorReporter.message(new NullPointerException(), ExitCode.FAILURE));
        assertEquals("ArithmeticException: / by zero", ErrorReporter.message(new ArithmeticException("/ by zero"),
                ExitCode.FAILURE));
    }

    @Test
    void theCommandLineLogsNeitherTheCudaProbeNorRepeatedEpochLines() {
        Logger cuda = LoggerFactory.getLogger("ai.djl.util.cuda.CudaUtils");
        assertFalse(cuda.isWarnEnabled(), "DJL's GPU probe warns on every start of a CPU-only machine");
        assertTrue(cuda.isErrorEnabled());
        for (Class<?> printedByTheCli : new Class<?>[] {EpochStatsListener.class, LaudTrainer.class}) {
            Logger l = LoggerFactory.getLogger(printedByTheCli);
            assertFalse(l.isInfoEnabled(), printedByTheCli.getName());
            assertTrue(l.isWarnEnabled(), printedByTheCli.getName());
        }
        assertTrue(LoggerFactory.getLogger("org.laudnet.core.exec.Backends").isInfoEnabled());
    }
}
