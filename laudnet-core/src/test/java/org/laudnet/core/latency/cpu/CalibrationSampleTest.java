package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;

/** The configuration a calibration timing names in the samples file. */
class CalibrationSampleTest {

    @Test
    void aBlockTimingNamesItsConfigurationInOneFieldWithoutCommas() {
        BlockLatencyQuery q = new BlockLatencyQuery(BlockGeometry.bottleneck(256, 128, 56, 2), GateMode.BOTH, 2, 4,
                0.2, 0.25, 8);
        CalibrationSample s = new CalibrationSample(CpuTerm.SPATIAL_ROWS, new double[7], 1.5, 1, 1, q);
        assertEquals("bottleneck cin=256 w=128 cout=512 h=56 stride=2 groups=1 mode=BOTH S=2 G=4 B=8 rho=0.2000"
                + " dc=0.2500", s.configuration());
        CalibrationSample basic = new CalibrationSample(CpuTerm.DENSE, new double[4], 1, 0, 0,
                BlockLatencyQuery.staticBlock(BlockGeometry.basic(64, 64, 56, 1), 1));
        assertEquals("basic cin=64 w=64 cout=64 h=56 stride=1 groups=1 mode=NONE S=1 G=1 B=1 rho=1.0000 dc=1.0000",
                basic.configuration());
        assertEquals("", CalibrationSample.of(CpuTerm.CONV, new double[] {1e8}, 3).configuration());
        assertEquals("", new CalibrationSample(CpuTerm.SKIP, new double[3], 0.1, 2e6, 0).configuration());
    }

    @Test
    void theSamplesFileNamesTheConfigurationColumn(@TempDir Path dir) throws Exception {
        CpuCalibrator c = new CpuCalibrator(CpuCalibrator.Settings.defaults(true), s -> { });
        Path f = dir.resolve("samples.csv");
        c.writeSamples(f);
        assertEquals("term,configuration,ms,spatialMaskerInput,channelMaskerInput,features\n", Files.readString(f));
    }
}
