package org.laudnet.models.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Backend;

/**
 * A worker's thread count reaches a backend that owns its threads ({@code Backend.setIntraOpThreads}, as the oneDNN
 * backend does), and a backend that applies no setting gets nothing else (no PyTorch call for a non-DJL backend).
 */
class EngineThreadsTest {

    @Test
    void theWorkersCountIsHandedToTheBackend() {
        List<Integer> calls = new ArrayList<>();
        EngineThreads.pin(backend("onednn", true, calls), 3);
        assertEquals(List.of(3), calls);
        calls.clear();
        EngineThreads.pin(backend("cuda", false, calls), 2);
        assertEquals(List.of(2), calls, "asked once; it declines and nothing else happens");
    }

    /** A backend with only an id and a thread setting that records its calls and answers {@code applies}. */
    private static Backend<?> backend(String id, boolean applies, List<Integer> calls) {
        return (Backend<?>) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> id;
                    case "setIntraOpThreads" -> {
                        calls.add((Integer) args[0]);
                        yield applies;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
