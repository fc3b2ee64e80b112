/*
 * hv-balloon against a hostile Dynamic Memory guest: hvdm
 * (tests/guest/hvdm.c), a bare-metal guest that opens hv-balloon's VMBus
 * channel under TCG and answers the device as a broken or malicious
 * driver could.  One boot serves every case, in the guest's order; each
 * case is a test here that checks, once the guest has sent its input:
 * QEMU still runs, its memory stayed bounded, what the guest made it log
 * is rate-limited, and the size QMP reports is exactly what the guest
 * really gave (the device's next request says what it counted).  The
 * last balloon, unballoon and hot-add are legitimate, and reach their
 * targets to the page.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include <glib/gstdio.h>

#include "line-channel.h"
#include "vm.h"

#define MIB (1024 * 1024ll)
#define BOOT_MIB 1024
#define PAGE 4096
/* hv-balloon holds requests for 50 s after the guest's capabilities */
#define CASE_TIMEOUT_S 180
/* What QEMU may add to its resident memory over one case */
#define MAX_GROWTH_KIB (32 * 1024)
/* hv-balloon reports guest errors at most once every 10 s */
#define ERROR_REPORT_S 10

typedef struct Hd {
    UbfVm *vm;
    UbfLineChannel *serial;
    char *dir;
    GHashTable *values;          /* "name 0x..." lines of the guest */
    gint64 case_start_us;
    gint64 case_rss_kib;
    guint case_log_lines;
} Hd;

static Hd hd;

static gint64 hd_rss_kib(void)
{
    gint64 kib = ubf_vm_rss_kib(hd.vm);

    g_assert_cmpint(kib, >, 0);
    return kib;
}

static guint hd_log_lines(void)
{
    g_autofree char *path = g_build_filename(ubf_vm_dir(hd.vm), "qemu.log",
                                             NULL);
    g_autofree char *log = NULL;
    guint n = 0;
    const char *p;

    if (!g_file_get_contents(path, &log, NULL, NULL)) {
        return 0;
    }
    for (p = log; *p; p++) {
        n += *p == '\n';
    }
    return n;
}

static JsonObject *hd_query(const char *command)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = ubf_qmp_execute(ubf_vm_qmp(hd.vm), command, NULL, 10000,
                                    &err);

    g_assert_no_error(err);
    return json_object_ref(json_node_get_object(ret));
}

static gint64 hd_actual(void)
{
    g_autoptr(JsonObject) info = hd_query("query-memory-resize");

    return json_object_get_int_member(info, "actual");
}

static void hd_start(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *kernel = NULL, *serial_path = NULL, *serial_arg = NULL;
    const char *extra[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=2G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem,status-report=on",
        "-kernel", NULL,
        "-serial", NULL,
        "-no-reboot",
        NULL
    };
    UbfVmConfig cfg = {
        .boot_mib = BOOT_MIB,
        /* room for hv-balloon's 32 GiB aligned hot-add space */
        .maxmem_mib = UBF_VM_HV_MAXMEM_MIB,
        .no_guest = TRUE,
        .extra = extra,
    };
    g_autoptr(JsonNode) ret = NULL;

    hd.dir = g_dir_make_tmp("ubf-hvdm-XXXXXX", NULL);
    kernel = g_build_filename(g_getenv("UBF_GUEST_DIR"), "hvdm.elf", NULL);
    serial_path = g_build_filename(hd.dir, "serial.sock", NULL);
    serial_arg = g_strdup_printf("unix:%s,server=on,wait=off", serial_path);
    extra[9] = kernel;
    extra[11] = serial_arg;
    hd.values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      g_free);
    hd.vm = ubf_vm_start(&cfg, &err);
    g_assert_no_error(err);
    hd.serial = ubf_line_channel_connect(serial_path, 10000, &err);
    g_assert_no_error(err);
    ret = ubf_qmp_execute(ubf_vm_qmp(hd.vm), "cont", NULL, 10000, &err);
    g_assert_no_error(err);
}

/*
 * Read the guest's lines until @want, keeping its "name 0x..." values;
 * fail if it reports a message it did not expect.
 */
static void hd_read_until(const char *want)
{
    gint64 deadline = g_get_monotonic_time() +
        CASE_TIMEOUT_S * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(GError) err = NULL;
        g_autofree char *line = ubf_line_channel_read_line(hd.serial,
                                                           deadline, &err);
        g_auto(GStrv) kv = NULL;

        if (!line) {
            g_error("hvdm: no \"%s\" (%s); QEMU said:\n%s", want,
                    err ? err->message : "end of output",
                    ubf_vm_console(hd.vm));
        }
        g_strchomp(line);
        g_test_message("hvdm: %s", line);
        if (g_str_equal(line, want)) {
            return;
        }
        kv = g_strsplit(line, " ", 2);
        if (g_strv_length(kv) == 2 && g_str_has_prefix(kv[1], "0x")) {
            g_assert_cmpstr(kv[0], !=, "dm_unexpected");
            g_assert_cmpstr(kv[0], !=, "vmbus_unexpected");
            g_hash_table_replace(hd.values, g_strdup(kv[0]),
                                 g_strdup(kv[1]));
        }
    }
}

static guint64 hd_value(const char *name)
{
    const char *v = g_hash_table_lookup(hd.values, name);

    if (!v) {
        g_error("hvdm did not report %s", name);
    }
    return g_ascii_strtoull(v, NULL, 16);
}

/* Wait for the guest to begin @name; note where QEMU stands. */
static void hd_case_begin(const char *name)
{
    g_autofree char *line = g_strdup_printf("case %s", name);

    if (!hd.vm) {
        hd_start();
        hd_read_until("open_status 0x0000000000000000");
        g_assert_cmpuint(hd_value("dm_offered"), ==, 1);
        g_assert_cmpuint(hd_value("gpadl_status"), ==, 0);
    }
    hd_read_until(line);
    hd.case_start_us = g_get_monotonic_time();
    hd.case_rss_kib = hd_rss_kib();
    hd.case_log_lines = hd_log_lines();
}

/*
 * What every case checks once the guest has sent its input: QEMU runs,
 * its memory is bounded, its log rate-limited (@sources: how many
 * rate-limited reports the case can trigger), and the size it reports
 * is @actual.
 */
static void hd_case_check(const char *name, guint sources, gint64 actual)
{
    g_autoptr(JsonObject) status = NULL;
    gint64 elapsed_s;
    guint lines;

    status = hd_query("query-status");
    g_assert_cmpstr(json_object_get_string_member(status, "status"), ==,
                    "running");
    if (!g_getenv("ASAN_OPTIONS")) {
        /* (ASan's quarantine holds freed memory: RSS says nothing then) */
        g_assert_cmpint(hd_rss_kib() - hd.case_rss_kib, <, MAX_GROWTH_KIB);
    }
    elapsed_s = (g_get_monotonic_time() - hd.case_start_us) / G_USEC_PER_SEC;
    lines = hd_log_lines() - hd.case_log_lines;
    g_test_message("%s: %u log lines in %" G_GINT64_FORMAT " s", name, lines,
                   elapsed_s);
    g_assert_cmpuint(lines, <=, sources * (1 + elapsed_s / ERROR_REPORT_S + 1));
    g_assert_cmpint(hd_actual(), ==, actual);
}

static void hd_case_sent(const char *name, guint sources, gint64 actual)
{
    g_autofree char *line = g_strdup_printf("sent %s", name);

    hd_read_until(line);
    hd_case_check(name, sources, actual);
}

/* Let the guest go on to its next case. */
static void hd_case_end(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(ubf_line_channel_write_line(hd.serial, "c", &err));
    g_assert_no_error(err);
}

/* Ask the frontend for @size. */
static void hd_resize(gint64 size)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = g_strdup_printf("{\"size\": %" G_GINT64_FORMAT
                                            "}", size);
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(hd.vm),
                                                   "memory-resize", args,
                                                   10000, &err);

    g_assert_no_error(err);
}

/* Wait until the frontend says it reached @size. */
static void hd_wait_reached(gint64 size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = ubf_qmp_wait_event(
        ubf_vm_qmp(hd.vm), "MEMORY_RESIZE_DONE", ubf_vm_reason_is,
        (gpointer)"reached", CASE_TIMEOUT_S * 1000, &err);

    g_assert_no_error(err);
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(done, "data"),
                        "actual"), ==, size);
}

static const gint64 boot = BOOT_MIB * MIB;

static void test_out_of_order(void)
{
    hd_case_begin("out-of-order");
    hd_case_sent("out-of-order", 1, boot);
    hd_case_end();
}

static void test_truncated(void)
{
    hd_case_begin("truncated");
    hd_case_sent("truncated", 1, boot);
    hd_case_end();
}

static void test_version_games(void)
{
    hd_case_begin("version-games");
    hd_case_sent("version-games", 1, boot);
    g_assert_cmpuint(hd_value("version_0"), ==, 0);
    g_assert_cmpuint(hd_value("version_ffffffff"), ==, 0);
    g_assert_cmpuint(hd_value("version_2_1"), ==, 0);
    g_assert_cmpuint(hd_value("version_3_0"), ==, 0);
    g_assert_cmpuint(hd_value("version_oversized"), ==, 1);
    hd_case_end();
}

static void test_caps_games(void)
{
    hd_case_begin("caps-games");
    hd_case_sent("caps-games", 1, boot);
    g_assert_cmpuint(hd_value("caps_accepted"), ==, 1);
    hd_case_end();
}

/*
 * A packet the guest queued without signalling, when a target is set:
 * the device must not read it from outside the channel's notifier (it
 * used to hit an assertion in VMBus).
 */
static void test_unsignalled_then_target(void)
{
    hd_case_begin("unsignalled-then-target");
    hd_read_until("sent unsignalled-then-target");
    hd_resize(boot - 64 * MIB);
    g_usleep(500 * 1000);
    hd_case_check("unsignalled-then-target", 1, boot);
    hd_case_end();
}

static void test_unknown_type_flood(void)
{
    hd_case_begin("unknown-type-flood");
    hd_case_sent("unknown-type-flood", 1, boot);
    hd_case_end();
}

/*
 * Status reports: the event a management layer listens to stays
 * throttled (QEMU sends the first at once, then at most one a second).
 */
static void test_status_report_flood(void)
{
    g_autoptr(GPtrArray) events = NULL;
    g_autoptr(JsonObject) last = NULL;
    g_autoptr(JsonObject) report = NULL;
    gint64 elapsed_s;

    hd_case_begin("status-report-flood");
    hd_case_sent("status-report-flood", 1, boot);
    /* The last report of the flood comes when the second is over. */
    last = ubf_qmp_wait_event(ubf_vm_qmp(hd.vm), "HV_BALLOON_STATUS_REPORT",
                              NULL, NULL, 5000, NULL);
    g_usleep(1500 * 1000);
    events = ubf_qmp_take_events(ubf_vm_qmp(hd.vm),
                                 "HV_BALLOON_STATUS_REPORT");
    elapsed_s = (g_get_monotonic_time() - hd.case_start_us) / G_USEC_PER_SEC;
    g_test_message("%u status report events in %" G_GINT64_FORMAT " s",
                   events->len + (last != NULL), elapsed_s);
    g_assert_nonnull(last);
    g_assert_cmpuint(events->len + 1, <=, elapsed_s + 2);
    /* Absurd page counts saturate rather than wrap around. */
    report = hd_query("query-hv-balloon-status-report");
    g_test_message("committed %s", json_node_type_name(
                       json_object_get_member(report, "committed")));
    g_assert_cmpint(json_object_get_int_member(report, "committed"), ==, -1);
    hd_case_end();
}

static void test_oversized_message(void)
{
    hd_case_begin("oversized-message");
    hd_case_sent("oversized-message", 1, boot);
    hd_case_end();
}

static void test_balloon_outside_ram(void)
{
    hd_case_begin("balloon-outside-ram");
    hd_resize(boot - 64 * MIB);
    hd_case_sent("balloon-outside-ram", 1, boot);
    g_assert_cmpuint(hd_value("balloon_asked"), ==, 64 * MIB / PAGE);
    /* Nothing counted: it asks for it all again. */
    g_assert_cmpuint(hd_value("reask_outside_ram"), ==, 64 * MIB / PAGE);
    hd_case_end();
}

static void test_balloon_overlap_duplicate(void)
{
    hd_case_begin("balloon-overlap-duplicate");
    hd_case_sent("balloon-overlap-duplicate", 1, boot - 150 * PAGE);
    /* Three ranges over 150 pages: 150 counted. */
    g_assert_cmpuint(hd_value("reask_overlap"), ==, 64 * MIB / PAGE - 150);
    hd_case_end();
}

static void test_balloon_huge_range_count(void)
{
    hd_case_begin("balloon-huge-range-count");
    hd_case_sent("balloon-huge-range-count", 1, boot - 150 * PAGE);
    hd_case_end();
}

static void test_balloon_truncated(void)
{
    hd_case_begin("balloon-truncated");
    hd_case_sent("balloon-truncated", 1, boot - 150 * PAGE);
    hd_case_end();
}

static void test_balloon_in_hot_add_space(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) devs = NULL;
    g_autofree char *line = NULL;
    JsonObject *data;

    hd_case_begin("balloon-in-hot-add-space");
    devs = ubf_qmp_execute(ubf_vm_qmp(hd.vm), "query-memory-devices", NULL,
                           10000, &err);
    g_assert_no_error(err);
    data = json_object_get_object_member(
        json_array_get_object_element(json_node_get_array(devs), 0), "data");
    line = g_strdup_printf("%" G_GINT64_MODIFIER "x",
                           json_object_get_int_member(data, "memaddr") / PAGE);
    g_assert_true(ubf_line_channel_write_line(hd.serial, line, &err));
    g_assert_no_error(err);
    hd_case_sent("balloon-in-hot-add-space", 1, boot - 150 * PAGE);
    /* Neither this nor the two answers before counted anything. */
    g_assert_cmpuint(hd_value("reask_hot_add_space"), ==,
                     64 * MIB / PAGE - 150);
    hd_case_end();
}

static void test_balloon_legit(void)
{
    hd_case_begin("balloon-legit");
    hd_wait_reached(boot - 64 * MIB);
    hd_case_sent("balloon-legit", 1, boot - 64 * MIB);
    hd_case_end();
}

static void test_unballoon_out_of_order(void)
{
    hd_case_begin("unballoon-out-of-order");
    hd_resize(boot);
    hd_wait_reached(boot);
    hd_case_sent("unballoon-out-of-order", 1, boot);
    hd_case_end();
}

static void test_hot_add_more_than_asked(void)
{
    hd_case_begin("hot-add-more-than-asked");
    hd_resize(boot + 256 * MIB);
    hd_wait_reached(boot + 256 * MIB);
    hd_case_sent("hot-add-more-than-asked", 1, boot + 256 * MIB);
    g_assert_cmpuint(hd_value("hot_add_pages"), ==, 256 * MIB / PAGE);
    hd_case_end();
}

static void test_balloon_not_yet_added(void)
{
    hd_case_begin("balloon-not-yet-added");
    hd_resize(boot + 128 * MIB);
    hd_wait_reached(boot + 128 * MIB);
    hd_case_sent("balloon-not-yet-added", 1, boot + 128 * MIB);
    /* The pages past what was hot-added did not count. */
    g_assert_cmpuint(hd_value("reask_not_added"), ==,
                     hd_value("balloon_asked_hot_added"));
    hd_case_end();
}

static void test_vmbus_malformed_packet(void)
{
    hd_case_begin("vmbus-malformed-packet");
    hd_case_sent("vmbus-malformed-packet", 1, boot + 128 * MIB);
    hd_case_end();
    hd_read_until("done");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        { "out-of-order", test_out_of_order },
        { "truncated", test_truncated },
        { "version-games", test_version_games },
        { "caps-games", test_caps_games },
        { "unsignalled-then-target", test_unsignalled_then_target },
        { "unknown-type-flood", test_unknown_type_flood },
        { "status-report-flood", test_status_report_flood },
        { "oversized-message", test_oversized_message },
        { "balloon-outside-ram", test_balloon_outside_ram },
        { "balloon-overlap-duplicate", test_balloon_overlap_duplicate },
        { "balloon-huge-range-count", test_balloon_huge_range_count },
        { "balloon-truncated", test_balloon_truncated },
        { "balloon-in-hot-add-space", test_balloon_in_hot_add_space },
        { "balloon-legit", test_balloon_legit },
        { "unballoon-out-of-order", test_unballoon_out_of_order },
        { "hot-add-more-than-asked", test_hot_add_more_than_asked },
        { "balloon-not-yet-added", test_balloon_not_yet_added },
        { "vmbus-malformed-packet", test_vmbus_malformed_packet },
    };
    size_t i;
    int ret;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/hv-balloon-hostile-guest/%s",
                                                cases[i].name);

        g_test_add_func(path, cases[i].fn);
    }
    ret = g_test_run();
    g_clear_pointer(&hd.serial, ubf_line_channel_free);
    g_clear_pointer(&hd.vm, ubf_vm_free);
    g_clear_pointer(&hd.values, g_hash_table_unref);
    if (hd.dir) {
        g_rmdir(hd.dir);
        g_free(hd.dir);
    }
    return ret;
}
