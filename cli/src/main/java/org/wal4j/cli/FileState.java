package org.wal4j.cli;

/** The state of the test file before a measurement starts. */
enum FileState {
    /** Empty; every write extends the file (size and block allocation change on every sync). */
    APPEND("append"),
    /** fallocate'd to its full size: blocks reserved but unwritten, so each first write still converts extents. */
    FALLOCATED("fallocated"),
    /** Zero-filled and synced: every write is a pure overwrite of written blocks (what wal4j's segments are). */
    ZEROED("zeroed");

    final String id;

    FileState(String id) {
        this.id = id;
    }
}
