package org.laudnet.cuda.exec;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.CudaTestSupport;
import org.laudnet.cuda.KernelModule;

/**
 * Base of the tests that need the loaded kernel module: skips each test, with the probe's reason, without a usable GPU,
 * loads the context and module once per test class otherwise, and closes them after the class.
 */
abstract class CudaModuleTestBase {

    /** The CUDA context of device 0, while a test class runs. */
    static CudaContext context;
    /** The kernels loaded into {@link #context}, while a test class runs. */
    static KernelModule module;

    /** Skips the test, with the probe's reason, without a usable GPU; loads the kernels once otherwise. */
    @BeforeEach
    void load() {
        CudaTestSupport.assumeCuda();
        if (module == null) {
            context = CudaContext.currentOrPrimary(0);
            module = KernelModule.load(context);
        }
    }

    @AfterAll
    static void unload() {
        if (module != null) {
            module.close();
        }
        if (context != null) {
            context.close();
        }
        module = null;
        context = null;
    }
}
