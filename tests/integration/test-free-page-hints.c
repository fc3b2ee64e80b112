/*
 * Free page reporting on a real Linux guest, both ways QEMU offers it:
 * Linux's hv_balloon under TCG with the cold discard hint offered
 * (hv-ext-hypercalls, hv-balloon's cold-discard-hint), and
 * virtio-balloon with free-page-reporting=on.  The guest (2 GiB) touches
 * 1 GiB of anonymous memory and frees it: QEMU's RSS must drop by at
 * least 80 % of that, while the guest size (query-balloon) and the
 * guest's MemTotal stay as they were.  Without the hint offered,
 * hv_balloon does not enable reporting and sends no hint in as long as
 * reporting took with it.  Each run's figures (RSS before, with the
 * memory touched, after; how long reporting took) are printed for
 * docs/performance.rst.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
#define ALLOC_MIB 1024
/* page reporting waits 2 s, then goes zone by zone: generous */
#define REPORT_TIMEOUT_MS 120000
#define HV_ENABLED "hv_balloon: Cold memory discard hint enabled"

typedef struct HintRun {
    gint64 rss0_kib, rss1_kib, rss2_kib;
    gint64 report_ms;
} HintRun;

static JsonObject *agent(UbfVm *vm, const char *command)
{
    g_autoptr(GError) err = NULL;
    JsonObject *ret = ubf_agent_command(ubf_vm_agent(vm), command, 120000,
                                        &err);

    g_assert_no_error(err);
    return ret;
}

/* The hv-balloon backend's free-page-hints, or NULL */
static JsonObject *hints(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) b = ubf_vm_backend(vm, "hv-balloon", &err);

    g_assert_no_error(err);
    if (!b || !json_object_has_member(b, "free-page-hints")) {
        return NULL;
    }
    return json_object_ref(json_object_get_object_member(b,
                                                         "free-page-hints"));
}

/*
 * Touch ALLOC_MIB and free them; wait until QEMU's RSS fell by 80 % of
 * that (or @timeout_ms passed) and fill @run.
 */
static void touch_and_free(UbfVm *vm, guint timeout_ms, HintRun *run)
{
    gint64 start, deadline, want;

    run->rss0_kib = ubf_vm_rss_kib(vm);
    json_object_unref(agent(vm, "alloc 1024"));
    run->rss1_kib = ubf_vm_rss_kib(vm);
    g_assert_cmpint(run->rss1_kib - run->rss0_kib, >=,
                    ALLOC_MIB * KIB_PER_MIB * 8 / 10);
    json_object_unref(agent(vm, "free"));
    start = g_get_monotonic_time();
    deadline = start + (gint64)timeout_ms * 1000;
    want = run->rss1_kib - ALLOC_MIB * KIB_PER_MIB * 8 / 10;
    do {
        run->rss2_kib = ubf_vm_rss_kib(vm);
        if (run->rss2_kib <= want) {
            break;
        }
        g_usleep(250 * 1000);
    } while (g_get_monotonic_time() < deadline);
    run->report_ms = (g_get_monotonic_time() - start) / 1000;
}

static void report_run(const char *what, const HintRun *run)
{
    g_test_message("%s: QEMU RSS %" G_GINT64_FORMAT " MiB, %" G_GINT64_FORMAT
                   " MiB with 1 GiB touched, %" G_GINT64_FORMAT " MiB %"
                   G_GINT64_FORMAT " ms after it was freed (%" G_GINT64_FORMAT
                   " %% of 1 GiB given back)", what,
                   run->rss0_kib / KIB_PER_MIB, run->rss1_kib / KIB_PER_MIB,
                   run->rss2_kib / KIB_PER_MIB, run->report_ms,
                   (run->rss1_kib - run->rss2_kib) * 100 /
                   (ALLOC_MIB * KIB_PER_MIB));
}

/* The guest's size and MemTotal as they were: reported pages stay its own */
static void assert_size_kept(UbfVm *vm, gint64 balloon0, gint64 memtotal0)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;

    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    balloon0);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_assert_cmpint(mem.memtotal_kib, ==, memtotal0);
}

static UbfVm *start_hv(gboolean offer)
{
    g_autofree char *cpu = g_strdup_printf("%s%s", ubf_vm_hv_cpu(),
                                           offer ? ",hv-ext-hypercalls=on"
                                                 : "");
    const char *extra[] = {
        "-cpu", cpu,
        "-global", "ICH9-LPC.disable_s4=1",
        "-device", "vmbus-bridge",
        "-device", "hv-balloon,id=hvb0",
        NULL
    };
    UbfVmConfig cfg = { .boot_mib = 2048, .modules = "hv_vmbus,hv_balloon",
                        .extra = extra, .boot_timeout_ms = 240000,
                        .tool_qmp = TRUE };
    g_autoptr(GError) err = NULL;
    UbfVm *vm = ubf_vm_start(&cfg, &err);

    g_assert_no_error(err);
    return vm;
}

/* Whether hv_balloon said it reports, waiting up to @timeout_ms. */
static gboolean hv_reporting(UbfVm *vm, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * (gint64)1000;

    do {
        g_autofree char *console = ubf_vm_console(vm);

        if (strstr(console, HV_ENABLED)) {
            return TRUE;
        }
        g_usleep(200 * 1000);
    } while (g_get_monotonic_time() < deadline);
    return FALSE;
}

static gint64 hv_report_ms = -1;

static void test_hv_cold_discard(void)
{
    g_autoptr(UbfVm) vm = start_hv(TRUE);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) h = NULL;
    UbfGuestMem mem;
    gint64 balloon0;
    HintRun run;

    g_assert_true(hv_reporting(vm, 60000));
    balloon0 = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    touch_and_free(vm, REPORT_TIMEOUT_MS, &run);
    report_run("hv_balloon, cold discard hint", &run);
    g_assert_cmpint(run.rss1_kib - run.rss2_kib, >=,
                    ALLOC_MIB * KIB_PER_MIB * 8 / 10);
    hv_report_ms = run.report_ms;
    assert_size_kept(vm, balloon0, mem.memtotal_kib);

    /* what the frontend shows: the hints, nothing refused */
    h = hints(vm);
    g_assert_nonnull(h);
    g_test_message("free-page-hints: %" G_GINT64_FORMAT " bytes, %"
                   G_GINT64_FORMAT " ranges, %" G_GINT64_FORMAT " discards",
                   json_object_get_int_member(h, "bytes"),
                   json_object_get_int_member(h, "ranges"),
                   json_object_get_int_member(h, "discards"));
    g_assert_cmpint(json_object_get_int_member(h, "bytes"), >=,
                    ALLOC_MIB * MIB * 8 / 10);
    g_assert_cmpint(json_object_get_int_member(h, "discards"), >, 0);
    g_assert_cmpint(json_object_get_int_member(h, "refused"), ==, 0);

    /* ...and balloonctl's metrics, read by prometheus_client's parser */
    {
        g_autofree char *cmd = g_strdup_printf(
            "sh -c '%s --qmp vm=%s/ctl.sock status --format openmetrics | "
            "/usr/bin/python3 -c \"import sys\n"
            "from prometheus_client.openmetrics.parser import "
            "text_string_to_metric_families as parse\n"
            "for f in parse(sys.stdin.read()):\n"
            "    for s in f.samples:\n"
            "        if s.name == \\\"ubf_memory_free_page_hints_bytes_total\\\":\n"
            "            print(int(s.value))\"'",
            g_getenv("UBF_BALLOONCTL"), ubf_vm_dir(vm));
        g_autofree char *out = NULL;
        int status = -1;

        g_assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status,
                                                NULL));
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        /* (the guest may have reported more since) */
        g_assert_cmpint(g_ascii_strtoll(out, NULL, 10), >=,
                        json_object_get_int_member(h, "bytes"));
    }
}

/* Not offered: hv_balloon does not report, as before this series. */
static void test_hv_not_offered(void)
{
    g_autoptr(UbfVm) vm = start_hv(FALSE);
    g_autoptr(JsonObject) h = NULL;
    HintRun run;

    /* as long as reporting took when offered (or 20 s) */
    touch_and_free(vm, hv_report_ms > 0 ? hv_report_ms : 20000, &run);
    /* long connected by now: it would have said so */
    g_assert_false(hv_reporting(vm, 0));
    report_run("hv_balloon, no hint offered", &run);
    g_assert_cmpint(run.rss1_kib - run.rss2_kib, <,
                    ALLOC_MIB * KIB_PER_MIB * 8 / 10);
    h = hints(vm);
    g_assert_nonnull(h);
    g_assert_cmpint(json_object_get_int_member(h, "bytes"), ==, 0);
}

/* The same with virtio-balloon's free page reporting, for comparison. */
static void test_virtio_fpr(void)
{
    const char *extra[] = {
        "-global", "virtio-balloon-device.free-page-reporting=on", NULL
    };
    UbfVmConfig cfg = { .boot_mib = 2048, .virtio_balloon = TRUE,
                        .modules = "virtio_balloon", .extra = extra };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    UbfGuestMem mem;
    gint64 balloon0;
    HintRun run;

    g_assert_no_error(err);
    balloon0 = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    touch_and_free(vm, REPORT_TIMEOUT_MS, &run);
    report_run("virtio-balloon, free-page-reporting=on", &run);
    g_assert_cmpint(run.rss1_kib - run.rss2_kib, >=,
                    ALLOC_MIB * KIB_PER_MIB * 8 / 10);
    assert_size_kept(vm, balloon0, mem.memtotal_kib);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/free-page-hints/hv-cold-discard", test_hv_cold_discard);
    g_test_add_func("/free-page-hints/hv-not-offered", test_hv_not_offered);
    g_test_add_func("/free-page-hints/virtio", test_virtio_fpr);
    return g_test_run();
}
