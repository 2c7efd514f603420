package org.wal4j.io;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;

/** The I/O contract on PosixIo; skipped where native access is off (the second surefire run). */
class PosixIoContractTest extends IoBackendContractTest {

    // per test, not @BeforeAll, so that each test is reported as skipped, with the reason
    @BeforeEach
    void posixIoIsAvailable() {
        assumeTrue(PosixIo.isAvailable(), () -> "PosixIo unavailable: " + PosixIo.unavailableReason());
    }

    @Override
    IoBackend backend() {
        return PosixIo.instance();
    }

    @Override
    boolean expectedToSupportAllocate() {
        return true;
    }

    @Override
    boolean expectedToSupportWriteDsync() {
        return true;
    }

    @Override
    boolean knowsErrnoOfRefusedDirectOpen() {
        return true;
    }
}
