package org.laudnet.core.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test with a fresh base manager and a non-copying parameter store per test method, closed after it. */
public abstract class ManagedTest {

    /** The test's manager. */
    protected NDManager m;

    /** A parameter store on {@link #m}. */
    protected ParameterStore ps;

    /** Opens the manager. */
    @BeforeEach
    void openManager() {
        m = NDManager.newBaseManager();
        ps = new ParameterStore(m, false);
    }

    /** Closes the manager. */
    @AfterEach
    void closeManager() {
        m.close();
    }
}
