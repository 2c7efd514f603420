#define _GNU_SOURCE
#include "wal4j.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define WAL4J_EXPORT __attribute__((visibility("default")))

WAL4J_EXPORT int32_t wal4j_abi_version(void) {
    return WAL4J_ABI_VERSION;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Writes all len bytes at offset, as the Java paths do: EINTR and short writes loop. */
static int full_pwrite(int fd, const char *buf, int64_t len, int64_t offset, int dsync) {
    while (len > 0) {
        ssize_t n;
        if (dsync) {
            struct iovec iov = { .iov_base = (void *)buf, .iov_len = (size_t)len };
            n = pwritev2(fd, &iov, 1, offset, RWF_DSYNC);
        } else {
            n = pwrite(fd, buf, (size_t)len, offset);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return -EIO;
        buf += n;
        offset += n;
        len -= n;
    }
    return 0;
}

static int sync_retrying(int fd, int full) {
    for (;;) {
        int rc = full ? fsync(fd) : fdatasync(fd);
        if (rc == 0) return 0;
        if (errno != EINTR) return -errno;
    }
}

WAL4J_EXPORT int64_t wal4j_fsync_loop(int32_t fd, int32_t method, const void *buf, int64_t len,
                                      int64_t first_op, int64_t wrap_bytes, int64_t max_ops,
                                      int64_t deadline_ns, int64_t *latencies_ns) {
    if (len <= 0 || max_ops < 0 || first_op < 0) return -EINVAL;
    if (wrap_bytes > 0 && wrap_bytes < len) return -EINVAL;
    char *map = NULL;
    if (method == WAL4J_LOOP_MMAP_MSYNC) {
        if (wrap_bytes <= 0) return -EINVAL;
        /* touching a mapping past the end of the file raises SIGBUS: refuse instead */
        struct stat st;
        if (fstat(fd, &st) != 0) return -errno;
        if (st.st_size < wrap_bytes) return -EINVAL;
        map = mmap(NULL, (size_t)wrap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) return -errno;
    } else if (method < WAL4J_LOOP_PWRITE_FDATASYNC || method > WAL4J_LOOP_PWRITEV2_DSYNC) {
        return -EINVAL;
    }
    long page = sysconf(_SC_PAGESIZE);
    int64_t done = 0;
    int rc = 0;
    for (; done < max_ops; done++) {
        int64_t t0 = now_ns();
        if (t0 >= deadline_ns) break;
        int64_t k = first_op + done;
        int64_t offset = wrap_bytes > 0 ? (k * len) % wrap_bytes : k * len;
        if (wrap_bytes > 0 && offset + len > wrap_bytes) offset = 0;
        switch (method) {
        case WAL4J_LOOP_PWRITE_FDATASYNC:
        case WAL4J_LOOP_PWRITE_FSYNC:
            rc = full_pwrite(fd, buf, len, offset, 0);
            if (rc == 0) rc = sync_retrying(fd, method == WAL4J_LOOP_PWRITE_FSYNC);
            break;
        case WAL4J_LOOP_PWRITE:
            rc = full_pwrite(fd, buf, len, offset, 0);
            break;
        case WAL4J_LOOP_PWRITEV2_DSYNC:
            rc = full_pwrite(fd, buf, len, offset, 1);
            break;
        default: { /* WAL4J_LOOP_MMAP_MSYNC */
            memcpy(map + offset, buf, (size_t)len);
            int64_t from = offset - offset % page;
            if (msync(map + from, (size_t)(offset + len - from), MS_SYNC) != 0) rc = -errno;
            break;
        }
        }
        if (rc != 0) break;
        latencies_ns[done] = now_ns() - t0;
    }
    if (map != NULL) munmap(map, (size_t)wrap_bytes);
    return rc != 0 ? rc : done;
}
