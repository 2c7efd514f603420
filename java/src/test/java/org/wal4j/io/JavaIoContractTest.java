package org.wal4j.io;

/** The I/O contract on JavaIo, the fallback: runs with native access on and off. */
class JavaIoContractTest extends IoBackendContractTest {

    @Override
    IoBackend backend() {
        return JavaIo.instance();
    }

    @Override
    boolean expectedToSupportAllocate() {
        return false;
    }

    @Override
    boolean expectedToSupportWriteDsync() {
        return false;
    }

    @Override
    boolean knowsErrnoOfRefusedDirectOpen() {
        return false; // the JDK reports only "Invalid argument" as text
    }
}
