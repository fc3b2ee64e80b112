/*
 * Faults in the middle of a resize, one VM for most of them: the balloon
 * driver unloaded while it inflates, virtio-mem's while it plugs, the
 * guest out of memory with deflate-on-oom, a second monitor sending
 * requests at random, a reboot while the balloon inflates.  Each ends
 * with nothing lost: the guest's own MemTotal equals what QMP reports,
 * and the last target is reached once the cause is gone.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
#define BOOT (1024 * MIB)
#define TIMEOUT_MS 180000

static UbfVm *fx_vm;
static UbfGuestMem fx_boot;

/*
 * The VM of the cases (with @deflate_on_oom, a VM of its own: Linux then
 * leaves what the balloon holds in MemTotal, the pages being the guest's
 * to take back).
 */
static UbfVm *fx_get_vm(gboolean deflate_on_oom)
{
    static const char *oom[] = {
        "-global", "virtio-balloon-device.deflate-on-oom=on", NULL
    };
    UbfVmConfig cfg = {
        .boot_mib = 1024, .virtio_balloon = TRUE, .virtio_mem_mib = 1024,
        .modules = "virtio_balloon,virtio_mem", .allow_reboot = TRUE,
        .tool_qmp = TRUE, .extra = deflate_on_oom ? oom : NULL,
    };
    g_autoptr(GError) err = NULL;

    if (deflate_on_oom) {
        g_clear_pointer(&fx_vm, ubf_vm_free);
    }
    if (!fx_vm) {
        fx_vm = ubf_vm_start(&cfg, &err);
        g_assert_no_error(err);
        g_assert_true(ubf_agent_meminfo(ubf_vm_agent(fx_vm), &fx_boot,
                                        &err));
    }
    return fx_vm;
}

static UbfVm *fx_get(void)
{
    return fx_get_vm(FALSE);
}

static void fx_qmp(UbfQmp *qmp, const char *cmd, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void fx_qmp(UbfQmp *qmp, const char *cmd, const char *fmt, ...)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = NULL;
    g_autoptr(JsonNode) ret = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ret = ubf_qmp_execute_json(qmp, cmd, args, 10000, &err);
    g_assert_no_error(err);
}

static gint64 fx_query(const char *member)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(fx_vm),
                                              "query-memory-resize", NULL,
                                              10000, &err);

    g_assert_no_error(err);
    return json_object_get_int_member(json_node_get_object(ret), member);
}

static gboolean fx_reached(JsonObject *ev, gpointer opaque)
{
    JsonObject *data = json_object_get_object_member(ev, "data");

    return json_object_get_int_member(data, "target") == *(gint64 *)opaque &&
           ubf_vm_reason_is(ev, (gpointer)"reached");
}

/* Wait for MEMORY_RESIZE_DONE, reached, of the request for @target. */
static void fx_wait_reached(gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ev = ubf_qmp_wait_event(ubf_vm_qmp(fx_vm),
                                                  "MEMORY_RESIZE_DONE",
                                                  fx_reached, &target,
                                                  TIMEOUT_MS, &err);

    g_assert_no_error(err);
}

/* Wait until the request in flight has moved some memory. */
static void fx_wait_progress(void)
{
    gint64 until = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    while (fx_query("done") == 0) {
        g_assert_cmpint(g_get_monotonic_time(), <, until);
        g_usleep(10 * 1000);
    }
}

/*
 * Nothing lost: the guest's MemTotal settles where QMP's size says it
 * is, query-balloon agrees, and, with @want not 0, that is @want.
 */
static void fx_assert_consistent(gint64 want)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;
    gint64 actual;

    g_assert_true(ubf_vm_wait_settled(fx_vm, 1000, 60000, &mem, &err));
    g_assert_no_error(err);
    actual = fx_query("actual");
    g_test_message("QMP %" G_GINT64_FORMAT " MiB, guest MemTotal %"
                   G_GINT64_FORMAT " KiB", actual / MIB, mem.memtotal_kib);
    if (want) {
        g_assert_cmpint(actual, ==, want);
    }
    g_assert_cmpint(ubf_vm_qmp_int(fx_vm, "query-balloon", "actual", &err),
                    ==, actual);
    g_assert_true(ubf_vm_wait_memtotal(fx_vm, fx_boot.memtotal_kib +
                                       (actual - BOOT) / 1024, 30000, &mem,
                                       &err));
    g_assert_no_error(err);
}

/* Whether query-memory-resize says virtio-mem's driver is there. */
static gboolean fx_vmem_connected(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) be = ubf_vm_backend(fx_vm, "virtio-mem", &err);

    g_assert_no_error(err);
    return json_object_get_boolean_member(be, "driver-connected");
}

static JsonObject *fx_agent(const char *command, GError **err)
{
    return ubf_agent_command(ubf_vm_agent(fx_vm), command, 120000, err);
}

static void fx_agent_ok(const char *command)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ret = fx_agent(command, &err);

    g_assert_no_error(err);
}

/* The balloon driver goes away while it inflates, then comes back. */
static void test_unload_balloon_mid_inflate(void)
{
    UbfVm *vm = fx_get();
    g_autofree char *state = NULL;

    fx_qmp(ubf_vm_qmp(vm), "balloon", "{\"value\": %" G_GINT64_FORMAT "}",
           512 * MIB);
    fx_wait_progress();
    fx_agent_ok("unload virtio_balloon");
    /* Linux gives every page back as the driver goes. */
    fx_assert_consistent(BOOT);

    fx_agent_ok("load virtio_balloon");
    fx_wait_reached(512 * MIB);
    fx_assert_consistent(512 * MIB);

    fx_qmp(ubf_vm_qmp(vm), "balloon", "{\"value\": %" G_GINT64_FORMAT "}",
           BOOT);
    fx_wait_reached(BOOT);
    fx_assert_consistent(BOOT);
}

/* What query-memory-resize says a backend of @type has plugged. */
static gint64 fx_backend_size(const char *type)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) be = ubf_vm_backend(fx_vm, type, &err);

    g_assert_no_error(err);
    return json_object_get_int_member(be, "size");
}

/*
 * virtio-mem's driver goes away while it plugs (where Linux lets it),
 * then is loaded again.  Linux takes back what it hot-added as the
 * driver goes, but leaves it plugged in the device (a new driver starts
 * with unplug-all): QMP reports the device's size and that its driver
 * is gone.  If the driver binds again, the target is reached; if Linux
 * cannot (it may keep part of the old memory, and its resource), only a
 * reboot recovers: the last case of this VM.
 */
static void test_unload_mem_mid_plug(void)
{
    UbfVm *vm = fx_get();
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ret = NULL;
    UbfGuestMem mem;
    gint64 until;

    fx_qmp(ubf_vm_qmp(vm), "memory-resize", "{\"size\": %" G_GINT64_FORMAT
           "}", BOOT + 512 * MIB);
    fx_wait_progress();
    ret = fx_agent("unload virtio_mem", &err);
    if (err) {
        g_test_message("the guest kept virtio_mem: %s", err->message);
        fx_wait_reached(BOOT + 512 * MIB);
        fx_assert_consistent(BOOT + 512 * MIB);
        return;
    }
    until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (fx_vmem_connected()) {
        g_assert_cmpint(g_get_monotonic_time(), <, until);
        g_usleep(50 * 1000);
    }
    /* The guest's MemTotal: boot plus nothing of virtio-mem's */
    g_assert_true(ubf_vm_wait_settled(vm, 1000, 60000, &mem, &err));
    g_assert_no_error(err);
    g_assert_cmpint(fx_query("actual"), ==, BOOT + fx_backend_size(
                        "virtio-mem"));

    fx_agent_ok("load virtio_mem");
    until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (!fx_vmem_connected() && g_get_monotonic_time() < until) {
        g_usleep(100 * 1000);
    }
    if (!fx_vmem_connected()) {
        g_test_message("Linux did not bind virtio_mem again; MemTotal %"
                       G_GINT64_FORMAT " KiB, virtio-mem holds %"
                       G_GINT64_FORMAT " MiB", mem.memtotal_kib,
                       fx_backend_size("virtio-mem") / MIB);
        return;
    }
    fx_wait_reached(BOOT + 512 * MIB);
    fx_assert_consistent(BOOT + 512 * MIB);
    fx_qmp(ubf_vm_qmp(vm), "memory-resize", "{\"size\": %" G_GINT64_FORMAT
           "}", BOOT);
    fx_wait_reached(BOOT);
    fx_assert_consistent(BOOT);
}

/*
 * The guest runs out of memory with pages in the balloon and
 * deflate-on-oom: it takes some back, QMP follows; once it lets go the
 * balloon fills again to the target.  (With deflate-on-oom Linux counts
 * the balloon's pages in MemTotal: only QMP's size moves.)
 */
static void test_oom_deflate(void)
{
    UbfVm *vm = fx_get_vm(TRUE);
    g_autofree char *cmd = NULL;
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;
    gint64 until;

    fx_qmp(ubf_vm_qmp(vm), "balloon", "{\"value\": %" G_GINT64_FORMAT "}",
           640 * MIB);
    fx_wait_reached(640 * MIB);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    640 * MIB);

    /* 96 MiB more than the guest has free: it must deflate to live */
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    cmd = g_strdup_printf("alloc %" G_GINT64_FORMAT,
                          mem.memfree_kib / KIB_PER_MIB + 96);
    fx_agent_ok(cmd);
    g_assert_cmpint(fx_query("actual"), >=, 640 * MIB + 96 * MIB);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    fx_query("actual"));

    /* It lets go: the balloon fills again, to the page. */
    fx_agent_ok("free");
    until = g_get_monotonic_time() + TIMEOUT_MS * (gint64)1000;
    while (fx_query("actual") != 640 * MIB) {
        g_assert_cmpint(g_get_monotonic_time(), <, until);
        g_usleep(100 * 1000);
    }
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    640 * MIB);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
    g_assert_cmpint(mem.memtotal_kib, ==, fx_boot.memtotal_kib);
}

/*
 * A second monitor (a tool next to libvirt) sends requests at random
 * while the first does too; the last one wins, exactly.
 */
static void test_second_monitor(void)
{
    UbfVm *vm = fx_get();
    g_autofree char *ctl = g_build_filename(ubf_vm_dir(vm), "ctl.sock",
                                            NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfQmp) other = ubf_qmp_connect(ctl, 10000, &err);
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261201);
    const gint64 last = BOOT + 256 * MIB;
    int i;

    g_assert_no_error(err);
    for (i = 0; i < 30; i++) {
        UbfQmp *qmp = g_rand_boolean(rand) ? other : ubf_vm_qmp(vm);
        gint64 size = g_rand_int_range(rand, 512, 1792) * MIB;

        if (g_rand_boolean(rand)) {
            fx_qmp(qmp, "balloon", "{\"value\": %" G_GINT64_FORMAT "}",
                   size);
        } else {
            fx_qmp(qmp, "memory-resize", "{\"size\": %" G_GINT64_FORMAT "}",
                   size);
        }
        g_usleep(g_rand_int_range(rand, 0, 300) * 1000);
    }
    fx_qmp(ubf_vm_qmp(vm), "memory-resize", "{\"size\": %" G_GINT64_FORMAT
           "}", last);
    fx_wait_reached(last);
    fx_assert_consistent(last);

    fx_qmp(ubf_vm_qmp(vm), "memory-resize", "{\"size\": %" G_GINT64_FORMAT
           "}", BOOT);
    fx_wait_reached(BOOT);
    fx_assert_consistent(BOOT);
}

/* A reboot while the balloon inflates: the target comes back. */
static void test_reboot_mid_resize(void)
{
    UbfVm *vm = fx_get();
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = NULL;
    UbfGuestMem mem;

    fx_qmp(ubf_vm_qmp(vm), "balloon", "{\"value\": %" G_GINT64_FORMAT "}",
           512 * MIB);
    fx_wait_progress();
    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "system_reset", NULL, 5000, &err);
    g_assert_no_error(err);
    g_assert_true(ubf_vm_wait_agent(vm, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    fx_wait_reached(512 * MIB);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    512 * MIB);
    /* MemTotal moves by a page or so from one boot to the next */
    g_assert_true(ubf_vm_wait_memtotal_near(vm, fx_boot.memtotal_kib -
                                            512 * KIB_PER_MIB, 16, 60000,
                                            &mem, &err));
    g_assert_no_error(err);
}

/*
 * Linux's hv_balloon unbound while it balloons (its module cannot be
 * unloaded: "Device or resource busy"), in a VM of its own.
 * Linux keeps what it ballooned out of its MemTotal as the driver goes
 * (it does not give it back), and QMP keeps counting it: they agree.
 * hv-balloon accepts a new driver only after a VMBus reset, so the
 * request waits, driver-connected false, until the reboot; then the
 * target is reached again.
 */
static void test_unbind_hv_balloon(void)
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
        .boot_mib = 1024, .maxmem_mib = UBF_VM_HV_MAXMEM_MIB,
        .modules = "hv_vmbus,hv_balloon", .allow_reboot = TRUE,
        .extra = extra,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) be = NULL;
    g_autoptr(JsonNode) ret = NULL;
    UbfGuestMem mem;
    gint64 until;

    g_clear_pointer(&fx_vm, ubf_vm_free);
    fx_vm = ubf_vm_start(&cfg, &err);
    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(fx_vm), &fx_boot, &err));

    /* hv-balloon holds requests for 50 s after the driver connects */
    fx_qmp(ubf_vm_qmp(fx_vm), "balloon", "{\"value\": %" G_GINT64_FORMAT
           "}", 512 * MIB);
    fx_wait_progress();
    /* Linux cannot unload hv_balloon: unbind it from its device */
    fx_agent_ok("unbind vmbus hv_balloon");
    until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    do {
        g_clear_pointer(&be, json_object_unref);
        be = ubf_vm_backend(fx_vm, "hv-balloon", &err);
        g_assert_no_error(err);
        g_assert_cmpint(g_get_monotonic_time(), <, until);
        g_usleep(100 * 1000);
    } while (json_object_get_boolean_member(be, "driver-connected"));
    fx_assert_consistent(0);
    g_test_message("driver gone at %" G_GINT64_FORMAT " MiB",
                   fx_query("actual") / MIB);

    ret = ubf_qmp_execute(ubf_vm_qmp(fx_vm), "system_reset", NULL, 5000,
                          &err);
    g_assert_no_error(err);
    g_assert_true(ubf_vm_wait_agent(fx_vm, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    fx_wait_reached(512 * MIB);
    g_assert_true(ubf_vm_wait_memtotal_near(fx_vm, fx_boot.memtotal_kib -
                                            512 * KIB_PER_MIB, 16, 60000,
                                            &mem, &err));
    g_assert_no_error(err);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/faults/unload-balloon-mid-inflate",
                    test_unload_balloon_mid_inflate);
    g_test_add_func("/faults/second-monitor-at-random", test_second_monitor);
    g_test_add_func("/faults/reboot-mid-resize", test_reboot_mid_resize);
    g_test_add_func("/faults/unload-mem-mid-plug", test_unload_mem_mid_plug);
    g_test_add_func("/faults/oom-with-deflate-on-oom", test_oom_deflate);
    g_test_add_func("/faults/unbind-hv-balloon", test_unbind_hv_balloon);
    ret = g_test_run();
    g_clear_pointer(&fx_vm, ubf_vm_free);
    return ret;
}
