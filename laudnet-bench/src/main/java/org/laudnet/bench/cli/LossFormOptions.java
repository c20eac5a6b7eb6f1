package org.laudnet.bench.cli;

import java.util.Locale;
import org.laudnet.core.cost.BlockRatioForm;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.models.train.BoundAveraging;
import org.laudnet.models.train.DistillationWeighting;
import org.laudnet.models.train.LossForm;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The training-loss variant options shared by {@code finetune} and {@code experiment}: a preset ({@code --loss-form
 * reference|project-original}) and one option per choice where this project and the reference implementation differ,
 * each overriding the preset. Not thread-safe (picocli fills it).
 */
final class LossFormOptions {

    @Option(names = "--loss-form", defaultValue = "reference", paramLabel = "reference|project-original",
            description = "Loss preset: reference (CE + a T^2 KD, no BOTH channel term, bounds over all blocks,"
                    + " r_b = (sparse + masker) / (dense + masker)) or project-original (this project's first loss)"
                    + " (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--kd-weighting", paramLabel = "ce-plus-kd|convex",
            description = "CE + a T^2 KD (reference) or (1 - a) CE + a T^2 KD; overrides --loss-form.")
    String kdWeighting;

    @Option(names = "--both-channel-term", paramLabel = "on|off",
            description = "Add mean (dc - sqrt(t))^2 over BOTH-mode blocks (the reference does not); overrides"
                    + " --loss-form.")
    String bothChannelTerm;

    @Option(names = "--bound-average", paramLabel = "all-blocks|gated-blocks",
            description = "Average the per-block bound term over all blocks (reference) or gated blocks only;"
                    + " overrides --loss-form.")
    String boundAverage;

    @Option(names = "--block-ratio", paramLabel = "maskers-in-both|dense-denominator",
            description = "r_b = (sparse + masker) / (dense + masker) (reference) or (sparse + masker) / dense;"
                    + " overrides --loss-form.")
    String blockRatio;

    @Option(names = "--masker-macs", paramLabel = "physical|reference",
            description = "Count masker MACs as computed (pool reads, convolutions per pixel) or as the reference"
                    + " code counts them; overrides --loss-form.")
    String maskerMacs;

    /**
     * Returns the loss form the options select.
     *
     * @param spec the command, for errors naming the option
     * @return the form
     * @throws picocli.CommandLine.ParameterException naming the option and its value when a value is unknown
     */
    LossForm form(CommandSpec spec) {
        LossForm f = switch (norm(preset)) {
            case "reference" -> LossForm.REFERENCE;
            case "project-original" -> LossForm.PROJECT_ORIGINAL;
            default -> throw OptionChecks.bad(spec,
                    "--loss-form must be reference or project-original, got '" + preset + "'");
        };
        if (kdWeighting != null) {
            f = f.withDistillation(switch (norm(kdWeighting)) {
                case "ce-plus-kd" -> DistillationWeighting.CE_PLUS_KD;
                case "convex" -> DistillationWeighting.CONVEX;
                default -> throw OptionChecks.bad(spec,
                        "--kd-weighting must be ce-plus-kd or convex, got '" + kdWeighting + "'");
            });
        }
        if (bothChannelTerm != null) {
            f = f.withChannelDensityTerm(switch (norm(bothChannelTerm)) {
                case "on" -> true;
                case "off" -> false;
                default -> throw OptionChecks.bad(spec,
                        "--both-channel-term must be on or off, got '" + bothChannelTerm + "'");
            });
        }
        if (boundAverage != null) {
            f = f.withBoundAveraging(switch (norm(boundAverage)) {
                case "all-blocks" -> BoundAveraging.ALL_BLOCKS;
                case "gated-blocks" -> BoundAveraging.GATED_BLOCKS;
                default -> throw OptionChecks.bad(spec,
                        "--bound-average must be all-blocks or gated-blocks, got '" + boundAverage + "'");
            });
        }
        if (blockRatio != null) {
            f = f.withBlockRatio(switch (norm(blockRatio)) {
                case "maskers-in-both" -> BlockRatioForm.MASKERS_IN_BOTH;
                case "dense-denominator" -> BlockRatioForm.DENSE_DENOMINATOR;
                default -> throw OptionChecks.bad(spec,
                        "--block-ratio must be maskers-in-both or dense-denominator, got '" + blockRatio + "'");
            });
        }
        if (maskerMacs != null) {
            f = f.withMaskerMacs(switch (norm(maskerMacs)) {
                case "physical" -> MaskerMacsConvention.PHYSICAL;
                case "reference" -> MaskerMacsConvention.REFERENCE;
                default -> throw OptionChecks.bad(spec,
                        "--masker-macs must be physical or reference, got '" + maskerMacs + "'");
            });
        }
        return f;
    }

    private static String norm(String s) {
        return s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    }
}
