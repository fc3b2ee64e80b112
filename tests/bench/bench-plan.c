/*
 * bench-plan: the planner's own time at scale, without QMP or devices.
 *
 * The engine (frontend/resize-engine.c) with the unit tests' mock
 * backends: 64 NUMA nodes of 128 MiB boot memory, a virtio-balloon and a
 * 16 GiB virtio-mem device per node (about 1 TiB).  It times the calls a
 * request makes: a whole-guest request, a request with a target for
 * every node, and one engine tick (what runs every 50 ms while a resize
 * is in flight), and the engine's own memory.  Prints a table, then one
 * JSON line for make bench.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/units.h"
#include "mock-backends.h"

#define NODES 64
#define NODE_BOOT (128 * MiB)
#define NODE_VMEM (16 * GiB)
#define ROUNDS 2000

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* Percentile @p of @n samples (sorted in place), in microseconds. */
static double pct_us(int64_t *v, int n, double p)
{
    qsort(v, n, sizeof(*v), cmp_i64);
    return v[(int)(p * (n - 1))] / 1000.0;
}

static size_t rss_kib(void)
{
    g_autofree char *status = NULL;
    const char *p;

    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        return 0;
    }
    p = strstr(status, "VmRSS:");
    return p ? g_ascii_strtoull(p + 6, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
    static Mock vmem[NODES], balloon;
    static int64_t total[ROUNDS], nodes[ROUNDS], tick[ROUNDS];
    int64_t boot[NODES], targets[NODES], none[NODES] = { 0 };
    ResizeEngine re;
    size_t rss0, rss1;
    int i, n;

    rss0 = rss_kib();
    mock_setup(&re);
    re.base = NODES * NODE_BOOT;
    for (n = 0; n < NODES; n++) {
        boot[n] = NODE_BOOT;
    }
    resize_engine_set_nodes(&re, NODES, boot);
    mock_virtio_balloon(&balloon, "balloon0");
    balloon.info.min_size = -(re.base - 4 * KiB);
    resize_engine_add(&re, &balloon.bb);
    for (n = 0; n < NODES; n++) {
        mock_virtio_mem(&vmem[n], g_strdup_printf("vmem%d", n), NODE_VMEM);
        vmem[n].info.node = n;
        resize_engine_add(&re, &vmem[n].bb);
    }
    rss1 = rss_kib();

    for (i = 0; i < ROUNDS; i++) {
        /* Alternately grow by 64 GiB and shrink 2 GiB below boot */
        int64_t target = i & 1 ? re.base - 2 * GiB : re.base + 64 * GiB;
        int64_t t0;

        g_string_truncate(mock_events, 0);
        t0 = now_ns();
        resize_engine_request(&re, target, "size", i * TICK_MS,
                              &error_abort);
        total[i] = now_ns() - t0;

        t0 = now_ns();
        resize_engine_tick(&re, i * TICK_MS + 1);
        tick[i] = now_ns() - t0;

        for (n = 0; n < NODES; n++) {
            targets[n] = NODE_BOOT + (int64_t)((i + n) % 8) * 256 * MiB;
        }
        g_string_truncate(mock_events, 0);
        t0 = now_ns();
        resize_engine_request_nodes(&re, targets, none, true, "nodes",
                                    i * TICK_MS + 2, &error_abort);
        nodes[i] = now_ns() - t0;
    }

    printf("planner, %d nodes, %d virtio-mem + 1 balloon, %d rounds\n",
           NODES, NODES, ROUNDS);
    printf("  request (whole guest)     p50 %8.1f us  p99 %8.1f us\n",
           pct_us(total, ROUNDS, 0.5), pct_us(total, ROUNDS, 0.99));
    printf("  request (every node)      p50 %8.1f us  p99 %8.1f us\n",
           pct_us(nodes, ROUNDS, 0.5), pct_us(nodes, ROUNDS, 0.99));
    printf("  tick                      p50 %8.1f us  p99 %8.1f us\n",
           pct_us(tick, ROUNDS, 0.5), pct_us(tick, ROUNDS, 0.99));
    printf("  engine and registry: %zu KiB (RSS before and after)\n",
           rss1 - rss0);
    printf("{\"plan_total_p50_us\": %.1f, \"plan_total_p99_us\": %.1f, "
           "\"plan_nodes_p50_us\": %.1f, \"plan_nodes_p99_us\": %.1f, "
           "\"plan_tick_p50_us\": %.1f, \"plan_state_kib\": %zu}\n",
           pct_us(total, ROUNDS, 0.5), pct_us(total, ROUNDS, 0.99),
           pct_us(nodes, ROUNDS, 0.5), pct_us(nodes, ROUNDS, 0.99),
           pct_us(tick, ROUNDS, 0.5), rss1 - rss0);
    resize_engine_finalize(&re);
    return 0;
}
