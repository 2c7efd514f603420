/*
 * libwal4j: the optional native part of wal4j.
 *
 * For now it holds the C reference loops of `wal4j fsync-test`: the same
 * write-and-sync operations as the Java paths, timed in C, so that the JVM's
 * overhead is measured against a C program in the same run.
 *
 * Contracts:
 * - Every exported symbol starts with wal4j_; everything else is static.
 * - Functions never retain pointers past their return and are thread-safe
 *   (they touch only their arguments).
 * - The library is optional: wal4j runs without it, and features that need it
 *   report themselves unavailable.
 */
#ifndef WAL4J_H
#define WAL4J_H

#include <stdint.h>

/* Bumped when a signature or a constant below changes; Java checks it on load. */
#define WAL4J_ABI_VERSION 1

/* Methods of wal4j_fsync_loop. How the file descriptor was opened (O_DSYNC,
 * O_DIRECT) is the caller's part of the method; the loop does only this: */
#define WAL4J_LOOP_PWRITE_FDATASYNC 1 /* pwrite, then fdatasync */
#define WAL4J_LOOP_PWRITE_FSYNC     2 /* pwrite, then fsync */
#define WAL4J_LOOP_PWRITE           3 /* pwrite alone: the fd carries O_DSYNC */
#define WAL4J_LOOP_PWRITEV2_DSYNC   4 /* pwritev2 with RWF_DSYNC */
#define WAL4J_LOOP_MMAP_MSYNC       5 /* memcpy into a shared mapping, then msync(MS_SYNC) */

/* Returns WAL4J_ABI_VERSION of the library actually loaded. */
int32_t wal4j_abi_version(void);

/*
 * Runs up to max_ops operations of `method` on fd, each writing len bytes from
 * buf: operations first_op, first_op + 1, ... Operation k writes at offset
 * (k * len) % wrap_bytes, or at k * len when wrap_bytes <= 0 (appending: the
 * file grows); an operation that would cross wrap_bytes writes at offset 0
 * instead. Consecutive calls continue where the last one stopped. For
 * WAL4J_LOOP_MMAP_MSYNC the file must already be at least wrap_bytes long
 * (else -EINVAL; truncating it during the call raises SIGBUS, as for any mapping).
 *
 * The loop stops after max_ops operations, or before starting an operation
 * once CLOCK_MONOTONIC reaches deadline_ns (the clock of Java's
 * System.nanoTime on Linux). The latency of operation i, in nanoseconds, is
 * stored in latencies_ns[i - first_op] (capacity max_ops).
 *
 * Returns the number of operations completed (>= 0), or -errno of the first
 * failed system call (a short write counts as failed with -EIO).
 */
int64_t wal4j_fsync_loop(int32_t fd, int32_t method, const void *buf, int64_t len,
                         int64_t first_op, int64_t wrap_bytes, int64_t max_ops,
                         int64_t deadline_ns, int64_t *latencies_ns);

#endif /* WAL4J_H */
