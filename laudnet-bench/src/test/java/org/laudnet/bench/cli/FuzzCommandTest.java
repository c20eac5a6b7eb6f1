package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class FuzzCommandTest {

    @TempDir
    Path dir;

    /** Exit code, standard output and standard error of one run. */
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            code = LaudnetCli.commandLine().execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void pthCheckpointsAreFuzzedLikeTheOtherFormats() {
        Run r = run("fuzz", "--format", "pth", "--cases", "3", "--kinds", "header-edit,bad-magic");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("fuzzing [pth]") && r.out().contains("header-edit"), r.out());
    }

    @Test
    void unknownFormatsAndKindsAreUsageErrors() {
        Run format = run("fuzz", "--format", "onnx");
        assertEquals(2, format.code());
        assertTrue(format.err().contains("format must be one of [laud, plan, safetensors, tfjs, checkpoint, idx, "
                + "image, profile, pth], got 'onnx'"), format.err());
        Run kind = run("fuzz", "--format", "idx", "--kinds", "bit-flip,zap");
        assertEquals(2, kind.code());
        assertTrue(kind.err().contains("got 'zap'"), kind.err());
    }

    @Test
    void aRunPrintsProgressATableAndExamplesAndWritesTheReport() throws IOException {
        Path report = dir.resolve("fuzz.md");
        Run r = run("fuzz", "--format", "idx", "--cases", "3", "--seed", "4", "--kinds",
                "empty-file,length-field,bad-magic", "--out", report.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("fuzzing [idx]: 3 cases per mutation kind, seed 4"), r.out());
        assertTrue(r.out().matches("(?s).*idx +empty-file +3 cases: +0 accepted +3 refused +0 failures.*"), r.out());
        assertTrue(r.out().matches("(?s).*format +mutation +cases +accepted +refused +failure\n.*"
                + "idx +bad-magic +3 +0 +3 +0\n.*idx +\\(all\\) +9 .*"), r.out());
        assertTrue(r.out().contains("  empty-file: IDX file images-idx3-ubyte") || r.out().contains(
                "  empty-file: IDX file labels-idx1-ubyte"), r.out());
        assertTrue(r.out().contains("9 cases: "), r.out());
        String md = Files.readString(report);
        assertTrue(md.startsWith("# Fuzzing the file readers"), md);
        assertTrue(md.contains("`scripts/laudnet fuzz --format idx --cases 3 --seed 4 --kinds "
                + "empty-file,length-field,bad-magic --out " + report + "`"), md);
        assertTrue(md.contains("| idx | bad-magic | 3 | 0 | 3 | 0 |"), md);
        assertTrue(md.contains("## Failures\n\nNone."), md);
    }
}
