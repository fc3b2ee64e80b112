/*
 * ubf-bench: our QEMU against the baseline (same source, no frontend),
 * same run, same guest image.
 *
 *   1. QMP latency of 'balloon' and 'query-balloon', idle and while a
 *      resize is in flight (p50/p99);
 *   2. end-to-end resize of a Linux guest with virtio-balloon + virtio-mem:
 *      1 GiB -> 3 GiB and 3 GiB -> 512 MiB, one command each on ours,
 *      against the best manual sequence on the baseline (each step
 *      awaited before the next), until the guest's own MemTotal settles;
 *   3. host CPU of the QEMU process per GiB inflated through
 *      virtio-balloon (system time: the discards; user time shown too);
 *   4. memory overhead of the frontend with 1 TiB of sparse virtio-mem
 *      capacity (RSS of a paused VM, ours minus baseline).
 *
 * Writes a table to stdout, results.json and the guest-size-over-time
 * series (series.csv) to the output folder.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "version.h"
#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024
#define STEP_TIMEOUT_MS 300000
#define POLL_US (20 * 1000)

typedef struct Bench {
    const char *ours;
    const char *baseline;
    const char *outdir;
    int reps;
    FILE *series;           /* run,flavour,t_s,memtotal_mib */
    JsonBuilder *json;
    bool failed;            /* a goal the bench checks was missed */
} Bench;

static void die_on(GError *err, const char *what)
{
    if (err) {
        fprintf(stderr, "ubf-bench: %s: %s\n", what, err->message);
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double percentile(GArray *v, double p)
{
    g_array_sort(v, cmp_double);
    return g_array_index(v, double, MIN((guint)(p * v->len), v->len - 1));
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void json_num(Bench *b, const char *name, double value)
{
    json_builder_set_member_name(b->json, name);
    json_builder_add_double_value(b->json, value);
}

static UbfVm *start_vm_memhp(const char *qemu, guint64 boot_mib,
                             guint64 vmem_mib, const char *modules,
                             const char *memhp)
{
    UbfVmConfig cfg = {
        .qemu = qemu,
        .boot_mib = boot_mib,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = vmem_mib,
        .modules = modules,
        .memhp = memhp,
    };
    g_autoptr(GError) err = NULL;
    UbfVm *vm = ubf_vm_start(&cfg, &err);

    die_on(err, qemu);
    return vm;
}

static UbfVm *start_vm(const char *qemu, guint64 boot_mib,
                       guint64 vmem_mib, const char *modules)
{
    return start_vm_memhp(qemu, boot_mib, vmem_mib, modules, NULL);
}

static void qmp_ok(UbfVm *vm, const char *cmd, const char *args)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), cmd, args,
                                                   10000, &err);

    die_on(err, cmd);
}

/* ---- 1. QMP latency ---- */

static double qmp_rtt_ms(UbfVm *vm, const char *cmd, const char *args)
{
    gint64 t0 = g_get_monotonic_time();

    qmp_ok(vm, cmd, args);
    return (g_get_monotonic_time() - t0) / 1000.0;
}

/* Latency samples of one flavour. */
typedef struct Latency {
    const char *label;
    const char *prefix;         /* of its results.json keys */
    UbfVm *vm;
    GArray *query, *bal, *busy;
} Latency;

static void latency_report(Bench *b, Latency *l)
{
    printf("  %-9s query-balloon p50 %6.3f p99 %6.3f ms | balloon p50 %6.3f"
           " p99 %6.3f ms | query in flight p50 %6.3f p99 %6.3f ms\n",
           l->label, percentile(l->query, 0.5), percentile(l->query, 0.99),
           percentile(l->bal, 0.5), percentile(l->bal, 0.99),
           percentile(l->busy, 0.5), percentile(l->busy, 0.99));
#define J(k, v) do { g_autofree char *key = g_strconcat(l->prefix, k, NULL); \
                     json_num(b, key, v); } while (0)
    J("qmp_balloon_p50_ms", percentile(l->bal, 0.5));
    J("qmp_balloon_p99_ms", percentile(l->bal, 0.99));
    J("qmp_query_balloon_p50_ms", percentile(l->query, 0.5));
    J("qmp_query_balloon_p99_ms", percentile(l->query, 0.99));
    J("qmp_query_balloon_busy_p50_ms", percentile(l->busy, 0.5));
    J("qmp_query_balloon_busy_p99_ms", percentile(l->busy, 0.99));
#undef J
}

/*
 * Both flavours run at once, and their samples alternate, so that
 * whatever else the host does weighs on both alike.
 */
static void bench_latency(Bench *b)
{
    Latency l[2] = {
        { "ours", "", start_vm(b->ours, 1024, 0, "virtio_balloon") },
        { "baseline", "baseline_",
          start_vm(b->baseline, 1024, 0, "virtio_balloon") },
    };
    int i, f;

    for (f = 0; f < 2; f++) {
        l[f].query = g_array_new(FALSE, FALSE, sizeof(double));
        l[f].bal = g_array_new(FALSE, FALSE, sizeof(double));
        l[f].busy = g_array_new(FALSE, FALSE, sizeof(double));
    }
    for (i = 0; i < 2000; i++) {
        for (f = 0; f < 2; f++) {
            double ms = qmp_rtt_ms(l[f].vm, "query-balloon", NULL);

            g_array_append_val(l[f].query, ms);
        }
    }
    for (i = 0; i < 500; i++) {
        for (f = 0; f < 2; f++) {
            /* the size the guest has: nothing to move */
            double ms = qmp_rtt_ms(l[f].vm, "balloon",
                                   "{\"value\": 1073741824}");

            g_array_append_val(l[f].bal, ms);
        }
    }
    /* While the balloon inflates 512 MiB, one flavour at a time. */
    for (f = 0; f < 2; f++) {
        qmp_ok(l[f].vm, "balloon", "{\"value\": 536870912}");
        for (i = 0; i < 300; i++) {
            double ms = qmp_rtt_ms(l[f].vm, "query-balloon", NULL);

            g_array_append_val(l[f].busy, ms);
        }
    }
    for (f = 0; f < 2; f++) {
        latency_report(b, &l[f]);
    }
    /* The target: within 1.1x of stock in the same run. */
    printf("  query-balloon ours/baseline: p50 %.2fx, p99 %.2fx\n",
           percentile(l[0].query, 0.5) / percentile(l[1].query, 0.5),
           percentile(l[0].query, 0.99) / percentile(l[1].query, 0.99));
    json_num(b, "qmp_query_balloon_p50_ratio",
             percentile(l[0].query, 0.5) / percentile(l[1].query, 0.5));
    json_num(b, "qmp_query_balloon_p99_ratio",
             percentile(l[0].query, 0.99) / percentile(l[1].query, 0.99));
    for (f = 0; f < 2; f++) {
        g_array_unref(l[f].query);
        g_array_unref(l[f].bal);
        g_array_unref(l[f].busy);
        ubf_vm_free(l[f].vm);
    }
}

/* ---- 2. end-to-end resize ---- */

/* Poll MemTotal until it is @want_kib; log samples; return seconds. */
static double wait_memtotal(Bench *b, UbfVm *vm, gint64 t0, gint64 want_kib,
                            const char *run, const char *flavour)
{
    gint64 deadline = t0 + (gint64)STEP_TIMEOUT_MS * 1000;

    for (;;) {
        g_autoptr(GError) err = NULL;
        UbfGuestMem mem;
        gint64 now;

        ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err);
        die_on(err, "meminfo");
        now = g_get_monotonic_time();
        if (b->series) {
            fprintf(b->series, "%s,%s,%.3f,%.1f\n", run, flavour,
                    (now - t0) / 1e6, mem.memtotal_kib / 1024.0);
        }
        if (mem.memtotal_kib == want_kib) {
            return (now - t0) / 1e6;
        }
        if (now > deadline) {
            fprintf(stderr, "ubf-bench: %s %s: MemTotal %" G_GINT64_FORMAT
                    " KiB, want %" G_GINT64_FORMAT "\n", run, flavour,
                    mem.memtotal_kib, want_kib);
            exit(1);
        }
        g_usleep(POLL_US);
    }
}

/*
 * Wait until virtio-mem's plugged size is @size (the manual sequence),
 * or, when it stops moving short of it (a guest that cannot unplug it
 * all), until it has not moved for a second, as the best operator
 * watching it would; logging the guest's MemTotal meanwhile.  Returns the
 * plugged size.
 */
static gint64 wait_vmem_size(Bench *b, UbfVm *vm, gint64 t0, gint64 size,
                             const char *run, const char *flavour)
{
    gint64 last = -1, since = 0;

    for (;;) {
        g_autoptr(GError) err = NULL;
        gint64 now = ubf_vm_qom_get_int(vm, "/machine/peripheral/vmem0",
                                        "size", &err);
        UbfGuestMem mem;

        die_on(err, "qom-get size");
        ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err);
        die_on(err, "meminfo");
        if (b->series) {
            fprintf(b->series, "%s,%s,%.3f,%.1f\n", run, flavour,
                    (g_get_monotonic_time() - t0) / 1e6,
                    mem.memtotal_kib / 1024.0);
        }
        if (now == size) {
            return now;
        }
        if (now != last) {
            last = now;
            since = g_get_monotonic_time();
        } else if (g_get_monotonic_time() - since > G_USEC_PER_SEC) {
            return now;
        }
        g_usleep(POLL_US);
    }
}

/*
 * 1 GiB -> 3 GiB -> 512 MiB, ours (one 'balloon' each) against the best
 * manual sequence on the baseline, with a guest whose hot-plugged memory
 * is onlined as @memhp says; results.json keys get @prefix.
 */
/*
 * Grows are short (a tenth of a second) next to the 20 ms the guest's
 * MemTotal is polled at: each VM grows, goes back to its boot size and
 * grows again, BENCH_GROWS times, for more samples.  Only where the
 * guest onlines hot-plugged memory movable: elsewhere going back may
 * leave blocks the guest cannot give up.
 */
#define BENCH_GROWS 3

static void bench_resize_one(Bench *b, const char *memhp, const char *prefix)
{
    double grow[8 * BENCH_GROWS], mgrow[8 * BENCH_GROWS];
    double shrink[8], mshrink[8];
    double grow_m, mgrow_m, shrink_m, mshrink_m;
    int grows = strcmp(memhp, "online_movable") ? 1 : BENCH_GROWS;
    int r, g;

    for (r = 0; r < b->reps; r++) {
        FILE *series = r == 0 && !*prefix ? b->series : NULL;
        FILE *saved = b->series;
        UbfGuestMem boot;
        g_autoptr(GError) err = NULL;
        gint64 t0;

        b->series = series;
        {
            g_autoptr(UbfVm) vm = start_vm_memhp(b->ours, 1024, 2048,
                                                 "virtio_balloon,virtio_mem",
                                                 memhp);

            ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err);
            die_on(err, "meminfo");
            for (g = 0; g < grows; g++) {
                if (g) {
                    qmp_ok(vm, "balloon", "{\"value\": 1073741824}");
                    wait_memtotal(b, vm, g_get_monotonic_time(),
                                  boot.memtotal_kib, "back", "ours");
                }
                t0 = g_get_monotonic_time();
                qmp_ok(vm, "balloon", "{\"value\": 3221225472}");
                grow[r * grows + g] =
                    wait_memtotal(b, vm, t0, boot.memtotal_kib +
                                  2048 * KIB_PER_MIB, "grow", "ours");
            }
            t0 = g_get_monotonic_time();
            qmp_ok(vm, "balloon", "{\"value\": 536870912}");
            shrink[r] = wait_memtotal(b, vm, t0, boot.memtotal_kib -
                                      512 * KIB_PER_MIB, "shrink", "ours");
        }
        {
            g_autoptr(UbfVm) vm = start_vm_memhp(b->baseline, 1024, 2048,
                                                 "virtio_balloon,virtio_mem",
                                                 memhp);
            g_autofree char *bal = NULL;
            gint64 kept;

            ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err);
            die_on(err, "meminfo");
            /* Best manual grow: nothing ballooned, so plug only. */
            for (g = 0; g < grows; g++) {
                if (g) {
                    qmp_ok(vm, "qom-set", "{\"path\": "
                           "\"/machine/peripheral/vmem0\", \"property\": "
                           "\"requested-size\", \"value\": 0}");
                    wait_memtotal(b, vm, g_get_monotonic_time(),
                                  boot.memtotal_kib, "back", "baseline");
                }
                t0 = g_get_monotonic_time();
                qmp_ok(vm, "qom-set", "{\"path\": "
                       "\"/machine/peripheral/vmem0\", \"property\": "
                       "\"requested-size\", \"value\": 2147483648}");
                mgrow[r * grows + g] =
                    wait_memtotal(b, vm, t0, boot.memtotal_kib +
                                  2048 * KIB_PER_MIB, "grow", "baseline");
            }
            /*
             * Best manual shrink: unplug, await (or see it stop), then
             * inflate what is left; stock 'balloon' leaves virtio-mem
             * out of the size it takes.
             */
            t0 = g_get_monotonic_time();
            qmp_ok(vm, "qom-set", "{\"path\": \"/machine/peripheral/vmem0\","
                   " \"property\": \"requested-size\", \"value\": 0}");
            kept = wait_vmem_size(b, vm, t0, 0, "shrink", "baseline");
            bal = g_strdup_printf("{\"value\": %" G_GINT64_FORMAT "}",
                                  512 * MIB - kept);
            qmp_ok(vm, "balloon", bal);
            mshrink[r] = wait_memtotal(b, vm, t0, boot.memtotal_kib -
                                       512 * KIB_PER_MIB, "shrink",
                                       "baseline");
        }
        b->series = saved;
        printf("  rep %d: grow ours", r + 1);
        for (g = 0; g < grows; g++) {
            printf(" %.2f", grow[r * grows + g]);
        }
        printf(" s, manual");
        for (g = 0; g < grows; g++) {
            printf(" %.2f", mgrow[r * grows + g]);
        }
        printf(" s | shrink ours %.2f s, manual %.2f s\n", shrink[r],
               mshrink[r]);
        fflush(stdout);
    }
    grow_m = median(grow, b->reps * grows);
    mgrow_m = median(mgrow, b->reps * grows);
    shrink_m = median(shrink, b->reps);
    mshrink_m = median(mshrink, b->reps);
    printf("  median (%s): grow %.2f s vs %.2f s (%.2fx), shrink %.2f s vs"
           " %.2f s (%.2fx)\n", memhp, grow_m, mgrow_m, grow_m / mgrow_m,
           shrink_m, mshrink_m, shrink_m / mshrink_m);
#define J(k, v) do { g_autofree char *key = g_strconcat(prefix, k, NULL); \
                     json_num(b, key, v); } while (0)
    J("grow_s", grow_m);
    J("manual_grow_s", mgrow_m);
    J("shrink_s", shrink_m);
    J("manual_shrink_s", mshrink_m);
#undef J
}

static void bench_resize(Bench *b)
{
    bench_resize_one(b, "online_movable", "");
    /* As many distributions online hot-plugged memory: no movable zone. */
    bench_resize_one(b, "online", "no_movable_");
}

/* ---- 3. host CPU per GiB inflated ---- */

/* User and system CPU seconds of process @pid, all threads. */
static void proc_cpu(GPid pid, double *user, double *sys)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    char *p;
    double hz = sysconf(_SC_CLK_TCK);

    if (!g_file_get_contents(path, &text, NULL, NULL) ||
        !(p = strrchr(text, ')'))) {
        fprintf(stderr, "ubf-bench: cannot read %s\n", path);
        exit(1);
    }
    f = g_strsplit(p + 2, " ", -1);
    /* fields after ')' start at field 3; utime is 14, stime 15 */
    *user = g_ascii_strtod(f[11], NULL) / hz;
    *sys = g_ascii_strtod(f[12], NULL) / hz;
}

static bool write_proc(const char *path, const char *value)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(value, f) >= 0;

    return f ? fclose(f) == 0 && ok : false;
}

/*
 * The host as each VM of the CPU part finds it: page cache dropped and
 * free memory compacted, so that huge pages are as available to one VM
 * as to the next.  Discarding 4 KiB of a huge page splits it, which
 * costs system time that a 4 KiB page does not: how much of the guest's
 * RAM is THP-backed (QEMU asks for it; the host's THP mode is madvise
 * or always) decides the figure, and what ran before decides how much
 * is.  Root only (nothing is changed for good); false if it could not.
 */
static bool host_settle(void)
{
    sync();
    return write_proc("/proc/sys/vm/drop_caches", "3") &&
           write_proc("/proc/sys/vm/compact_memory", "1");
}

typedef struct CpuRun {
    double sys_ms, user_ms;     /* QEMU's CPU per GiB inflated */
    gint64 thp_mib;             /* its THP-backed RAM before, MiB */
} CpuRun;

/* One VM of @qemu: 2 GiB inflated (after 2 GiB touched and freed). */
static void bench_inflate_cpu_one(Bench *b, const char *qemu,
                                  const char *label, CpuRun *run)
{
    g_autoptr(UbfVm) vm = start_vm(qemu, 3072, 0, "virtio_balloon");
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) touched = NULL;
    UbfGuestMem boot;
    double u0, s0, u1, s1;

    ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err);
    die_on(err, "meminfo");
    /* Populate guest memory on the host first, as a used guest has. */
    touched = ubf_agent_command(ubf_vm_agent(vm), "alloc 2048", 300000,
                                &err);
    die_on(err, "alloc");
    g_clear_pointer(&touched, json_object_unref);
    touched = ubf_agent_command(ubf_vm_agent(vm), "free", 60000, &err);
    die_on(err, "free");
    g_usleep(500 * 1000);

    /* its guest RAM backed by transparent huge pages (THP) */
    run->thp_mib = ubf_vm_proc_kib(vm, "smaps_rollup", "AnonHugePages") /
                   1024;
    proc_cpu(ubf_vm_pid(vm), &u0, &s0);
    qmp_ok(vm, "balloon", "{\"value\": 1073741824}");     /* 2 GiB out */
    wait_memtotal(b, vm, g_get_monotonic_time(),
                  boot.memtotal_kib - 2048 * KIB_PER_MIB, "inflate", label);
    proc_cpu(ubf_vm_pid(vm), &u1, &s1);
    run->sys_ms = (s1 - s0) * 1000 / 2;
    run->user_ms = (u1 - u0) * 1000 / 2;
}

static double cpu_sys(const CpuRun *r)
{
    return r->sys_ms;
}

static double cpu_user(const CpuRun *r)
{
    return r->user_ms;
}

/* Median, min and max of @f over @runs. */
static void cpu_stats(const CpuRun *runs, int n, double (*f)(const CpuRun *),
                      double *med, double *lo, double *hi)
{
    g_autofree double *v = g_new(double, n);
    int i;

    for (i = 0; i < n; i++) {
        v[i] = f(&runs[i]);
    }
    *med = median(v, n);          /* sorts */
    *lo = v[0];
    *hi = v[n - 1];
}

/*
 * Ours and the baseline, interleaved repetition by repetition (A B A B),
 * each VM on a settled host.  The system time is the discard path's;
 * the goal is at most 0.5x the baseline's, and the bench fails past it.
 */
static void bench_inflate_cpu(Bench *b)
{
    g_autofree CpuRun *o = g_new0(CpuRun, b->reps);
    g_autofree CpuRun *base = g_new0(CpuRun, b->reps);
    double so, so_lo, so_hi, sb, sb_lo, sb_hi, uo, uo_lo, uo_hi;
    double ub, ub_lo, ub_hi, ratio;
    bool settled = true;
    int r;

    for (r = 0; r < b->reps; r++) {
        settled &= host_settle();
        bench_inflate_cpu_one(b, b->ours, "ours", &o[r]);
        settled &= host_settle();
        bench_inflate_cpu_one(b, b->baseline, "baseline", &base[r]);
        printf("  repetition %d: ours system %.1f ms/GiB (THP %" G_GINT64_FORMAT
               " MiB), baseline %.1f ms/GiB (THP %" G_GINT64_FORMAT
               " MiB): %.2fx\n", r + 1, o[r].sys_ms, o[r].thp_mib,
               base[r].sys_ms, base[r].thp_mib,
               base[r].sys_ms > 0 ? o[r].sys_ms / base[r].sys_ms : 0);
    }
    if (!settled) {
        printf("  (host not settled between VMs: drop_caches and "
               "compact_memory need root)\n");
    }
    cpu_stats(o, b->reps, cpu_sys, &so, &so_lo, &so_hi);
    cpu_stats(base, b->reps, cpu_sys, &sb, &sb_lo, &sb_hi);
    cpu_stats(o, b->reps, cpu_user, &uo, &uo_lo, &uo_hi);
    cpu_stats(base, b->reps, cpu_user, &ub, &ub_lo, &ub_hi);
    ratio = sb > 0 ? so / sb : 0;
    printf("  %-9s system %7.1f ms/GiB (%.1f-%.1f), user %7.1f ms/GiB "
           "(%.1f-%.1f)\n", "ours", so, so_lo, so_hi, uo, uo_lo, uo_hi);
    printf("  %-9s system %7.1f ms/GiB (%.1f-%.1f), user %7.1f ms/GiB "
           "(%.1f-%.1f)\n", "baseline", sb, sb_lo, sb_hi, ub, ub_lo, ub_hi);
    printf("  ratio (system time: the discard path): %.2fx%s\n", ratio,
           so_hi < sb_lo ? "" : "  (the spreads overlap: not conclusive)");
    if (ratio > 0.5) {
        printf("  FAIL: the goal is at most 0.5x\n");
        b->failed = true;
    }
    json_num(b, "inflate_host_cpu_ms_per_gib", so);
    json_num(b, "inflate_host_cpu_ms_per_gib_min", so_lo);
    json_num(b, "inflate_host_cpu_ms_per_gib_max", so_hi);
    json_num(b, "baseline_inflate_host_cpu_ms_per_gib", sb);
    json_num(b, "baseline_inflate_host_cpu_ms_per_gib_min", sb_lo);
    json_num(b, "baseline_inflate_host_cpu_ms_per_gib_max", sb_hi);
    json_num(b, "inflate_host_user_ms_per_gib", uo);
    json_num(b, "baseline_inflate_host_user_ms_per_gib", ub);
    json_num(b, "inflate_host_settled", settled);
}

/* ---- 4. memory overhead with 1 TiB of sparse virtio-mem ---- */

static gint64 bench_rss_one(const char *qemu)
{
    const char *extra[] = {
        "-cpu", "qemu64,phys-bits=46",
        "-object", "memory-backend-ram,id=big,size=1T,reserve=off",
        "-device", "virtio-mem-pci,id=bigmem,memdev=big",
        NULL
    };
    UbfVmConfig cfg = {
        .qemu = qemu,
        .boot_mib = 1024,
        .maxmem_mib = 1024 + 1024 * 1024,
        .virtio_balloon = TRUE,
        .no_guest = TRUE,
        .extra = extra,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);

    die_on(err, "1 TiB virtio-mem VM");
    qmp_ok(vm, "query-memory-devices", NULL);
    return ubf_vm_rss_kib(vm);
}

static void bench_memory(Bench *b)
{
    gint64 ours = bench_rss_one(b->ours);
    gint64 base = bench_rss_one(b->baseline);

    printf("  RSS with 1 TiB virtio-mem capacity: ours %" G_GINT64_FORMAT
           " KiB, baseline %" G_GINT64_FORMAT " KiB, frontend %+"
           G_GINT64_FORMAT " KiB\n", ours, base, ours - base);
    json_num(b, "rss_1tib_kib", ours);
    json_num(b, "baseline_rss_1tib_kib", base);
    json_num(b, "frontend_overhead_1tib_kib", ours - base);
}

/* ---- 4b. scale: 1 TiB, 64 nodes, a virtio-mem device per node ---- */

#define SCALE_NODES 64
#define SCALE_NODE_BOOT_MIB 128
#define SCALE_BRIDGE_SLOTS 30

/*
 * A paused VM with 1 TiB of maxmem over 64 NUMA nodes, each with
 * 128 MiB of boot RAM and a virtio-mem device for its share of the rest
 * (reserve=off: nothing is allocated).  64 devices need more slots than
 * pcie.0 has: they sit behind PCIe-to-PCI bridges.
 */
/* Rounds of the three calls: a p99 needs 1000 of each. */
#define SCALE_ROUNDS 1000

static UbfVm *scale_vm(const char *qemu)
{
    const guint64 vmem_mib = (1024 * 1024 - SCALE_NODES *
                              SCALE_NODE_BOOT_MIB) / SCALE_NODES;
    g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
    UbfVmConfig cfg = {
        .qemu = qemu,
        .boot_mib = SCALE_NODES * SCALE_NODE_BOOT_MIB,
        .nodes = SCALE_NODES,
        .maxmem_mib = 1024 * 1024,
        .no_guest = TRUE,
    };
    g_autoptr(GError) err = NULL;
    UbfVm *vm;
    guint i;

    g_ptr_array_add(extra, g_strdup("-cpu"));
    g_ptr_array_add(extra, g_strdup("qemu64,phys-bits=46"));
    for (i = 0; i < SCALE_NODES; i++) {
        if (i % SCALE_BRIDGE_SLOTS == 0) {
            g_ptr_array_add(extra, g_strdup("-device"));
            g_ptr_array_add(extra, g_strdup_printf(
                "pcie-pci-bridge,id=br%u,bus=pcie.0", i / SCALE_BRIDGE_SLOTS));
        }
        g_ptr_array_add(extra, g_strdup("-object"));
        g_ptr_array_add(extra, g_strdup_printf(
            "memory-backend-ram,id=vmem-mem%u,size=%" G_GUINT64_FORMAT
            "M,reserve=off", i, vmem_mib));
        g_ptr_array_add(extra, g_strdup("-device"));
        g_ptr_array_add(extra, g_strdup_printf(
            "virtio-mem-pci,id=vmem%u,memdev=vmem-mem%u,node=%u,bus=br%u,"
            "addr=0x%x", i, i, i, i / SCALE_BRIDGE_SLOTS,
            i % SCALE_BRIDGE_SLOTS + 1));
    }
    g_ptr_array_add(extra, NULL);
    cfg.extra = (const char *const *)extra->pdata;
    vm = ubf_vm_start(&cfg, &err);
    die_on(err, "1 TiB, 64-node VM");
    return vm;
}

/* A memory-resize asking each node for its boot RAM plus @plus_mib. */
static char *scale_request(guint plus_mib)
{
    g_autoptr(GString) s = g_string_new("{\"nodes\": [");
    guint i;

    for (i = 0; i < SCALE_NODES; i++) {
        g_string_append_printf(s, "%s{\"node\": %u, \"size\": %"
                               G_GUINT64_FORMAT "}", i ? ", " : "", i,
                               (guint64)(SCALE_NODE_BOOT_MIB + plus_mib) *
                               1024 * 1024);
    }
    g_string_append(s, "]}");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void bench_scale(Bench *b)
{
    g_autoptr(UbfVm) vm = scale_vm(b->ours);
    g_autoptr(GArray) floor = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) query = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) plan = g_array_new(FALSE, FALSE, sizeof(double));
    g_autofree char *grow = scale_request(2048);
    g_autofree char *shrink = scale_request(0);
    gint64 ours_after, base;
    int i;

    /*
     * The same calls, interleaved, so the host's noise weighs alike; a
     * p99 over SCALE_ROUNDS (at least 1000) calls of each.
     */
    for (i = 0; i < SCALE_ROUNDS; i++) {
        double t;

        t = qmp_rtt_ms(vm, "query-status", NULL);
        g_array_append_val(floor, t);
        t = qmp_rtt_ms(vm, "query-memory-resize", NULL);
        g_array_append_val(query, t);
        t = qmp_rtt_ms(vm, "memory-resize", i & 1 ? shrink : grow);
        g_array_append_val(plan, t);
    }
    ours_after = ubf_vm_rss_kib(vm);
    g_clear_pointer(&vm, ubf_vm_free);
    /*
     * Stock QEMU after as many calls (what start-up allocates and frees
     * settles by then: the figures at start differ by hundreds of MiB
     * from one run to the next, for either binary).
     */
    vm = scale_vm(b->baseline);
    for (i = 0; i < 3 * SCALE_ROUNDS; i++) {
        qmp_ok(vm, "query-status", NULL);
    }
    base = ubf_vm_rss_kib(vm);

    printf("  QMP round trip p50/p99: query-status %.3f/%.3f ms (the floor),"
           " query-memory-resize %.3f/%.3f ms, memory-resize of 64 nodes "
           "%.3f/%.3f ms\n",
           percentile(floor, 0.5), percentile(floor, 0.99),
           percentile(query, 0.5), percentile(query, 0.99),
           percentile(plan, 0.5), percentile(plan, 0.99));
    printf("  RSS after %d calls: ours %" G_GINT64_FORMAT " KiB, baseline %"
           G_GINT64_FORMAT " KiB, frontend %+" G_GINT64_FORMAT " KiB\n",
           3 * SCALE_ROUNDS, ours_after, base, ours_after - base);
    json_num(b, "scale_qmp_floor_p50_ms", percentile(floor, 0.5));
    json_num(b, "scale_query_p50_ms", percentile(query, 0.5));
    json_num(b, "scale_query_p99_ms", percentile(query, 0.99));
    json_num(b, "scale_resize_p50_ms", percentile(plan, 0.5));
    json_num(b, "scale_resize_p99_ms", percentile(plan, 0.99));
    json_num(b, "scale_rss_kib", ours_after);
    json_num(b, "scale_baseline_rss_kib", base);
    json_num(b, "scale_frontend_kib", ours_after - base);
}

/* ---- 5. hv-balloon: RangeSet against GTree, and against virtio ---- */

typedef struct HvRun {
    double shrink_s, grow_s;            /* 1.5 GiB each way */
    double shrink_sys_ms, shrink_user_ms;   /* QEMU's CPU per GiB */
    double grow_sys_ms, grow_user_ms;
} HvRun;

/*
 * A 2 GiB Linux guest: shrink to 512 MiB and grow back with 'balloon',
 * timed until its MemTotal settles, and the QEMU process's CPU measured.
 * With @hv the guest runs hv_balloon on hv-balloon (Hyper-V under TCG),
 * else virtio_balloon.  hv-balloon holds requests for 50 s after its
 * driver connects: a 4 MiB balloon first tells when it listens.
 */
static void bench_hv_run(Bench *b, const char *qemu, bool hv, HvRun *run)
{
    const char *extra[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-global", "ICH9-LPC.disable_s4=1",
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=2G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem",
        NULL
    };
    UbfVmConfig cfg = {
        .qemu = qemu,
        .boot_mib = 2048,
        .virtio_balloon = !hv,
        .modules = hv ? "hv_vmbus,hv_balloon" : "virtio_balloon",
        .extra = hv ? extra : NULL,
        .maxmem_mib = hv ? UBF_VM_HV_MAXMEM_MIB : 0,
        .boot_timeout_ms = 240000,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonObject) touched = NULL;
    UbfGuestMem boot;
    double u0, s0, u1, s1;
    gint64 t0;

    die_on(err, qemu);
    ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err);
    die_on(err, "meminfo");
    touched = ubf_agent_command(ubf_vm_agent(vm), "alloc 1536", 300000, &err);
    die_on(err, "alloc");
    g_clear_pointer(&touched, json_object_unref);
    touched = ubf_agent_command(ubf_vm_agent(vm), "free", 60000, &err);
    die_on(err, "free");

    qmp_ok(vm, "balloon", "{\"value\": 2143289344}");     /* 4 MiB out */
    wait_memtotal(b, vm, g_get_monotonic_time(),
                  boot.memtotal_kib - 4 * KIB_PER_MIB, "hv-ready", "");

    proc_cpu(ubf_vm_pid(vm), &u0, &s0);
    t0 = g_get_monotonic_time();
    qmp_ok(vm, "balloon", "{\"value\": 536870912}");
    run->shrink_s = wait_memtotal(b, vm, t0, boot.memtotal_kib -
                                  1536 * KIB_PER_MIB, "hv-shrink", "");
    proc_cpu(ubf_vm_pid(vm), &u1, &s1);
    run->shrink_sys_ms = (s1 - s0) * 1000 / 1.5;
    run->shrink_user_ms = (u1 - u0) * 1000 / 1.5;

    t0 = g_get_monotonic_time();
    qmp_ok(vm, "balloon", "{\"value\": 2147483648}");
    run->grow_s = wait_memtotal(b, vm, t0, boot.memtotal_kib, "hv-grow", "");
    proc_cpu(ubf_vm_pid(vm), &u0, &s0);
    run->grow_sys_ms = (s0 - s1) * 1000 / 1.5;
    run->grow_user_ms = (u0 - u1) * 1000 / 1.5;
}

static void bench_hv(Bench *b, const char *baseline_hv)
{
    static const char *const names[] = { "hv (ours)", "hv (GTree)",
                                         "virtio" };
    static const char *const keys[] = { "hv_", "baseline_hv_", "virtio_" };
    HvRun runs[3][8], med[3];
    FILE *series = b->series;
    double v[8];
    int f, r;

    b->series = NULL;           /* the plot is the resize part's */
    for (r = 0; r < b->reps; r++) {
        bench_hv_run(b, b->ours, true, &runs[0][r]);
        bench_hv_run(b, baseline_hv, true, &runs[1][r]);
        bench_hv_run(b, b->ours, false, &runs[2][r]);
        for (f = 0; f < 3; f++) {
            printf("  rep %d: %-10s shrink %.2f s, grow %.2f s, user %.0f/%.0f "
                   "ms/GiB\n", r + 1, names[f], runs[f][r].shrink_s,
                   runs[f][r].grow_s, runs[f][r].shrink_user_ms,
                   runs[f][r].grow_user_ms);
        }
    }
    b->series = series;
    for (f = 0; f < 3; f++) {
#define MED(field) do { \
        for (r = 0; r < b->reps; r++) { v[r] = runs[f][r].field; } \
        med[f].field = median(v, b->reps); } while (0)
        MED(shrink_s);
        MED(grow_s);
        MED(shrink_sys_ms);
        MED(shrink_user_ms);
        MED(grow_sys_ms);
        MED(grow_user_ms);
#undef MED
        printf("  %-10s shrink 1.5 GiB %6.2f s (%5.1f GB/min), grow %6.2f s "
               "(%5.1f GB/min) | CPU per GiB: shrink sys %6.1f user %7.1f "
               "ms, grow sys %6.1f user %7.1f ms\n", names[f],
               med[f].shrink_s, 1.5 * 1.073741824 * 60 / med[f].shrink_s,
               med[f].grow_s, 1.5 * 1.073741824 * 60 / med[f].grow_s,
               med[f].shrink_sys_ms, med[f].shrink_user_ms,
               med[f].grow_sys_ms, med[f].grow_user_ms);
#define J(k, val) do { g_autofree char *key = g_strconcat(keys[f], k, NULL); \
                       json_num(b, key, val); } while (0)
        J("shrink_gb_per_min", 1.5 * 1.073741824 * 60 / med[f].shrink_s);
        J("grow_gb_per_min", 1.5 * 1.073741824 * 60 / med[f].grow_s);
        J("shrink_sys_ms_per_gib", med[f].shrink_sys_ms);
        J("shrink_user_ms_per_gib", med[f].shrink_user_ms);
        J("grow_sys_ms_per_gib", med[f].grow_sys_ms);
        J("grow_user_ms_per_gib", med[f].grow_user_ms);
#undef J
    }
}

/* ---- 6. migration: the bytes our state adds, and the downtime ---- */

/*
 * The bytes of the section whose id ends with @name in the migration
 * stream saved at @path, from its header to its footer; 0 if it is not
 * there.  A full section is QEMU_VM_SECTION_FULL (4), its id (4 bytes),
 * the length and bytes of its name, instance and version (4 bytes
 * each), the data, then QEMU_VM_SECTION_FOOTER (0x7e) and the id again.
 */
static gint64 section_bytes(const guint8 *buf, gsize len, const char *name)
{
    gsize i, n = strlen(name);

    for (i = 0; i + 6 < len; i++) {
        gsize l = buf[i + 5], end, j;
        const guint8 *id = buf + i + 1;

        if (buf[i] != 4 || l < n || i + 6 + l + 8 > len ||
            memcmp(buf + i + 6 + l - n, name, n) ||
            (l > n && buf[i + 6 + l - n - 1] != '/')) {
            continue;
        }
        end = i + 6 + l + 8;
        for (j = end; j + 5 <= len; j++) {
            if (buf[j] == 0x7e && !memcmp(buf + j + 1, id, 4)) {
                return j + 5 - i;
            }
        }
    }
    return 0;
}

typedef struct MigRun {
    double downtime_ms;
    gint64 frontend_bytes, record_bytes, hv_bytes;
} MigRun;

/* Live-migrate @vm (@cfg) to a new QEMU; downtime; then save to a file. */
static void bench_migrate_vm(Bench *b, UbfVm **vm, const UbfVmConfig *cfg,
                             MigRun *run)
{
    UbfVmConfig dcfg = *cfg;
    g_autoptr(UbfVm) dst = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) info = NULL;
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;
    gsize len;

    dcfg.incoming = "defer";
    dst = ubf_vm_start(&dcfg, &err);
    die_on(err, "destination");
    ubf_vm_migrate(*vm, dst, 600000, &err);
    die_on(err, "migrate");
    info = ubf_qmp_execute(ubf_vm_qmp(*vm), "query-migrate", NULL, 10000,
                           &err);
    die_on(err, "query-migrate");
    run->downtime_ms = json_object_get_int_member_with_default(
        json_node_get_object(info), "downtime", -1);

    path = g_build_filename(b->outdir, "migration.bin", NULL);
    ubf_vm_save(dst, path, 600000, &err);
    die_on(err, "save");
    g_file_get_contents(path, &data, &len, &err);
    die_on(err, path);
    run->frontend_bytes = section_bytes((guint8 *)data, len,
                                        "balloon-frontend");
    run->record_bytes = section_bytes((guint8 *)data, len,
                                      "ubf-virtio-balloon-pages");
    run->hv_bytes = section_bytes((guint8 *)data, len, "hv-balloon");
    g_unlink(path);
    g_clear_pointer(vm, ubf_vm_free);
}

/*
 * The same guest on ours and on stock: virtio-balloon and virtio-mem on
 * 2 NUMA nodes, resized (a virtio-mem plugged, pages ballooned), ours
 * with a balloon-frontend object: everything of ours that can go in the
 * stream does.  Then hv-balloon with memory hot-added and ballooned,
 * against stock hv-balloon (which migrates without its state).
 */
static void bench_migration(Bench *b, const char *baseline_hv)
{
    static const char *obj[] = {
        "-object", "balloon-frontend,id=bf0", NULL
    };
    const char *hv[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-global", "ICH9-LPC.disable_s4=1",
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=2G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem",
        NULL
    };
    MigRun runs[4][8];
    double v[8];
    int f, r;

    for (r = 0; r < b->reps; r++) {
        for (f = 0; f < 4; f++) {
            gboolean virtio = f < 2, stock = f % 2;
            UbfVmConfig cfg = {
                .qemu = stock ? (virtio ? b->baseline : baseline_hv)
                              : b->ours,
                .boot_mib = 1024,
                .nodes = virtio ? 2 : 0,
                .virtio_balloon = virtio,
                .virtio_mem_mib = virtio ? 512 : 0,
                .maxmem_mib = virtio ? 0 : UBF_VM_HV_MAXMEM_MIB,
                .modules = virtio ? "virtio_balloon,virtio_mem"
                                  : "hv_vmbus,hv_balloon",
                .extra = virtio ? (stock ? NULL : obj) : hv,
                .boot_timeout_ms = 240000,
            };
            g_autoptr(GError) err = NULL;
            UbfGuestMem boot;
            UbfVm *vm;

            if (!cfg.qemu) {
                memset(&runs[f][r], 0, sizeof(runs[f][r]));
                continue;
            }
            vm = ubf_vm_start(&cfg, &err);
            die_on(err, cfg.qemu);
            ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err);
            die_on(err, "meminfo");
            if (virtio) {
                /*
                 * 256 MiB into the balloon, then 256 MiB plugged: 'balloon'
                 * means the same on both as long as nothing is plugged.
                 */
                qmp_ok(vm, "balloon", "{\"value\": 805306368}");
                wait_memtotal(b, vm, g_get_monotonic_time(),
                              boot.memtotal_kib - 256 * KIB_PER_MIB, "mig",
                              "");
                qmp_ok(vm, "qom-set", "{\"path\": "
                       "\"/machine/peripheral/vmem0\", \"property\": "
                       "\"requested-size\", \"value\": 268435456}");
                wait_memtotal(b, vm, g_get_monotonic_time(),
                              boot.memtotal_kib, "mig", "");
            } else {
                /* After hv-balloon's hold: hot-add 512 MiB, balloon 256. */
                qmp_ok(vm, "balloon", "{\"value\": 1610612736}");
                wait_memtotal(b, vm, g_get_monotonic_time(),
                              boot.memtotal_kib + 512 * KIB_PER_MIB, "mig",
                              "");
                qmp_ok(vm, "balloon", "{\"value\": 1342177280}");
                wait_memtotal(b, vm, g_get_monotonic_time(),
                              boot.memtotal_kib + 256 * KIB_PER_MIB, "mig",
                              "");
            }
            bench_migrate_vm(b, &vm, &cfg, &runs[f][r]);
            printf("  rep %d: %-14s downtime %4.0f ms, our sections %" G_GINT64_FORMAT
                   " + %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT " bytes\n", r + 1,
                   f == 0 ? "virtio ours" : f == 1 ? "virtio stock" :
                   f == 2 ? "hv ours" : "hv stock", runs[f][r].downtime_ms,
                   runs[f][r].frontend_bytes, runs[f][r].record_bytes,
                   runs[f][r].hv_bytes);
        }
    }
    for (f = 0; f < 4; f++) {
        static const char *const keys[] = {
            "mig_virtio_", "baseline_mig_virtio_", "mig_hv_",
            "baseline_mig_hv_"
        };
        g_autofree char *k1 = g_strconcat(keys[f], "downtime_ms", NULL);
        g_autofree char *k2 = g_strconcat(keys[f], "added_bytes", NULL);

        for (r = 0; r < b->reps; r++) {
            v[r] = runs[f][r].downtime_ms;
        }
        json_num(b, k1, median(v, b->reps));
        json_num(b, k2, runs[f][0].frontend_bytes + runs[f][0].record_bytes +
                 runs[f][0].hv_bytes);
        printf("  %-14s downtime median %4.0f ms, our state %" G_GINT64_FORMAT
               " bytes (frontend %" G_GINT64_FORMAT ", page record %" G_GINT64_FORMAT
               ", hv-balloon %" G_GINT64_FORMAT ")\n",
               f == 0 ? "virtio ours" : f == 1 ? "virtio stock" :
               f == 2 ? "hv ours" : "hv stock", median(v, b->reps),
               runs[f][0].frontend_bytes + runs[f][0].record_bytes +
               runs[f][0].hv_bytes, runs[f][0].frontend_bytes,
               runs[f][0].record_bytes, runs[f][0].hv_bytes);
    }
}

/* ---- 8. Automatic sizing against a MoM-like policy and a static VM ---- */

#define AUTO_MIN_MIB 768
#define AUTO_MAX_MIB 3072
#define AUTO_PEAK_MIB 1536
#define AUTO_WINDOW_S 120       /* from the workload's start */
#define MOM_PERIOD_US (10 * G_USEC_PER_SEC)
#define MOM_STEP_MIB (AUTO_MAX_MIB * 5 / 100)

typedef struct AutoRun {
    const char *policy;
    guint64 static_mib;         /* static: the VM's size */
    gint64 oom_kills;
    const char *result;
    GArray *latency_s;          /* shortfall -> first growth */
    double avg_mib, peak_mib, peak_demand_mib, return_s;
} AutoRun;

static JsonObject *bench_agent(UbfVm *vm, const char *command)
{
    g_autoptr(GError) err = NULL;
    JsonObject *ret = ubf_agent_command(ubf_vm_agent(vm), command, 30000,
                                        &err);

    die_on(err, command);
    return ret;
}

/*
 * MoM's default balloon rule, every 10 s: the guest's free memory below
 * 20 % of its size: give it 5 % of its maximum; above 40 %: take 5 %.
 */
static void bench_mom_step(UbfVm *vm, gint64 actual_mib, gint64 avail_mib)
{
    g_autofree char *args = NULL;
    gint64 want = actual_mib;

    if (avail_mib * 100 < actual_mib * 20) {
        want = MIN(actual_mib + MOM_STEP_MIB, AUTO_MAX_MIB);
    } else if (avail_mib * 100 > actual_mib * 40) {
        want = MAX(actual_mib - MOM_STEP_MIB, AUTO_MIN_MIB);
    }
    if (want != actual_mib) {
        args = g_strdup_printf("{\"value\": %" G_GINT64_FORMAT "}",
                               want * MIB);
        qmp_ok(vm, "balloon", args);
    }
}

static void bench_auto_one(Bench *b, FILE *csv, AutoRun *r)
{
    bool ours = !strcmp(r->policy, "ours");
    bool mom = !strcmp(r->policy, "mom");
    const char *auto_obj[] = {
        "-object", "balloon-frontend,id=bf0,auto=on,auto-minimum=768M,"
        "auto-maximum=3G", NULL };
    UbfVmConfig cfg = {
        .qemu = b->ours,
        /* static: sized for the peak, never resized */
        .boot_mib = mom || ours ? 1024 : r->static_mib,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = mom || ours ? 2048 : 0,
        .modules = mom || ours ? "virtio_balloon,virtio_mem"
                               : "virtio_balloon",
        .extra = ours ? auto_obj : NULL,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonObject) st0 = NULL;
    gint64 t0, t_end = -1, next_mom, sum = 0, before_mib;
    gint64 short_since = -1, short_size = 0;
    const char *event = "workload-start";
    int n = 0;

    die_on(err, "start");
    if (mom) {
        qmp_ok(vm, "balloon", "{\"value\": 805306368}");
    }
    if (!ours) {
        /* ours settles to its minimum by itself; the others are there */
        g_usleep(2 * G_USEC_PER_SEC);
    } else {
        while (ubf_vm_qmp_int(vm, "query-balloon", "actual", &err) >
               AUTO_MIN_MIB * MIB) {
            die_on(err, "query-balloon");
            g_usleep(250 * 1000);
        }
    }
    before_mib = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err) / MIB;
    st0 = bench_agent(vm, "workload-status");
    json_object_unref(bench_agent(vm, "workload 64 1536 15"));
    t0 = g_get_monotonic_time();
    next_mom = t0 + MOM_PERIOD_US;
    r->latency_s = g_array_new(FALSE, FALSE, sizeof(double));
    r->return_s = -1;
    for (;;) {
        gint64 now = g_get_monotonic_time();
        double t = (now - t0) / 1e6;
        gint64 actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);
        g_autoptr(JsonObject) mi = bench_agent(vm, "meminfo");
        gint64 avail = json_object_get_int_member(mi, "memavailable_kib") *
                       1024;
        gint64 demand = actual - avail;

        die_on(err, "query-balloon");
        fprintf(csv, "%s,%.2f,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%s\n",
                r->policy, t, actual / MIB, MAX(demand, 0) / MIB, event);
        event = "";
        sum += actual / MIB;
        n++;
        r->peak_mib = MAX(r->peak_mib, actual / MIB);
        r->peak_demand_mib = MAX(r->peak_demand_mib, demand / MIB);
        /* a shortfall: less free than 20 % of the demand */
        if (short_since < 0 && avail * 5 < demand) {
            short_since = now;
            short_size = actual;
        } else if (short_since >= 0 && actual > short_size) {
            double lat = (now - short_since) / 1e6;

            g_array_append_val(r->latency_s, lat);
            short_since = -1;
        } else if (short_since >= 0 && avail * 5 >= demand) {
            short_since = -1;       /* it passed without growing */
        }
        if (mom && now >= next_mom) {
            bench_mom_step(vm, actual / MIB, avail / MIB);
            next_mom += MOM_PERIOD_US;
        }
        if (t_end < 0) {
            g_autoptr(JsonObject) st = bench_agent(vm, "workload-status");

            if (!json_object_get_boolean_member(st, "running")) {
                t_end = now;
                r->result = g_intern_string(
                    json_object_get_string_member(st, "result"));
                r->oom_kills = json_object_get_int_member(st, "oom_kills") -
                               json_object_get_int_member(st0, "oom_kills");
                /* on the next sample: the plot marks it */
                event = r->oom_kills ? "oom-kill" : "workload-end";
            }
        } else if (r->return_s < 0 &&
                   actual / MIB <= MAX(before_mib, AUTO_MIN_MIB) + 64) {
            r->return_s = (now - t_end) / 1e6;
        }
        if (t >= AUTO_WINDOW_S) {
            break;
        }
        g_usleep(250 * 1000);
    }
    r->avg_mib = n ? (double)sum / n : 0;
    if (!r->result) {
        r->result = "still running";
    }
}

static void bench_auto(Bench *b)
{
    static AutoRun runs[] = {
        { .policy = "ours" }, { .policy = "mom" }, { .policy = "static" },
    };
    g_autofree char *path = g_build_filename(b->outdir, "auto-series.csv",
                                             NULL);
    FILE *csv = fopen(path, "w");
    guint i;

    if (!csv) {
        perror(path);
        exit(1);
    }
    fprintf(csv, "policy,t_s,size_mib,demand_mib,event\n");
    for (i = 0; i < G_N_ELEMENTS(runs); i++) {
        AutoRun *r = &runs[i];
        g_autofree char *key = NULL;

        /*
         * The static VM is sized for the peak as ours measured it: its
         * peak demand plus the same 20 % buffer, in 128 MiB.
         */
        r->static_mib = ((guint64)(runs[0].peak_demand_mib * 1.2) + 127) /
                        128 * 128;
        bench_auto_one(b, csv, r);
        if (r->latency_s->len) {
            g_autofree char *lat = g_strdup_printf(
                "%u shortfalls, ->growth p50 %.1f s p99 %.1f s",
                r->latency_s->len, percentile(r->latency_s, 0.5),
                percentile(r->latency_s, 0.99));

            key = g_steal_pointer(&lat);
        } else {
            key = g_strdup("no shortfall");
        }
        printf("  %-7s workload %s, OOM kills %" G_GINT64_FORMAT ", %s, "
               "average %.0f MiB (peak %.0f), returned in %.1f s\n",
               r->policy, r->result, r->oom_kills, key, r->avg_mib,
               r->peak_mib, r->return_s);
        g_free(key);
        key = g_strdup_printf("auto_%s_oom_kills", r->policy);
        json_num(b, key, r->oom_kills);
        g_free(key);
        key = g_strdup_printf("auto_%s_growth_p50_s", r->policy);
        json_num(b, key, r->latency_s->len ? percentile(r->latency_s, 0.5)
                                           : -1);
        g_free(key);
        key = g_strdup_printf("auto_%s_growth_p99_s", r->policy);
        json_num(b, key, r->latency_s->len ? percentile(r->latency_s, 0.99)
                                           : -1);
        g_free(key);
        key = g_strdup_printf("auto_%s_avg_mib", r->policy);
        json_num(b, key, r->avg_mib);
        g_free(key);
        key = g_strdup_printf("auto_%s_return_s", r->policy);
        json_num(b, key, r->return_s);
        g_array_free(r->latency_s, TRUE);
    }
    printf("  static VM: %" G_GUINT64_FORMAT " MiB (ours' peak demand %.0f"
           " MiB + 20 %%); ours averages %.2fx its memory\n",
           runs[2].static_mib, runs[0].peak_demand_mib,
           runs[0].avg_mib / runs[2].avg_mib);
    json_num(b, "auto_ours_vs_static", runs[0].avg_mib / runs[2].avg_mib);
    fclose(csv);
}

/* Is part @name asked for (all are without --only)? */
static bool bench_wanted(const char *only, const char *name)
{
    g_auto(GStrv) parts = NULL;

    if (!only) {
        return true;
    }
    parts = g_strsplit(only, ",", -1);
    return g_strv_contains((const char * const *)parts, name);
}

int main(int argc, char **argv)
{
    gboolean version = FALSE;
    g_autofree char *ours = NULL, *baseline = NULL, *outdir = NULL;
    g_autofree char *baseline_hv = NULL;
    g_autofree char *range_json = NULL, *only = NULL;
    int reps = 3;
    GOptionEntry entries[] = {
        { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &ours, "our QEMU", "PATH" },
        { "baseline", 0, 0, G_OPTION_ARG_FILENAME, &baseline,
          "baseline QEMU", "PATH" },
        { "baseline-hv", 0, 0, G_OPTION_ARG_FILENAME, &baseline_hv,
          "stock QEMU with Hyper-V under TCG only (stock hv-balloon)",
          "PATH" },
        { "out", 0, 0, G_OPTION_ARG_FILENAME, &outdir, "output folder",
          "DIR" },
        { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "repetitions (1-8)", "N" },
        { "range-json", 0, 0, G_OPTION_ARG_STRING, &range_json,
          "bench-range's JSON line, merged in", "JSON" },
        { "only", 0, 0, G_OPTION_ARG_STRING, &only,
          "run only these parts (comma list: latency, resize, cpu, memory, "
          "scale, hv, migration, auto)",
          "PARTS" },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { NULL }
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- benchmarks");
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *path = NULL;
    Bench b = { 0 };

    /* Lines in order with what goes to stderr, through tee too */
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (g_option_context_parse(ctx, &argc, &argv, &err) && version) {
        ubf_print_version("ubf-bench");
        return 0;
    }
    if (err || !ours ||
        !baseline || !outdir || reps < 1 || reps > 8) {
        fprintf(stderr, "ubf-bench: %s\n", err ? err->message :
                "--qemu, --baseline and --out are needed, --reps 1 to 8");
        return 1;
    }
    b.ours = ours;
    b.baseline = baseline;
    b.outdir = outdir;
    b.reps = reps;
    b.json = json_builder_new();
    path = g_build_filename(outdir, "series.csv", NULL);
    b.series = fopen(path, "w");
    if (!b.series) {
        perror(path);
        return 1;
    }
    fprintf(b.series, "run,flavour,t_s,memtotal_mib\n");
    json_builder_begin_object(b.json);
    json_builder_set_member_name(b.json, "accel");
    json_builder_add_string_value(b.json, g_getenv("UBF_ACCEL") ?
                                  g_getenv("UBF_ACCEL") : "tcg");
    json_num(&b, "reps", reps);

    if (bench_wanted(only, "latency")) {
        printf("QMP latency (idle, and query-balloon while 512 MiB "
               "inflate):\n");
        bench_latency(&b);
    }
    if (bench_wanted(only, "resize")) {
        printf("End-to-end resize, until the guest's MemTotal settles:\n");
        bench_resize(&b);
    }
    if (bench_wanted(only, "cpu")) {
        printf("Host CPU of QEMU per GiB inflated through virtio-balloon:\n");
        bench_inflate_cpu(&b);
    }
    if (bench_wanted(only, "memory")) {
        printf("Frontend memory overhead:\n");
        bench_memory(&b);
    }
    if (bench_wanted(only, "scale")) {
        printf("Scale: 1 TiB maxmem, 64 NUMA nodes, 64 virtio-mem devices "
               "(paused):\n");
        bench_scale(&b);
    }
    if (bench_wanted(only, "hv") && baseline_hv) {
        printf("hv-balloon (Linux hv_balloon, 2 GiB guest) against stock "
               "hv-balloon and virtio-balloon:\n");
        bench_hv(&b, baseline_hv);
    }
    if (bench_wanted(only, "migration")) {
        printf("Migration (ours and stock, same guests; the bytes of our "
               "sections in the stream):\n");
        bench_migration(&b, baseline_hv);
    }
    if (bench_wanted(only, "auto")) {
        printf("Automatic sizing, one workload (64 MiB/s to 1.5 GiB, 15 s, "
               "freed; %d s): ours, MoM-like (20 %%, 5 %% per 10 s), "
               "static:\n", AUTO_WINDOW_S);
        bench_auto(&b);
    }
    fclose(b.series);

    if (range_json) {
        g_autoptr(JsonParser) p = json_parser_new();

        if (json_parser_load_from_data(p, range_json, -1, NULL) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
            JsonObject *o = json_node_get_object(json_parser_get_root(p));

            json_num(&b, "range_ops_per_s",
                     json_object_get_double_member(o, "ops_per_s"));
            json_num(&b, "range_gtree_ops_per_s",
                     json_object_get_double_member(o, "gtree_ops_per_s"));
            json_num(&b, "range_ops_ratio_vs_gtree",
                     json_object_get_double_member(o, "ops_per_s") /
                     json_object_get_double_member(o, "gtree_ops_per_s"));
            json_num(&b, "range_bytes_per_range",
                     json_object_get_double_member(o, "bytes_per_range"));
            json_num(&b, "range_worst_case_bytes_per_tib",
                     json_object_get_double_member(
                         o, "worst_case_bytes_per_tib"));
            json_num(&b, "range_worst_case_gtree_bytes_per_tib",
                     json_object_get_double_member_with_default(
                         o, "worst_case_gtree_bytes_per_tib", 0));
            json_num(&b, "hv_cycle_ms_per_gib",
                     json_object_get_double_member_with_default(
                         o, "hv_cycle_ms_per_gib", 0));
            json_num(&b, "hv_cycle_gtree_ms_per_gib",
                     json_object_get_double_member_with_default(
                         o, "hv_cycle_gtree_ms_per_gib", 0));
            json_num(&b, "hv_checkerboard_bytes",
                     json_object_get_double_member_with_default(
                         o, "hv_checkerboard_bytes", 0));
            for (const char *const *k = (const char *const[]) {
                     "plan_total_p50_us", "plan_total_p99_us",
                     "plan_nodes_p50_us", "plan_nodes_p99_us",
                     "plan_tick_p50_us", "plan_state_kib", NULL }; *k; k++) {
                json_num(&b, *k, json_object_get_double_member_with_default(
                             o, *k, 0));
            }
        }
    }
    json_builder_end_object(b.json);
    root = json_builder_get_root(b.json);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    g_free(path);
    path = g_build_filename(outdir, "results.json", NULL);
    if (!json_generator_to_file(gen, path, &err)) {
        fprintf(stderr, "ubf-bench: %s\n", err->message);
        return 1;
    }
    g_object_unref(b.json);
    return b.failed ? 1 : 0;
}
