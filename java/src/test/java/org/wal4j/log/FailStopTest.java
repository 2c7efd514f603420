package org.wal4j.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FailStopTest {
    @Test
    void theFirstFailureIsKeptAndOnlyItsCallerIsToldItFailedTheLog() {
        FailStop state = new FailStop("test log");
        assertFalse(state.hasFailed());
        assertNull(state.failure());
        IOException first = new IOException("first");
        assertTrue(state.fail(first));
        assertFalse(state.fail(new IOException("second")), "a later failure does not fail the log again");
        assertTrue(state.hasFailed());
        assertSame(first, state.failure());
    }

    @Test
    void ofManyThreadsFailingAtOnceExactlyOneFailsTheLog() throws Exception {
        FailStop state = new FailStop("test log");
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger winners = new AtomicInteger();
        List<IOException> causes = new ArrayList<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            IOException cause = new IOException("thread " + t);
            causes.add(cause);
            started.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                if (state.fail(cause)) {
                    winners.incrementAndGet();
                }
            }));
        }
        start.countDown();
        for (Thread t : started) {
            t.join();
        }
        assertEquals(1, winners.get());
        assertTrue(causes.contains(state.failure()), "the failure is one of the causes: " + state.failure());
    }
}
