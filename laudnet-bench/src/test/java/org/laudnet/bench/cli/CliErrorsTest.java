package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine;

/**
 * The command line's failures, run in-process through {@link LaudnetCli#commandLine()}: every subcommand given each
 * kind of bad input prints exactly one line on standard error, naming the command and the value at fault, nothing on
 * standard output, and exits with the {@link ExitCode} of the kind; {@code --verbose} adds the stack trace. Every error
 * is caught before any model, data set or engine is loaded.
 */
class CliErrorsTest {

    /** The kinds of bad input every subcommand is given. */
    enum Kind {
        /** An option the command does not have. */
        UNKNOWN_OPTION,
        /** An input file or directory that does not exist. */
        MISSING_FILE,
        /** A directory where a file is expected, or a file where a directory is expected. */
        WRONG_TYPE,
        /** An input that cannot be read (or an output that cannot be written), mode 000. */
        UNREADABLE,
        /** A number outside the option's range. */
        BAD_VALUE,
        /** Text where a number is expected. */
        NOT_A_NUMBER,
        /** An architecture or model name the command does not know. */
        UNKNOWN_ARCH,
        /** A file of the right kind whose content the library refuses (not required of every command). */
        BAD_DATA
    }

    /**
     * One failing invocation.
     *
     * @param command the subcommand's path, e.g. {@code "bench blocks"}
     * @param kind the kind of bad input
     * @param args the arguments after the subcommand; {@code $MISSING}, {@code $DIR}, {@code $FILE},
     *     {@code $UNREADABLE}, {@code $UNREADABLE_DIR}, {@code $IMAGE}, {@code $DATA}, {@code $OUT},
     *     {@code $GARBAGE}, {@code $HOSTILE} are replaced by fixture paths
     * @param code the expected exit code
     * @param names what the line must contain (the value at fault)
     */
    record Case(String command, Kind kind, List<String> args, ExitCode code, String names) {
        @Override
        public String toString() {
            return command + " " + kind + " " + String.join(" ", args);
        }
    }

    private static Case c(String command, Kind kind, ExitCode code, String names, String... args) {
        return new Case(command, kind, List.of(args), code, names);
    }

    private static String[] with(String[] args, String... more) {
        return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
    }

    /** Kinds that do not apply to a command, with the reason in a comment. */
    private static final Map<String, Set<Kind>> NOT_APPLICABLE = Map.of(
            // demo reads Fashion-MNIST from the asset cache: no input file option; its network is fixed
            "demo", EnumSet.of(Kind.MISSING_FILE, Kind.UNKNOWN_ARCH),
            // the experiment's network is fixed (unknown gate modes are bad values)
            "experiment fashion-mnist", EnumSet.of(Kind.UNKNOWN_ARCH),
            // bench blocks writes only; it times ResNet-50 stages (an unknown stage is a bad value)
            "bench blocks", EnumSet.of(Kind.MISSING_FILE, Kind.UNKNOWN_ARCH),
            // model-memory runs a model file or the pretrained ResNet-50
            "bench model-memory", EnumSet.of(Kind.UNKNOWN_ARCH),
            // bench backends writes only (its networks are generated from a seed)
            "bench backends", EnumSet.of(Kind.MISSING_FILE),
            // calibrate writes only and has no numeric option
            "calibrate", EnumSet.of(Kind.MISSING_FILE, Kind.NOT_A_NUMBER, Kind.UNKNOWN_ARCH),
            // latency validate times a fixed set of blocks
            "latency validate", EnumSet.of(Kind.UNKNOWN_ARCH),
            // fuzz generates its own inputs and writes only its report
            "fuzz", EnumSet.of(Kind.MISSING_FILE, Kind.UNKNOWN_ARCH),
            // bench gated-model takes the pretrained ResNet-50 only (unknown gate specs are bad values)
            "bench gated-model", EnumSet.of(Kind.UNKNOWN_ARCH));

    static Stream<Case> cases() {
        List<Case> l = new ArrayList<>();
        ExitCode usage = ExitCode.USAGE;
        ExitCode input = ExitCode.INPUT;
        for (String cmd : List.of("demo", "experiment fashion-mnist", "classify", "search", "bench blocks",
                "bench network", "bench model-memory", "bench native-memory", "bench spark", "bench backends",
                "calibrate", "latency validate", "serve", "bench serve")) {
            l.add(c(cmd, Kind.UNKNOWN_OPTION, usage, "unknown option '--frobnicate'", "--frobnicate"));
        }
        // (without its required --data, finetune names that first)
        l.add(c("finetune", Kind.UNKNOWN_OPTION, usage, "unknown option '--frobnicate'", "--data", "$DATA",
                "--frobnicate"));
        l.add(c("demo", Kind.WRONG_TYPE, usage, "--out $FILE: is a file, not a directory", "--out", "$FILE"));
        l.add(c("demo", Kind.UNREADABLE, usage, "--out $UNREADABLE_DIR/demo", "--out", "$UNREADABLE_DIR/demo"));
        l.add(c("demo", Kind.BAD_VALUE, usage, "--batch must be positive, got -1", "--gates", "--batch", "-1"));
        l.add(c("demo", Kind.NOT_A_NUMBER, usage, "'x'", "--tau", "x"));

        String fm = "experiment fashion-mnist";
        l.add(c(fm, Kind.MISSING_FILE, input, "--data $MISSING: no such directory", "--data", "$MISSING"));
        l.add(c(fm, Kind.WRONG_TYPE, input, "--data $FILE: is a file, not a directory", "--data", "$FILE"));
        l.add(c(fm, Kind.UNREADABLE, input, "--data $UNREADABLE_DIR: is not readable", "--data", "$UNREADABLE_DIR"));
        l.add(c(fm, Kind.BAD_VALUE, usage, "--targets must be in (0, 1], got 2.0", "--targets", "2"));
        l.add(c(fm, Kind.BAD_VALUE, usage, "--epochs must be positive, got -1", "--epochs", "-1"));
        l.add(c(fm, Kind.BAD_VALUE, usage, "unknown gate mode 'sideways'", "--modes", "sideways"));
        l.add(c(fm, Kind.NOT_A_NUMBER, usage, "'x'", "--epochs", "x"));
        l.add(c(fm, Kind.BAD_DATA, input, "$DATA/train-images-idx3-ubyte.gz: no such file", "--data", "$DATA"));

        l.add(c("finetune", Kind.MISSING_FILE, input, "--data $MISSING: no such directory", "--data", "$MISSING"));
        l.add(c("finetune", Kind.MISSING_FILE, input, "--weights $MISSING.pth: no such file", "--data", "$DATA",
                "--weights", "$MISSING.pth"));
        l.add(c("finetune", Kind.MISSING_FILE, input, "--weights $MISSING.safetensors: no such file", "--data",
                "$DATA", "--arch", "resnet18", "--weights", "$MISSING.safetensors"));
        l.add(c("finetune", Kind.WRONG_TYPE, input, "--data $FILE: is a file, not a directory", "--data", "$FILE"));
        l.add(c("finetune", Kind.UNREADABLE, input, "--weights $UNREADABLE.safetensors: is not readable", "--data",
                "$DATA", "--arch", "resnet18", "--weights", "$UNREADABLE.safetensors"));
        l.add(c("finetune", Kind.BAD_VALUE, usage, "--batch must be positive, got -1", "--data", "$DATA", "--batch",
                "-1"));
        l.add(c("finetune", Kind.BAD_VALUE, usage, "--target must be in (0, 1], got 2.0", "--data", "$DATA",
                "--target", "2"));
        l.add(c("finetune", Kind.NOT_A_NUMBER, usage, "'x'", "--data", "$DATA", "--lr", "x"));
        l.add(c("finetune", Kind.UNKNOWN_ARCH, usage, "got 'resnet19'", "--data", "$DATA", "--arch", "resnet19"));
        l.add(c("finetune", Kind.BAD_VALUE, usage, "--kd-weighting must be ce-plus-kd or convex, got 'half'",
                "--data", "$DATA", "--kd-weighting", "half"));
        l.add(c("finetune", Kind.BAD_VALUE, usage,
                "--channel-mask-placement must be after-activation or before-norm, got 'inside'", "--data", "$DATA",
                "--channel-mask-placement", "inside"));
        l.add(c("finetune", Kind.BAD_VALUE, usage, "--loss-form must be reference or project-original, got 'x'",
                "--data", "$DATA", "--loss-form", "x"));
        l.add(c(fm, Kind.BAD_VALUE, usage,
                "--channel-mask-placement must be after-activation or before-norm, got 'z'",
                "--channel-mask-placement", "z"));
        l.add(c(fm, Kind.BAD_VALUE, usage, "--block-ratio must be maskers-in-both or dense-denominator, got 'y'",
                "--block-ratio", "y"));

        l.add(c("classify", Kind.MISSING_FILE, input, "$MISSING: no such file", "$MISSING"));
        l.add(c("classify", Kind.MISSING_FILE, input, "--model $MISSING: no such file", "--model", "$MISSING",
                "$IMAGE"));
        l.add(c("classify", Kind.WRONG_TYPE, input, "$DIR: is a directory, not a file", "$IMAGE", "$DIR"));
        l.add(c("classify", Kind.UNREADABLE, input, "$UNREADABLE: is not readable", "$UNREADABLE"));
        l.add(c("classify", Kind.BAD_VALUE, usage, "--top must be positive, got 0", "--top", "0", "$IMAGE"));
        l.add(c("classify", Kind.BAD_VALUE, usage, "gate spec 'diagonal'", "--gates", "diagonal,none,none,none",
                "$IMAGE"));
        l.add(c("classify", Kind.NOT_A_NUMBER, usage, "'x'", "--top", "x", "$IMAGE"));
        l.add(c("classify", Kind.BAD_VALUE, usage, "--channel-mask-placement must be after-activation or"
                + " before-norm, got 'inside'", "--channel-mask-placement", "inside", "$IMAGE"));
        l.add(c("classify", Kind.UNKNOWN_ARCH, usage, "got 'resnet51'", "--weights", "resnet51", "$IMAGE"));
        l.add(c("classify", Kind.UNKNOWN_ARCH, usage, "--arch must be one of resnet18", "--weights",
                "$GARBAGE.pth", "--arch", "resnet19", "$IMAGE"));
        l.add(c("classify", Kind.BAD_VALUE, usage, "--arch is required with a PyTorch checkpoint", "--weights",
                "$GARBAGE.pth", "$IMAGE"));
        l.add(c("classify", Kind.BAD_VALUE, usage, "--arch applies to PyTorch checkpoints only", "--arch",
                "resnet50", "$IMAGE"));
        l.add(c("classify", Kind.MISSING_FILE, input, "--weights $MISSING.pth: no such file", "--weights",
                "$MISSING.pth", "--arch", "resnet18", "$IMAGE"));
        l.add(c("classify", Kind.BAD_DATA, input, "$GARBAGE.pth: not a PyTorch checkpoint", "--weights",
                "$GARBAGE.pth", "--arch", "resnet18", "$IMAGE"));
        l.add(c("classify", Kind.BAD_DATA, input, "refused pickle global 'posix.system'", "--weights",
                "$HOSTILE", "--arch", "resnet18", "$IMAGE"));
        l.add(c("classify", Kind.BAD_DATA, input, "$GARBAGE: not a LAUD model file", "--model", "$GARBAGE",
                "$IMAGE"));

        l.add(c("search", Kind.MISSING_FILE, input, "--profile $MISSING: no such file", "--hardware", "cpu",
                "--profile", "$MISSING"));
        l.add(c("search", Kind.WRONG_TYPE, input, "--profile $DIR: is a directory", "--hardware", "cpu",
                "--profile", "$DIR"));
        l.add(c("search", Kind.UNREADABLE, input, "--profile $UNREADABLE: is not readable", "--hardware", "cpu",
                "--profile", "$UNREADABLE"));
        l.add(c("search", Kind.BAD_VALUE, usage, "--target must be in (0, 1], got 2.0", "--target", "2"));
        l.add(c("search", Kind.BAD_VALUE, usage, "--hardware must be", "--hardware", "abacus"));
        l.add(c("search", Kind.NOT_A_NUMBER, usage, "'x'", "--batch", "x"));
        l.add(c("search", Kind.UNKNOWN_ARCH, usage, "got 'resnet19'", "--arch", "resnet19"));
        l.add(c("search", Kind.BAD_DATA, input, "$GARBAGE", "--hardware", "cpu", "--profile", "$GARBAGE"));

        l.add(c("bench blocks", Kind.WRONG_TYPE, usage, "--markdown $DIR: is a directory, not a file", "--markdown",
                "$DIR"));
        l.add(c("bench blocks", Kind.UNREADABLE, usage, "--markdown $UNREADABLE_DIR/b.md", "--markdown",
                "$UNREADABLE_DIR/b.md"));
        l.add(c("bench blocks", Kind.BAD_VALUE, usage, "--runs must be positive, got -1", "--runs", "-1"));
        l.add(c("bench blocks", Kind.BAD_VALUE, usage, "--stages must lie in 1..4, got 5", "--stages", "5"));
        l.add(c("bench blocks", Kind.NOT_A_NUMBER, usage, "'x'", "--densities", "x"));
        l.add(c("bench blocks", Kind.BAD_VALUE, usage, "--backend: backend must be one of [fastest, djl-cpu, java",
                "--backend", "abacus"));

        String bn = "bench network";
        l.add(c(bn, Kind.MISSING_FILE, input, "--peer-onnx $MISSING: no such file", "--peer-onnx", "$MISSING"));
        l.add(c(bn, Kind.WRONG_TYPE, usage, "--out $DIR: is a directory, not a file", "--out", "$DIR"));
        l.add(c(bn, Kind.UNREADABLE, usage, "--out $UNREADABLE_DIR/n.md", "--out", "$UNREADABLE_DIR/n.md"));
        l.add(c(bn, Kind.BAD_VALUE, usage, "--runs must be positive, got -1", "--runs", "-1"));
        l.add(c(bn, Kind.BAD_VALUE, usage, "--densities must be in (0, 1], got 2.0", "--densities", "2"));
        l.add(c(bn, Kind.BAD_VALUE, usage, "got 'sideways'", "--modes", "sideways"));
        l.add(c(bn, Kind.NOT_A_NUMBER, usage, "'x'", "--batches", "x"));
        l.add(c(bn, Kind.UNKNOWN_ARCH, usage, "got 'resnet51'", "--arch", "resnet51"));

        String mm = "bench model-memory";
        l.add(c(mm, Kind.MISSING_FILE, input, "--model $MISSING: no such file", "--model", "$MISSING"));
        l.add(c(mm, Kind.WRONG_TYPE, input, "--image $DIR: is a directory, not a file", "--image", "$DIR"));
        l.add(c(mm, Kind.UNREADABLE, input, "--model $UNREADABLE: is not readable", "--model", "$UNREADABLE"));
        l.add(c(mm, Kind.BAD_VALUE, usage, "--threads must be positive, got 0", "--threads", "0"));
        l.add(c(mm, Kind.NOT_A_NUMBER, usage, "'x'", "--calls", "x"));

        l.add(c("calibrate", Kind.WRONG_TYPE, usage, "--out $DIR: is a directory, not a file", "--out", "$DIR"));
        l.add(c("calibrate", Kind.BAD_VALUE, usage, "--backend: backend must be one of [fastest, djl-cpu, java",
                "--backend", "abacus", "--out", "$OUT/p.json"));
        l.add(c("calibrate", Kind.UNREADABLE, usage, "--out $UNREADABLE_DIR/p.json", "--out",
                "$UNREADABLE_DIR/p.json"));

        String bb = "bench backends";
        l.add(c(bb, Kind.WRONG_TYPE, usage, "--markdown $DIR: is a directory, not a file", "--markdown", "$DIR"));
        l.add(c(bb, Kind.UNREADABLE, usage, "--markdown $UNREADABLE_DIR/b.md", "--markdown",
                "$UNREADABLE_DIR/b.md"));
        l.add(c(bb, Kind.BAD_VALUE, usage, "--runs must be positive, got -1", "--runs", "-1"));
        l.add(c(bb, Kind.BAD_VALUE, usage, "--size must be a positive multiple of 32, got 100", "--size", "100"));
        l.add(c(bb, Kind.BAD_VALUE, usage, "--policy must be AUTO or SPARSE, got DENSE", "--policy", "DENSE"));
        l.add(c(bb, Kind.NOT_A_NUMBER, usage, "'x'", "--density", "x"));
        l.add(c(bb, Kind.UNKNOWN_ARCH, usage, "--backends must be among", "--backends", "tpu"));
        l.add(c(bb, Kind.UNKNOWN_ARCH, usage, "--variants must be among", "--variants", "sideways"));

        String nm = "bench native-memory";
        l.add(c(nm, Kind.MISSING_FILE, input, "--model $MISSING: no such file", "--model", "$MISSING"));
        l.add(c(nm, Kind.WRONG_TYPE, input, "--model $DIR: is a directory", "--model", "$DIR"));
        l.add(c(nm, Kind.UNREADABLE, input, "--model $UNREADABLE: is not readable", "--model", "$UNREADABLE"));
        l.add(c(nm, Kind.BAD_VALUE, usage, "--inferences must be positive, got -1", "--inferences", "-1"));
        l.add(c(nm, Kind.NOT_A_NUMBER, usage, "'x'", "--inferences", "x"));
        l.add(c(nm, Kind.UNKNOWN_ARCH, usage, "--depth must be 18, 34, 50 or 101, got 19", "--depth", "19"));
        l.add(c("fuzz", Kind.UNKNOWN_OPTION, usage, "unknown option '--frobnicate'", "--format", "laud",
                "--frobnicate"));
        l.add(c("fuzz", Kind.WRONG_TYPE, usage, "--out $DIR: is a directory, not a file", "--format", "laud", "--out",
                "$DIR"));
        l.add(c("fuzz", Kind.UNREADABLE, usage, "--out $UNREADABLE_DIR/f.md", "--format", "laud", "--out",
                "$UNREADABLE_DIR/f.md"));
        l.add(c("fuzz", Kind.BAD_VALUE, usage, "--cases must be positive, got -1", "--format", "laud", "--cases",
                "-1"));
        l.add(c("fuzz", Kind.NOT_A_NUMBER, usage, "'x'", "--format", "laud", "--cases", "x"));

        String bs = "bench spark";
        l.add(c(bs, Kind.MISSING_FILE, input, "--gated $MISSING: no such file", "--gated", "$MISSING"));
        l.add(c(bs, Kind.WRONG_TYPE, input, "--gated $DIR: is a directory, not a file", "--gated", "$DIR"));
        l.add(c(bs, Kind.UNREADABLE, input, "--gated $UNREADABLE: is not readable", "--gated", "$UNREADABLE"));
        l.add(c(bs, Kind.BAD_VALUE, usage, "--runs must be positive, got 0", "--runs", "0"));
        l.add(c(bs, Kind.BAD_VALUE, usage, "--gates must have 4 specs (one per ResNet-50 stage), got layer",
                "--gates", "layer"));
        l.add(c(bs, Kind.NOT_A_NUMBER, usage, "'x'", "--images", "x"));
        l.add(c(bs, Kind.UNKNOWN_ARCH, usage, "--weights must be one of [resnet50-imagenet], got 'resnet51'",
                "--weights", "resnet51"));

        String sc = "spark-classify";
        String[] scIo = {"--model", "$IMAGE", "--input", "$DIR", "--output", "$OUT/spark"};
        l.add(c(sc, Kind.UNKNOWN_OPTION, usage, "unknown option '--frobnicate'", with(scIo, "--frobnicate")));
        l.add(c(sc, Kind.MISSING_FILE, input, "--input $MISSING: no such directory", "--model", "$IMAGE", "--input",
                "$MISSING", "--output", "$OUT/spark"));
        l.add(c(sc, Kind.MISSING_FILE, input, "--model $MISSING: no such file", "--model", "$MISSING", "--input",
                "$DIR", "--output", "$OUT/spark"));
        l.add(c(sc, Kind.WRONG_TYPE, input, "--input $FILE: is a file, not a directory", "--model", "$IMAGE",
                "--input", "$FILE", "--output", "$OUT/spark"));
        l.add(c(sc, Kind.UNREADABLE, input, "--input $UNREADABLE_DIR: is not readable", "--model", "$IMAGE",
                "--input", "$UNREADABLE_DIR", "--output", "$OUT/spark"));
        l.add(c(sc, Kind.BAD_VALUE, usage, "--batch must be positive, got 0", with(scIo, "--batch", "0")));
        l.add(c(sc, Kind.BAD_VALUE, usage, "--master local[N] needs a positive N, got 'local[0]'",
                with(scIo, "--master", "local[0]")));
        l.add(c(sc, Kind.BAD_VALUE, usage, "--output $DIR: already exists", "--model", "$IMAGE", "--input", "$DIR",
                "--output", "$DIR"));
        l.add(c(sc, Kind.BAD_VALUE, usage, "give exactly one of --model FILE.laud and --weights NAME, got both",
                with(scIo, "--weights", "resnet50-imagenet")));
        l.add(c(sc, Kind.NOT_A_NUMBER, usage, "'x'", with(scIo, "--batch", "x")));
        l.add(c(sc, Kind.UNKNOWN_ARCH, usage, "--weights must be one of [resnet50-imagenet], got 'resnet51'",
                "--weights", "resnet51", "--input", "$DIR", "--output", "$OUT/spark"));
        l.add(c(sc, Kind.BAD_DATA, input, "$GARBAGE: not a LAUD model file", "--model", "$GARBAGE", "--input", "$DIR",
                "--output", "$OUT/spark"));
        l.add(c("serve", Kind.MISSING_FILE, input, "--model $MISSING: no such file", "--model", "$MISSING"));
        l.add(c("serve", Kind.WRONG_TYPE, input, "--model $DIR: is a directory", "--model", "$DIR"));
        l.add(c("serve", Kind.UNREADABLE, input, "--model $UNREADABLE: is not readable", "--model", "$UNREADABLE"));
        l.add(c("serve", Kind.BAD_VALUE, usage, "--max-batch must be in [1, 16], got 0", "--max-batch", "0"));
        l.add(c("serve", Kind.BAD_VALUE, usage, "--port must be in [0, 65535], got 70000", "--port", "70000"));
        l.add(c("serve", Kind.BAD_VALUE, usage, "--workers must be positive, got 0", "--workers", "0"));
        l.add(c("serve", Kind.NOT_A_NUMBER, usage, "'x'", "--timeout-ms", "x"));
        l.add(c("serve", Kind.UNKNOWN_ARCH, usage, "got 'resnet51'", "--weights", "resnet51"));
        l.add(c("serve", Kind.BAD_VALUE, usage, "gate spec 'diagonal'", "--gates", "diagonal,none,none,none"));
        String bsv = "bench serve";
        l.add(c(bsv, Kind.MISSING_FILE, input, "--gated-model $MISSING: no such file", "--gated-model", "$MISSING"));
        l.add(c(bsv, Kind.MISSING_FILE, input, "--images $MISSING: no such directory", "--images", "$MISSING"));
        l.add(c(bsv, Kind.WRONG_TYPE, input, "--images $FILE: is a file, not a directory", "--images", "$FILE"));
        l.add(c(bsv, Kind.UNREADABLE, input, "--gated-model $UNREADABLE: is not readable", "--gated-model",
                "$UNREADABLE"));
        l.add(c(bsv, Kind.UNREADABLE, usage, "--markdown $UNREADABLE_DIR/s.md", "--markdown",
                "$UNREADABLE_DIR/s.md"));
        l.add(c(bsv, Kind.BAD_VALUE, usage, "--requests must be positive, got -1", "--requests", "-1"));
        l.add(c(bsv, Kind.BAD_VALUE, usage, "--max-batch must be in [1, 16], got 17", "--max-batch", "1,17"));
        l.add(c(bsv, Kind.NOT_A_NUMBER, usage, "'x'", "--clients", "x"));
        l.add(c(bsv, Kind.UNKNOWN_ARCH, usage, "--variants must be static and/or gated, got 'resnet19'",
                "--variants", "resnet19"));

        String gm = "bench gated-model";
        String[] gmArgs = {"--gates", "layer,channel:4,spatial:2,spatial:1", "--out", "$OUT/g.laud"};
        // (without its required --gates and --out, gated-model names those first)
        l.add(c(gm, Kind.UNKNOWN_OPTION, usage, "unknown option '--frobnicate'", with(gmArgs, "--frobnicate")));
        l.add(c(gm, Kind.MISSING_FILE, input, "--images $MISSING: no such directory",
                with(gmArgs, "--images", "$MISSING")));
        l.add(c(gm, Kind.WRONG_TYPE, input, "--images $FILE: is a file, not a directory",
                with(gmArgs, "--images", "$FILE")));
        l.add(c(gm, Kind.UNREADABLE, usage, "--out $UNREADABLE_DIR/g.laud", "--gates",
                "layer,channel:4,spatial:2,spatial:1", "--out", "$UNREADABLE_DIR/g.laud"));
        l.add(c(gm, Kind.BAD_VALUE, usage, "--density must be in (0, 1], got 1.5", with(gmArgs, "--density", "1.5")));
        l.add(c(gm, Kind.BAD_VALUE, usage, "--samples must be at most 256, got 1000",
                with(gmArgs, "--samples", "1000")));
        l.add(c(gm, Kind.BAD_VALUE, usage, "--gates must give at least one stage a gate, got none,none,none,none",
                "--gates", "none,none,none,none", "--out", "$OUT/g.laud"));
        l.add(c(gm, Kind.BAD_VALUE, usage, "gate spec 'diagonal'", "--gates", "diagonal,none,none,none", "--out",
                "$OUT/g.laud"));
        l.add(c(gm, Kind.NOT_A_NUMBER, usage, "'x'", with(gmArgs, "--seed", "x")));

        String lv = "latency validate";
        l.add(c(lv, Kind.MISSING_FILE, input, "--profile $MISSING: no such file", "--profile", "$MISSING"));
        l.add(c(lv, Kind.WRONG_TYPE, input, "--profile $DIR: is a directory, not a file", "--profile", "$DIR"));
        l.add(c(lv, Kind.UNREADABLE, input, "--profile $UNREADABLE: is not readable", "--profile", "$UNREADABLE"));
        l.add(c(lv, Kind.BAD_VALUE, usage, "--runs must be positive, got 0", "--runs", "0"));
        l.add(c(lv, Kind.BAD_VALUE, usage, "--backend: backend must be a CPU backend", "--backend", "cuda"));
        l.add(c(lv, Kind.NOT_A_NUMBER, usage, "'x'", "--warmup", "x"));
        l.add(c(lv, Kind.BAD_DATA, input, "$GARBAGE", "--profile", "$GARBAGE"));
        return l.stream();
    }

    @TempDir
    static Path tmp;

    private static Path unreadable;
    private static Path unreadableDir;

    @BeforeAll
    static void fixtures() throws IOException {
        Files.createDirectories(tmp.resolve("dir"));
        Files.createDirectories(tmp.resolve("out"));
        Files.createDirectories(tmp.resolve("data/cats"));
        Files.writeString(tmp.resolve("file.txt"), "not a directory");
        Files.writeString(tmp.resolve("garbage.bin"), "{ this is neither a model nor a profile");
        Files.writeString(tmp.resolve("garbage.bin.pth"), "{ this is not a checkpoint either");
        hostilePth(tmp.resolve("hostile.pth"));
        Files.write(tmp.resolve("image.png"), png());
        unreadable = tmp.resolve("unreadable.bin");
        Files.writeString(unreadable, "secret");
        Files.writeString(tmp.resolve("unreadable.bin.safetensors"), "secret");
        unreadableDir = Files.createDirectories(tmp.resolve("locked"));
        for (Path p : List.of(unreadable, tmp.resolve("unreadable.bin.safetensors"), unreadableDir)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
        }
    }

    /** A torch.save-like archive whose pickle calls os.system("touch pwned") when PyTorch loads it. */
    private static void hostilePth(Path file) throws IOException {
        byte[] pickle = "\u0080\u0002cposix\nsystem\nX\u000b\u0000\u0000\u0000touch pwned\u0085R."
                .getBytes(StandardCharsets.ISO_8859_1);
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            java.util.zip.ZipEntry e = new java.util.zip.ZipEntry("hostile/data.pkl");
            e.setMethod(java.util.zip.ZipEntry.STORED); // as torch.save writes it
            e.setSize(pickle.length);
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(pickle);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(pickle);
            z.closeEntry();
        }
    }

    /** A 2 x 2 PNG. */
    private static byte[] png() throws IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(2, 2,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    private static String expand(String s) {
        return s.replace("$UNREADABLE_DIR", unreadableDir.toString())
                .replace("$UNREADABLE", unreadable.toString())
                .replace("$MISSING", tmp.resolve("missing").toString())
                .replace("$DIR", tmp.resolve("dir").toString())
                .replace("$FILE", tmp.resolve("file.txt").toString())
                .replace("$IMAGE", tmp.resolve("image.png").toString())
                .replace("$DATA", tmp.resolve("data").toString())
                .replace("$OUT", tmp.resolve("out").toString())
                .replace("$GARBAGE", tmp.resolve("garbage.bin").toString())
                .replace("$HOSTILE", tmp.resolve("hostile.pth").toString());
    }

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    /**
     * Runs the command line in-process, capturing its writers and the process streams (log lines go there). The
     * streams are replaced before the command line is built: picocli's default execution strategy remembers the
     * streams of its construction and would otherwise reset the writers to them.
     */
    static Run run(List<String> args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try {
            System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
            CommandLine cli = LaudnetCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            code = cli.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out + sysOut.toString(StandardCharsets.UTF_8),
                err + sysErr.toString(StandardCharsets.UTF_8));
    }

    private static List<String> argv(Case k, String... extra) {
        List<String> a = new ArrayList<>(List.of(k.command().split(" ")));
        k.args().forEach(x -> a.add(expand(x)));
        a.addAll(List.of(extra));
        return a;
    }

    private static void assumeApplies(Case k) {
        if (k.kind() == Kind.UNREADABLE) {
            // the superuser reads and writes files of any mode
            assumeFalse(Files.isReadable(unreadable) || Files.isWritable(unreadableDir),
                    "files of mode 000 are readable by this user (root)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyErrorIsOneLineNamingTheValueWithItsExitCode(Case k) {
        assumeApplies(k);
        Run r = run(argv(k));
        String context = k + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err();
        assertEquals(k.code().code(), r.code(), context);
        assertEquals(1, r.errLines().size(), context);
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("laudnet " + k.command() + ": "), context);
        assertTrue(line.contains(expand(k.names())), "expected '" + expand(k.names()) + "' in:\n" + context);
        assertEquals("", r.out(), context);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verboseCases")
    void verboseAddsTheStackTrace(Case k) {
        assumeApplies(k);
        String plain = run(argv(k)).errLines().get(0);
        Run r = run(argv(k, "--verbose"));
        assertEquals(k.code().code(), r.code(), r.err());
        List<String> lines = r.errLines();
        assertEquals(plain, lines.get(0), r.err());
        assertTrue(lines.size() > 3, r.err());
        assertTrue(lines.get(1).matches("\\S+(Exception|Error)\\b.*"), r.err());
        assertTrue(lines.stream().skip(2).anyMatch(l -> l.startsWith("\tat org.laudnet.bench.cli.")), r.err());
    }

    static Stream<Case> verboseCases() {
        return cases().filter(k -> k.kind() == Kind.MISSING_FILE || k.kind() == Kind.BAD_VALUE)
                .filter(k -> k.command().equals("classify") || k.command().equals("latency validate"));
    }

    @Test
    void everySubcommandIsCoveredForEveryKind() {
        Map<String, Set<Kind>> covered = new java.util.HashMap<>();
        cases().forEach(k -> covered.computeIfAbsent(k.command(), x -> EnumSet.noneOf(Kind.class)).add(k.kind()));
        List<String> gaps = new ArrayList<>();
        for (String cmd : leafCommands(LaudnetCli.commandLine(), "")) {
            for (Kind kind : EnumSet.complementOf(EnumSet.of(Kind.BAD_DATA))) {
                boolean tested = covered.getOrDefault(cmd, Set.of()).contains(kind);
                boolean exempt = NOT_APPLICABLE.getOrDefault(cmd, Set.of()).contains(kind);
                if (tested == exempt) {
                    gaps.add(cmd + " " + kind + (tested ? " (tested and marked not applicable)" : " (no case)"));
                }
            }
        }
        assertEquals(List.of(), gaps);
    }

    /** The runnable commands of the tree (those without subcommands), by path; {@code help} excepted. */
    private static Set<String> leafCommands(CommandLine cmd, String prefix) {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, CommandLine> e : cmd.getSubcommands().entrySet()) {
            String path = prefix.isEmpty() ? e.getKey() : prefix + " " + e.getKey();
            if (e.getKey().equals("help")) {
                continue;
            }
            out.addAll(e.getValue().getSubcommands().isEmpty() ? Set.of(path) : leafCommands(e.getValue(), path));
        }
        return out;
    }

    @Test
    void unknownSubcommandsAndOptionsAreUsageErrors() {
        Map<List<String>, String> expected = Map.of(
                List.of("frobnicate"), "laudnet: unknown subcommand 'frobnicate'",
                List.of("--bogus"), "laudnet: unknown option '--bogus' (see laudnet --help)",
                List.of("bench", "blocs"), "laudnet bench: unknown subcommand 'blocs'; did you mean 'blocks'?",
                List.of("experiment", "cifar"), "laudnet experiment: unknown subcommand 'cifar'",
                List.of("latency", "predict"), "laudnet latency: unknown subcommand 'predict'",
                List.of("help", "frobnicate"), "laudnet: Unknown subcommand 'frobnicate'",
                List.of("search", "resnet50"), "laudnet search: unexpected argument 'resnet50'",
                List.of("finetune", "--frobnicate"), "laudnet finetune: Missing required option: '--data=DIR'");
        for (Map.Entry<List<String>, String> e : expected.entrySet()) {
            Run r = run(e.getKey());
            assertEquals(ExitCode.USAGE.code(), r.code(), e.getKey() + ": " + r.err());
            assertEquals(1, r.errLines().size(), e.getKey() + ": " + r.err());
            assertTrue(r.errLines().get(0).startsWith(e.getValue()), e.getKey() + ": " + r.err());
            assertEquals("", r.out(), e.getKey() + ": " + r.out());
        }
    }

    @Test
    void missingAssetsAndProfilesAreEnvironmentErrors() {
        String old = System.getProperty(org.laudnet.core.util.LaudnetHome.PROPERTY);
        Path empty = tmp.resolve("empty-home");
        Map<List<String>, String> expected = new java.util.LinkedHashMap<>();
        expected.put(List.of("classify", expand("$IMAGE")), "the ImageNet ResNet-50 is not in " + empty);
        expected.put(List.of("finetune", "--data", expand("$DATA")), "the ImageNet ResNet-50 is not in " + empty);
        expected.put(List.of("spark-classify", "--weights", "resnet50-imagenet", "--input", expand("$DIR"), "--output",
                expand("$OUT/spark-env")), "the ImageNet ResNet-50 is not in " + empty);
        expected.put(List.of("bench", "spark", "--markdown", expand("$OUT/spark.md")),
                "the ImageNet ResNet-50 is not in " + empty);
        expected.put(List.of("bench", "model-memory"), "the photo " + empty.resolve("photos/eagle.jpg")
                + " is missing");
        expected.put(List.of("bench", "model-memory", "--image", expand("$IMAGE")),
                "the ImageNet ResNet-50 is not in " + empty);
        try {
            System.setProperty(org.laudnet.core.util.LaudnetHome.PROPERTY, empty.toString());
            for (Map.Entry<List<String>, String> e : expected.entrySet()) {
                Run r = run(e.getKey());
                assertEquals(ExitCode.ENVIRONMENT.code(), r.code(), e.getKey() + ": " + r.err());
                assertEquals(1, r.errLines().size(), e.getKey() + ": " + r.err());
                assertTrue(r.errLines().get(0).contains(e.getValue()) && r.errLines().get(0).contains(
                        "scripts/fetch-assets"), e.getKey() + ": " + r.err());
            }
        } finally {
            if (old == null) {
                System.clearProperty(org.laudnet.core.util.LaudnetHome.PROPERTY);
            } else {
                System.setProperty(org.laudnet.core.util.LaudnetHome.PROPERTY, old);
            }
        }
        assumeTrue(!Files.exists(CpuLatencyProfile.defaultLocation()), "this machine has a CPU profile");
        for (List<String> args : List.of(List.of("search", "--hardware", "cpu"), List.of("latency", "validate",
                "--markdown", expand("$OUT/v.md")))) {
            Run r = run(args);
            assertEquals(ExitCode.ENVIRONMENT.code(), r.code(), args + ": " + r.err());
            assertEquals(List.of("laudnet " + args.get(0) + (args.get(0).equals("latency") ? " validate" : "")
                    + ": no CPU latency profile at " + CpuLatencyProfile.defaultLocation() + "; create it with"
                    + " 'scripts/laudnet calibrate' (or give one with --profile)"), r.errLines(),
                    args + ": " + r.err());
        }
    }

    @Test
    void rootHelpListsTheExitCodes() {
        Run r = run(List.of("--help"));
        assertEquals(0, r.code());
        String help = r.out();
        assertTrue(help.contains("Exit codes:"), help);
        for (ExitCode c : ExitCode.values()) {
            assertTrue(help.lines().anyMatch(l -> l.trim().startsWith(c.code() + "") && l.contains(c.meaning()
                    .substring(0, Math.min(20, c.meaning().length())))), c + " in:\n" + help);
        }
        Run sub = run(List.of("classify", "--help"));
        assertTrue(sub.out().contains("--verbose"), sub.out());
    }
}
