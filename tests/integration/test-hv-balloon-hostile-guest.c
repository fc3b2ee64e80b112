/*
 * hv-balloon against a hostile Dynamic Memory guest: hvdm
 * (tests/guest/hvdm.c), a bare-metal guest that opens hv-balloon's VMBus
 * channel under TCG and answers the device as a broken or malicious
 * driver could.  One boot serves every case, in the guest's order; each
 * case is a test here that checks, once the guest has sent its input:
 * QEMU still runs, its memory stayed bounded, what the guest made it log
 * is rate-limited, and the size QMP reports is exactly what the guest
 * really gave (the device's next request says what it counted), and
 * no guest message cost QEMU more than HD_MAX_MESSAGE_CPU_NS of CPU time
 * (with the BQL held) beyond the discards it caused.  The last balloon,
 * unballoon and hot-add are legitimate, and reach their targets to the
 * page.  Then the driver's life: ranges over holes, a hot-add answered
 * with a count of its own, the growth moving to another NUMA node while
 * the device waits for the driver, a new VMBus session (UNLOAD, as a
 * kexec'ing kernel sends), a driver that comes back with other
 * capabilities.
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
/* The most one guest message may cost beyond its discards */
#define HD_MAX_MESSAGE_CPU_NS (10 * 1000 * 1000)

typedef struct Hd {
    UbfVm *vm;
    UbfLineChannel *serial;
    char *dir;
    GHashTable *values;          /* "name 0x..." lines of the guest */
    gint64 case_start_us;
    gint64 case_rss_kib;
    guint case_log_lines;
    goffset trace_seen;         /* bytes of trace.log read so far */
    guint64 max_wall_ns;        /* the costliest message so far */
    guint64 max_cpu_ns;
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
    g_autoptr(GError) err = NULL;
    g_autofree char *log = NULL;
    gsize len, i;
    guint n = 0;

    /* every line, whatever bytes the log holds */
    if (!g_file_get_contents(path, &log, &len, &err)) {
        g_error("QEMU's log: %s", err->message);
    }
    for (i = 0; i < len; i++) {
        n += log[i] == '\n';
    }
    return n;
}

/*
 * The guest messages handled since the last call, from hv-balloon's
 * trace (hv_balloon_packet): the most one cost, in wall time with the BQL
 * held and in CPU time beyond its discards.
 */
static void hd_message_cost(guint64 *wall_ns, guint64 *cpu_ns)
{
    g_autofree char *path = g_build_filename(hd.dir, "trace.log", NULL);
    g_autofree char *log = NULL;
    g_auto(GStrv) lines = NULL;
    gsize len;
    guint i;

    *wall_ns = *cpu_ns = 0;
    if (!g_file_get_contents(path, &log, &len, NULL) ||
        (goffset)len <= hd.trace_seen) {
        return;
    }
    lines = g_strsplit(log + hd.trace_seen, "\n", -1);
    hd.trace_seen = len - strlen(lines[g_strv_length(lines) - 1]);
    for (i = 0; lines[i + 1]; i++) {
        const char *at = strstr(lines[i], "hv_balloon_packet ");
        const char *h = at ? strstr(at, "handled in") : NULL;
        guint64 wall, cpu, discard;

        if (h && sscanf(h, "handled in %" G_GUINT64_FORMAT
                         " ns, CPU %" G_GUINT64_FORMAT " ns, %"
                         G_GUINT64_FORMAT, &wall, &cpu, &discard) == 3) {
            *wall_ns = MAX(*wall_ns, wall);
            *cpu_ns = MAX(*cpu_ns, cpu > discard ? cpu - discard : 0);
        }
    }
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
    g_autofree char *events = NULL, *trace = NULL, *events_arg = NULL;
    g_autofree char *more_events = NULL;
    const char *extra[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=2G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem,status-report=on",
        "-kernel", NULL,
        "-serial", NULL,
        "-no-reboot",
        "-trace", NULL,
        "-D", NULL,
        NULL
    };
    UbfVmConfig cfg = {
        .boot_mib = BOOT_MIB,
        .nodes = 2,
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
    events = g_build_filename(hd.dir, "events", NULL);
    /* $HD_EVENTS: more events to trace, when a case needs debugging */
    more_events = g_strdup_printf("hv_balloon_packet\n%s\n",
                                  g_getenv("HD_EVENTS") ?: "");
    g_assert_true(g_file_set_contents(events, more_events, -1, NULL));
    events_arg = g_strdup_printf("events=%s", events);
    trace = g_build_filename(hd.dir, "trace.log", NULL);
    extra[14] = events_arg;
    extra[16] = trace;
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
    guint64 wall_ns, cpu_ns;
    gint64 elapsed_s;
    guint lines;

    status = hd_query("query-status");
    g_assert_cmpstr(json_object_get_string_member(status, "status"), ==,
                    "running");
    /*
     * Not in a sanitizer build (make check SANITIZE=1): ASan's quarantine
     * holds freed memory, and RSS says nothing then.  (Not ASAN_OPTIONS:
     * meson sets it for every test.)
     */
    if (g_strcmp0(g_getenv("UBF_SANITIZE"), "1") != 0) {
        g_assert_cmpint(hd_rss_kib() - hd.case_rss_kib, <, MAX_GROWTH_KIB);
    }
    elapsed_s = (g_get_monotonic_time() - hd.case_start_us) / G_USEC_PER_SEC;
    lines = hd_log_lines() - hd.case_log_lines;
    hd_message_cost(&wall_ns, &cpu_ns);
    hd.max_wall_ns = MAX(hd.max_wall_ns, wall_ns);
    hd.max_cpu_ns = MAX(hd.max_cpu_ns, cpu_ns);
    g_test_message("%s: %u log lines in %" G_GINT64_FORMAT " s; the "
                   "costliest guest message: %" G_GUINT64_FORMAT " us with "
                   "the BQL held, %" G_GUINT64_FORMAT " us of CPU beyond "
                   "discards", name, lines, elapsed_s, wall_ns / 1000,
                   cpu_ns / 1000);
    g_assert_cmpuint(cpu_ns, <=, HD_MAX_MESSAGE_CPU_NS);
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
    g_test_message("the costliest guest message of all: %" G_GUINT64_FORMAT
                   " us with the BQL held, %" G_GUINT64_FORMAT " us of CPU "
                   "beyond discards", hd.max_wall_ns / 1000,
                   hd.max_cpu_ns / 1000);
}


/* The size query-memory-resize reports for NUMA node @n */
static gint64 hd_node_actual(int n)
{
    g_autoptr(JsonObject) info = hd_query("query-memory-resize");
    JsonArray *nodes = json_object_get_array_member(info, "nodes");

    return json_object_get_int_member(json_array_get_object_element(nodes,
                                                                    n),
                                      "actual");
}

/* Ask the frontend for node @n to be @size. */
static void hd_resize_node(int n, gint64 size)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = g_strdup_printf(
        "{\"nodes\": [{\"node\": %d, \"size\": %" G_GINT64_FORMAT "}]}", n,
        size);
    g_autoptr(JsonNode) ret = ubf_qmp_execute_json(ubf_vm_qmp(hd.vm),
                                                   "memory-resize", args,
                                                   10000, &err);

    g_assert_no_error(err);
}

/* Wait until the size stays put for @stable_ms; return it. */
static gint64 hd_wait_still(guint stable_ms)
{
    gint64 last = hd_actual(), since = g_get_monotonic_time();
    gint64 deadline = since + CASE_TIMEOUT_S * G_USEC_PER_SEC;

    while (g_get_monotonic_time() - since < stable_ms * 1000ll) {
        gint64 now = hd_actual();

        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        if (now != last) {
            last = now;
            since = g_get_monotonic_time();
        }
        g_usleep(50 * 1000);
    }
    return last;
}

static void hd_send(const char *line)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(ubf_line_channel_write_line(hd.serial, line, &err));
    g_assert_no_error(err);
}

/* Wait until the driver is let in, after its post-init hold. */
static void hd_wait_connected(void)
{
    gint64 deadline = g_get_monotonic_time() +
                      CASE_TIMEOUT_S * G_USEC_PER_SEC;

    for (;;) {
        g_autoptr(JsonObject) info = hd_query("query-memory-resize");
        JsonObject *b = json_array_get_object_element(
            json_object_get_array_member(info, "backends"), 0);

        if (json_object_get_boolean_member(b, "driver-connected")) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(200 * 1000);
    }
}

/* The size stays @actual and nothing more happens: end the request. */
static void hd_settle_at(gint64 actual)
{
    g_assert_cmpint(hd_wait_still(1000), ==, actual);
    hd_resize(actual);
    hd_wait_reached(actual);
}

static gint64 hd_hot_added(void)
{
    g_autoptr(JsonObject) info = hd_query("query-memory-resize");
    JsonObject *b = json_array_get_object_element(
        json_object_get_array_member(info, "backends"), 0);

    return json_object_get_int_member_with_default(b, "hot-added", 0);
}

/*
 * Ranges starting or ending in holes, and 400 of the widest ranges over
 * nothing: the 24 RAM pages among them count, nothing else, and the
 * message costs no more than any other (hd_case_check()).
 */
static void test_balloon_holes(void)
{
    hd_case_begin("balloon-holes");
    hd_resize(boot + 64 * MIB);
    hd_wait_reached(boot + 64 * MIB);
    hd_case_sent("balloon-holes", 2, boot + 64 * MIB);
    g_assert_cmpuint(hd_value("balloon_asked_holes"), ==, 64 * MIB / PAGE);
    g_assert_cmpuint(hd_value("reask_holes"), ==, 64 * MIB / PAGE - 24);
    hd_case_end();
}

/*
 * A hot-add answered with 1000 pages where 32768 were asked: those
 * count, the rest of the memory is not offered again, and a request
 * past it is refused, not an abort.
 */
static void test_hot_add_odd_count(void)
{
    gint64 want = boot + 256 * MIB + 1000 * PAGE;

    hd_case_begin("hot-add-odd-count");
    hd_resize(boot + 384 * MIB);
    hd_case_sent("hot-add-odd-count", 1, hd_wait_still(1000));
    g_assert_cmpuint(hd_value("odd_hot_add_pages"), ==, 128 * MIB / PAGE);
    g_assert_cmpint(hd_actual(), ==, want);
    g_assert_cmpint(hd_hot_added(), ==, 256 * MIB + 1000 * PAGE);
    hd_settle_at(want);
    hd_case_end();
}

/*
 * The growth moves to another node while the device waits for the
 * driver to read its unballoon requests: once the driver reads, the
 * device gives back what the new node has and ends the request with an
 * empty one, rather than waiting for pages that are not there.
 */
static void test_growth_node_change(void)
{
    gint64 start = boot + 256 * MIB + 1000 * PAGE;
    gint64 node1, moved;

    hd_case_begin("growth-node-change");
    hd_resize(start - 1010 * PAGE);
    hd_read_until("ballooned");
    hd_wait_reached(start - 1010 * PAGE);
    g_assert_cmpuint(hd_value("balloon_asked_nodes"), ==, 1010);

    /* Node 0 back: 1000 one-page requests, more than the ring holds. */
    hd_resize_node(0, hd_node_actual(0) + 1000 * PAGE);
    moved = hd_wait_still(1000) - (start - 1010 * PAGE);
    g_test_message("%" G_GINT64_FORMAT " pages given back before the ring "
                   "filled", moved / PAGE);
    g_assert_cmpint(moved, >, 0);
    g_assert_cmpint(moved, <, 1000 * PAGE);

    /* Now node 1, which has 10 pages to get back. */
    node1 = hd_node_actual(1);
    hd_resize_node(1, node1 + 10 * PAGE);
    hd_send("g");
    hd_wait_reached(start - 1010 * PAGE + moved + 10 * PAGE);
    g_assert_cmpint(hd_node_actual(1), ==, node1 + 10 * PAGE);
    hd_case_sent("growth-node-change", 1,
                 start - 1010 * PAGE + moved + 10 * PAGE);
    g_assert_cmpuint(hd_value("unballoon_short_ends"), ==, 1);
    g_assert_cmpuint(hd_value("unballoon_requests"), ==,
                     moved / PAGE + 10 + 1);
    hd_case_end();
}

/*
 * 64 MiB ballooned, then a new VMBus session: the new driver's kernel
 * owns all of its boot memory, and never wrote to the hot-added memory,
 * so once it is let in the books have neither, and a grow hot-adds from
 * the start of the memory again.
 */
static void test_unload_new_session(void)
{
    gint64 before;

    hd_case_begin("unload-new-session");
    before = hd_actual();
    hd_resize(before - 64 * MIB);
    hd_read_until("ballooned");
    hd_wait_reached(before - 64 * MIB);
    hd_send("g");
    /*
     * The session ended: the ballooned pages are the new kernel's; the
     * hot-added memory is counted until its driver is let in.
     */
    hd_case_sent("unload-new-session", 1, boot + 256 * MIB + 1000 * PAGE);
    g_assert_cmpuint(hd_value("handshake_version"), ==, 1);
    g_assert_cmpuint(hd_value("handshake_caps"), ==, 1);
    hd_wait_connected();
    hd_case_check("unload-new-session", 1, boot);
    g_assert_cmpint(hd_hot_added(), ==, 0);
    hd_case_end();
}

static void test_new_session_hot_add(void)
{
    hd_case_begin("new-session-hot-add");
    hd_resize(boot + 128 * MIB);
    hd_wait_reached(boot + 128 * MIB);
    hd_case_sent("new-session-hot-add", 1, boot + 128 * MIB);
    g_assert_cmpuint(hd_value("new_hot_add_start"), ==,
                     hd_value("hot_add_start"));
    g_assert_cmpuint(hd_value("new_hot_add_pages"), ==, 128 * MIB / PAGE);
    hd_case_end();
}

/*
 * The driver closes its channel and comes back unable to balloon, and
 * hot-adding only in 32 GiB steps, which what was hot-added does not
 * keep: requests either way are refused, nothing aborts, the books stay.
 */
static void test_reconnect_other_caps(void)
{
    hd_case_begin("reconnect-other-caps");
    hd_case_sent("reconnect-other-caps", 1, boot + 128 * MIB);
    hd_wait_connected();
    hd_resize(boot + 512 * MIB);
    g_assert_cmpint(hd_wait_still(2000), ==, boot + 128 * MIB);
    hd_resize(boot);
    g_assert_cmpint(hd_wait_still(2000), ==, boot + 128 * MIB);
    hd_case_check("reconnect-other-caps", 2, boot + 128 * MIB);
    hd_settle_at(boot + 128 * MIB);
    hd_case_end();
}

/*
 * A channel opened with its ring offset where offset + 1 wraps around
 * (QEMU read past the GPADL's pages and died), or at the GPADL's end:
 * refused; opened as a driver does, it works again.
 */
static void test_open_ring_offset_wrap(void)
{
    hd_case_begin("open-ring-offset-wrap");
    hd_case_sent("open-ring-offset-wrap", 1, boot + 128 * MIB);
    g_assert_cmpuint(hd_value("open_wrap_status"), !=, 0);
    g_assert_cmpuint(hd_value("open_end_status"), !=, 0);
    g_assert_cmpuint(hd_value("open_again_status"), ==, 0);
    hd_wait_connected();
    hd_case_end();
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
        { "balloon-holes", test_balloon_holes },
        { "hot-add-odd-count", test_hot_add_odd_count },
        { "growth-node-change", test_growth_node_change },
        { "unload-new-session", test_unload_new_session },
        { "new-session-hot-add", test_new_session_hot_add },
        { "reconnect-other-caps", test_reconnect_other_caps },
        { "open-ring-offset-wrap", test_open_ring_offset_wrap },
        /* last: the packet stays in the ring, the channel is done */
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
