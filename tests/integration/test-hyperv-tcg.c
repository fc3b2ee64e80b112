/*
 * The Hyper-V interface QEMU offers under TCG, probed by a guest that
 * misbehaves on purpose (tests/guest/hvprobe.c): every bad MSR access,
 * hypercall and VMBus message gets what Hyper-V answers (#GP, #UD or a
 * status code), SINTs honour masking, auto-EOI and EOM, and QEMU is
 * still running at the end.  With hv-ext-hypercalls, hv-boot-zeroed-mem
 * and an hv-balloon, the same guest probes the extended hypercalls: the
 * capability query, cold discard hints (bad ones refused with the
 * TLFS's status and nothing discarded; good ones discarded, reading
 * zero), and the boot-zeroed-memory answer, checked against the boot
 * memory map, then again after system_reset and after a migration
 * (memory written before is left out).  Also the command-line rules:
 * hv-* features TCG does not implement leave the guest without Hyper-V
 * (with a warning), hv-synic needs hv-vpindex, hv-boot-zeroed-mem needs
 * hv-ext-hypercalls.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include <glib/gstdio.h>

#include "vm.h"

#define PROBE_TIMEOUT_S 180

typedef struct Expect {
    const char *name;
    guint64 value;
} Expect;

/* What Hyper-V answers; status codes from the TLFS */
static const Expect expected[] = {
    { "cpuid_max", 0x40000005 },
    { "cpuid_vendor_is_hv", 1 },
    /* hypercall, VP index, SynIC, reference counter */
    { "cpuid_features", 0x66 },
    /* no hv-ext-hypercalls: no extended hypercalls */
    { "ext_cpuid_bit", 0 },
    { "ext_not_offered", 2 },
    { "gp_rd_unknown", 13 },
    { "gp_wr_unknown", 13 },
    { "gp_rd_range_end", 13 },
    { "gp_wr_vp_index", 13 },
    { "vp_index", 0 },
    { "gp_wr_sversion", 13 },
    { "sversion", 1 },
    { "gp_sint_low_vector", 13 },
    { "sint_low_vector_masked", 0 },
    { "sint2", 0x10005 },
    { "ud_vmcall_no_os_id", 6 },
    { "hypercall_no_os_id", 0 },
    { "gp_hypercall_not_ram", 13 },
    { "gp_hypercall_page", 0 },
    /* qemu64 is an AMD CPU: VMMCALL; RET */
    { "hypercall_page_code", 0xc3d9010f },
    { "vmcall_with_page", 0 },
    { "hc_unknown_code", 2 },               /* INVALID_HYPERCALL_CODE */
    { "hc_bad_connection", 18 },            /* INVALID_CONNECTION_ID */
    { "hc_reserved_bits", 3 },              /* INVALID_HYPERCALL_INPUT */
    { "hc_rep_count", 3 },
    { "hc_varhead", 3 },
    { "hc_post_fast", 2 },
    { "hc_post_misaligned", 4 },            /* INVALID_ALIGNMENT */
    { "hc_post_cross_page", 4 },
    { "hc_post_not_ram", 3 },
    { "hc_post_big_payload", 3 },
    { "hc_signal_bad_connection", 18 },
    { "hc_signal_flag_number", 17 },        /* INVALID_PORT_ID */
    { "hc_signal_reserved", 3 },
    { "hc_signal_not_ram", 3 },
    { "hc_signal_misaligned", 4 },
    { "hc_spin_wait", 0 },
    /* VMBus takes the message; its answer has nowhere to go */
    { "synic_off_post", 0 },
    { "synic_off_message", 0 },
    { "bad_vp_post", 0 },
    { "bad_vp_message", 0 },
    /* masked: VERSION_RESPONSE in the slot, no interrupt */
    { "masked_post", 0 },
    { "masked_message", 15 },
    { "masked_irqs", 0 },
    { "unmasked_message", 15 },
    { "unmasked_irqs", 1 },
    /* two interrupts though the guest never wrote EOI */
    { "auto_eoi_message", 15 },
    { "auto_eoi_irqs", 2 },
    { "auto_eoi_in_service", 0 },
    /* ALLOFFERS_DELIVERED waits behind VERSION_RESPONSE until EOM */
    { "busy_slot_pending", 1 },
    { "busy_slot_kept", 15 },
    { "after_eom_message", 4 },
};

/* The extended hypercalls, with hv-balloon's cold discard hints */
static const Expect expected_ext[] = {
    { "ext_cpuid_bit", 1 },
    { "ext_caps_status", 0 },
    { "ext_caps", 0x101 },                  /* boot zeroed, cold discard */
    { "ext_caps_fast", 3 },
    { "ext_caps_rep", 3 },
    { "ext_caps_misaligned", 4 },
    { "ext_caps_not_ram", 5 },              /* INVALID_PARAMETER */
    { "ext_unknown", 2 },
    /* a block it wrote, hinted: discarded (reads zero), the next kept */
    { "hint_ok", 0 },
    { "hint_ok_reps", 1 },
    { "hint_block_zero", 1 },
    { "hint_other_kept", 1 },
    { "hint_type_cold", 5 },
    { "hint_type_hot", 5 },
    { "hint_type_3", 5 },
    { "hint_header_reserved", 5 },
    { "hint_bad_kept", 1 },
    { "hint_not_ram", 5 },
    { "hint_not_ram_reps", 0 },
    { "hint_rom", 5 },
    { "hint_mmio", 5 },
    { "hint_range_reserved", 5 },
    { "hint_1g_misaligned", 5 },
    { "hint_too_long", 5 },
    { "hint_ranges_kept", 1 },
    /* a good range, then a bad one: one done, then the status */
    { "hint_partial", 5 },
    { "hint_partial_reps", 1 },
    { "hint_partial_first_zero", 1 },
    { "hint_overlap", 0 },
    { "hint_overlap_reps", 2 },
    { "hint_repeat", 0 },
    { "hint_huge_count", 3 },
    { "hint_no_reps", 3 },
    { "hint_start_past", 3 },
    { "hint_fast", 3 },
    { "hint_varhead", 3 },
    { "hint_misaligned", 4 },
    { "hint_cross_page", 3 },
    { "hint_input_not_ram", 5 },
    { "hint_end_kept", 1 },
    /* boot zeroed: within the memory map, not what the guest wrote */
    { "bz_boot", 1 },
    { "bz_status", 0 },
    { "bz_count_nonzero", 1 },
    { "bz_in_memory_map", 1 },
    { "bz_excludes_image", 1 },
    { "bz_excludes_marker", 1 },
    { "bz_covers_late", 1 },
    { "bz_again", 0 },
    { "bz_same_again", 1 },
    { "bz_fast", 3 },
    { "bz_rep", 3 },
    { "bz_misaligned", 4 },
    { "bz_cross_page", 3 },
    { "bz_not_ram", 5 },
};

/* After a reset, or a migration and a reset: what the guest wrote, out */
static const Expect expected_ext_again[] = {
    { "bz_boot", 2 },
    { "bz_status", 0 },
    { "bz_in_memory_map", 1 },
    { "bz_excludes_image", 1 },
    { "bz_excludes_marker", 1 },
    { "bz_covers_late", 0 },
    { "hint_ok", 0 },
    { "hint_block_zero", 1 },
};

#define EXT_CPU "qemu64,hv-relaxed,hv-vpindex,hv-synic,hv-time," \
                "hv-ext-hypercalls=on,hv-boot-zeroed-mem=on"

/* @extra: more arguments; then a guest reset resets (not -no-reboot) */
static GSubprocess *spawn_qemu_with(const char *cpu, const char *qmp_path,
                                    gboolean probe,
                                    const char *const *extra,
                                    GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    const char *guest_dir = g_getenv("UBF_GUEST_DIR");

    g_ptr_array_add(argv, g_strdup(g_getenv("UBF_QEMU")));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup("tcg"));
    g_ptr_array_add(argv, g_strdup("-machine"));
    g_ptr_array_add(argv, g_strdup("q35"));
    g_ptr_array_add(argv, g_strdup("-nodefaults"));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    if (!extra) {
        g_ptr_array_add(argv, g_strdup("-no-reboot"));
    }
    g_ptr_array_add(argv, g_strdup("-m"));
    g_ptr_array_add(argv, g_strdup("128M"));
    g_ptr_array_add(argv, g_strdup("-cpu"));
    g_ptr_array_add(argv, g_strdup(cpu));
    g_ptr_array_add(argv, g_strdup("-device"));
    g_ptr_array_add(argv, g_strdup("vmbus-bridge"));
    g_ptr_array_add(argv, g_strdup("-qmp"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s,server=on,wait=off",
                                          qmp_path));
    if (probe) {
        g_ptr_array_add(argv, g_strdup("-kernel"));
        g_ptr_array_add(argv, g_build_filename(guest_dir, "hvprobe.elf",
                                               NULL));
        g_ptr_array_add(argv, g_strdup("-serial"));
        g_ptr_array_add(argv, g_strdup("stdio"));
    } else {
        /* vmbus-bridge without a SynIC has no bus: the device fails */
        g_ptr_array_add(argv, g_strdup("-device"));
        g_ptr_array_add(argv, g_strdup("hv-balloon"));
        g_ptr_array_add(argv, g_strdup("-S"));
    }
    for (; extra && *extra; extra++) {
        g_ptr_array_add(argv, g_strdup(*extra));
    }
    g_ptr_array_add(argv, NULL);
    return g_subprocess_newv((const char *const *)argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
}

static GSubprocess *spawn_qemu(const char *cpu, const char *qmp_path,
                               gboolean probe, GError **error)
{
    return spawn_qemu_with(cpu, qmp_path, probe, NULL, error);
}

/* Kill QEMU if the test does not stop the watchdog in time */
typedef struct Watchdog {
    GSubprocess *qemu;
    gint stop;
    guint seconds;
    GThread *thread;
} Watchdog;

static gpointer watchdog_run(gpointer opaque)
{
    Watchdog *w = opaque;
    gint64 end = g_get_monotonic_time() + w->seconds * G_USEC_PER_SEC;

    while (!g_atomic_int_get(&w->stop) && g_get_monotonic_time() < end) {
        g_usleep(100 * 1000);
    }
    if (!g_atomic_int_get(&w->stop)) {
        g_subprocess_force_exit(w->qemu);
    }
    return NULL;
}

static void watchdog_start(Watchdog *w, GSubprocess *qemu, guint seconds)
{
    w->qemu = qemu;
    w->stop = 0;
    w->seconds = seconds;
    w->thread = g_thread_new("watchdog", watchdog_run, w);
}

static void watchdog_stop(Watchdog *w)
{
    g_atomic_int_set(&w->stop, 1);
    g_thread_join(w->thread);
}

/* The probe's lines up to "done" into @got */
static void read_probe(GDataInputStream *out, GHashTable *got)
{
    g_autoptr(GError) err = NULL;

    g_hash_table_remove_all(got);
    for (;;) {
        g_autofree char *line = g_data_input_stream_read_line_utf8(
            out, NULL, NULL, &err);
        char **kv;

        g_assert_no_error(err);
        if (!line) {
            g_error("hvprobe stopped before \"done\" (QEMU exited?)");
        }
        if (g_str_equal(g_strchomp(line), "done")) {
            return;
        }
        kv = g_strsplit(line, " ", 2);
        if (g_strv_length(kv) == 2) {
            g_hash_table_replace(got, g_strdup(kv[0]), g_strdup(kv[1]));
        }
        g_strfreev(kv);
    }
}

static void check_probe(GHashTable *got, const Expect *want, gsize n)
{
    gsize i;

    for (i = 0; i < n; i++) {
        const char *v = g_hash_table_lookup(got, want[i].name);

        if (!v) {
            g_error("hvprobe did not report %s", want[i].name);
        }
        if (g_ascii_strtoull(v, NULL, 16) != want[i].value) {
            g_error("%s: got %s, Hyper-V answers 0x%" G_GINT64_MODIFIER "x",
                    want[i].name, v, want[i].value);
        }
    }
}

static JsonNode *qmp(UbfQmp *q, const char *cmd, const char *args)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = args ? ubf_qmp_execute_json(q, cmd, args, 10000, &err) :
                    ubf_qmp_execute(q, cmd, NULL, 10000, &err);

    g_assert_no_error(err);
    return ret;
}

/* The hostile guest: every answer as Hyper-V gives it, QEMU alive */
static void test_probe(void)
{
    g_autofree char *dir = g_dir_make_tmp("ubf-hvprobe-XXXXXX", NULL);
    g_autofree char *qmp_path = g_build_filename(dir, "qmp.sock", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) qemu = spawn_qemu(
        "qemu64,hv-relaxed,hv-vpindex,hv-synic,hv-time", qmp_path, TRUE,
        &err);
    g_autoptr(GDataInputStream) out = NULL;
    g_autoptr(GHashTable) got = g_hash_table_new_full(g_str_hash,
                                                      g_str_equal, g_free,
                                                      g_free);
    g_autoptr(UbfQmp) qmp = NULL;
    g_autoptr(JsonNode) status = NULL;
    Watchdog dog;

    g_assert_no_error(err);
    watchdog_start(&dog, qemu, PROBE_TIMEOUT_S);
    out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(qemu));
    read_probe(out, got);
    check_probe(got, expected, G_N_ELEMENTS(expected));

    /* QEMU survived it all and still answers */
    qmp = ubf_qmp_connect(qmp_path, 10000, &err);
    g_assert_no_error(err);
    status = ubf_qmp_execute(qmp, "query-status", NULL, 10000, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(
                        json_node_get_object(status), "status"), ==,
                    "running");
    g_clear_pointer(&status, json_node_unref);
    status = ubf_qmp_execute(qmp, "quit", NULL, 10000, &err);
    g_subprocess_wait(qemu, NULL, NULL);
    watchdog_stop(&dog);
    g_unlink(qmp_path);
    g_rmdir(dir);
}

/*
 * The extended hypercalls; then system_reset, then a migration and a
 * reset on the destination: the boot-zeroed answer leaves out what the
 * guest wrote before (the late page), each time.
 */
static void test_ext_probe(void)
{
    static const char *const extra[] = { "-device", "hv-balloon", NULL };
    g_autofree char *dir = g_dir_make_tmp("ubf-hvext-XXXXXX", NULL);
    g_autofree char *qmp_path = g_build_filename(dir, "qmp.sock", NULL);
    g_autofree char *dst_qmp_path = g_build_filename(dir, "dst.sock", NULL);
    g_autofree char *mig = g_strdup_printf("unix:%s/mig.sock", dir);
    const char *dst_extra[] = { "-device", "hv-balloon", "-incoming", mig,
                                NULL };
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) qemu = spawn_qemu_with(EXT_CPU, qmp_path, TRUE,
                                                  extra, &err);
    g_autoptr(GSubprocess) dst = NULL;
    g_autoptr(GDataInputStream) out = NULL;
    g_autoptr(GDataInputStream) dst_out = NULL;
    g_autoptr(GHashTable) got = g_hash_table_new_full(g_str_hash,
                                                      g_str_equal, g_free,
                                                      g_free);
    g_autoptr(UbfQmp) q = NULL;
    g_autoptr(UbfQmp) dq = NULL;
    g_autofree char *args = NULL;
    Watchdog dog, dst_dog;
    gboolean completed = FALSE;
    int i;

    g_assert_no_error(err);
    watchdog_start(&dog, qemu, PROBE_TIMEOUT_S);
    out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(qemu));
    read_probe(out, got);
    check_probe(got, expected_ext, G_N_ELEMENTS(expected_ext));
    g_test_message("boot zeroed: %s MiB (hex) reported",
                   (char *)g_hash_table_lookup(got, "bz_total_mib"));

    /* a reset does not discard RAM: what the guest wrote stays out */
    q = ubf_qmp_connect(qmp_path, 10000, &err);
    g_assert_no_error(err);
    json_node_unref(qmp(q, "system_reset", NULL));
    read_probe(out, got);
    check_probe(got, expected_ext_again, G_N_ELEMENTS(expected_ext_again));

    /* migrated, then reset on the destination: the same */
    dst = spawn_qemu_with(EXT_CPU, dst_qmp_path, TRUE, dst_extra, &err);
    g_assert_no_error(err);
    watchdog_start(&dst_dog, dst, PROBE_TIMEOUT_S);
    dq = ubf_qmp_connect(dst_qmp_path, 10000, &err);
    g_assert_no_error(err);
    args = g_strdup_printf("{\"uri\": \"%s\"}", mig);
    json_node_unref(qmp(q, "migrate", args));
    for (i = 0; i < 600 && !completed; i++) {
        g_autoptr(JsonNode) st = qmp(q, "query-migrate", NULL);
        const char *s = json_object_get_string_member_with_default(
            json_node_get_object(st), "status", "");

        g_assert_cmpstr(s, !=, "failed");
        completed = g_str_equal(s, "completed");
        g_usleep(100 * 1000);
    }
    g_assert_true(completed);
    json_node_unref(qmp(q, "quit", NULL));
    g_subprocess_wait(qemu, NULL, NULL);
    watchdog_stop(&dog);
    dst_out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(dst));
    json_node_unref(qmp(dq, "system_reset", NULL));
    read_probe(dst_out, got);
    check_probe(got, expected_ext_again, G_N_ELEMENTS(expected_ext_again));
    g_test_message("after the migration: %s MiB (hex) reported",
                   (char *)g_hash_table_lookup(got, "bz_total_mib"));

    json_node_unref(qmp(dq, "quit", NULL));
    g_subprocess_wait(dst, NULL, NULL);
    watchdog_stop(&dst_dog);
    g_unlink(qmp_path);
    g_unlink(dst_qmp_path);
    g_rmdir(dir);
}

/*
 * Start QEMU (paused) with @cpu, vmbus-bridge and hv-balloon, which must
 * fail; return its stderr
 */
static char *start_fails(const char *cpu)
{
    g_autofree char *dir = g_dir_make_tmp("ubf-hvcli-XXXXXX", NULL);
    g_autofree char *qmp_path = g_build_filename(dir, "qmp.sock", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(GSubprocess) qemu = spawn_qemu(cpu, qmp_path, FALSE, &err);
    g_autofree char *stdout_text = NULL;
    char *stderr_text = NULL;
    Watchdog dog;

    g_assert_no_error(err);
    watchdog_start(&dog, qemu, 60);
    g_subprocess_communicate_utf8(qemu, NULL, NULL, &stdout_text,
                                  &stderr_text, &err);
    watchdog_stop(&dog);
    g_assert_no_error(err);
    g_assert_true(g_subprocess_get_if_exited(qemu));
    g_assert_cmpint(g_subprocess_get_exit_status(qemu), !=, 0);
    g_rmdir(dir);
    return stderr_text;
}

/* An hv-* feature TCG lacks: warned about, no Hyper-V, so no VMBus */
static void test_unsupported_feature(void)
{
    g_autofree char *err = start_fails("qemu64,hv-vpindex,hv-synic,"
                                       "hv-vapic");

    g_assert_nonnull(strstr(err, "TCG implements only the Hyper-V "
                            "enlightenments hv-relaxed, hv-spinlocks, "
                            "hv-time, hv-vpindex, hv-synic, "
                            "hv-ext-hypercalls and hv-boot-zeroed-mem"));
    g_assert_nonnull(strstr(err, "VMBus requires usable Hyper-V SynIC "
                            "and VP_INDEX"));
    g_assert_nonnull(strstr(err, "No 'vmbus' bus found for device "
                            "'hv-balloon'"));
}

static void test_synic_needs_vpindex(void)
{
    g_autofree char *err = start_fails("qemu64,hv-synic");
    g_autofree char *err2 = start_fails("qemu64,hv-vpindex,hv-synic,"
                                        "hv-boot-zeroed-mem=on");

    g_assert_nonnull(strstr(err, "Hyper-V SynIC (hv-synic) requires "
                            "Hyper-V VP_INDEX (hv-vpindex)"));
    g_assert_nonnull(strstr(err2, "Hyper-V boot zeroed memory query "
                            "(hv-boot-zeroed-mem) requires Hyper-V extended "
                            "hypercalls (hv-ext-hypercalls)"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hyperv-tcg/hostile-guest", test_probe);
    g_test_add_func("/hyperv-tcg/ext-hypercalls", test_ext_probe);
    g_test_add_func("/hyperv-tcg/unsupported-feature",
                    test_unsupported_feature);
    g_test_add_func("/hyperv-tcg/synic-needs-vpindex",
                    test_synic_needs_vpindex);
    return g_test_run();
}
