/*
 * A Linux guest's Dynamic Memory driver dies and comes back with its
 * kernel: kexec.  After each kexec, once the new kernel's hv_balloon is
 * let in, QEMU's books must be what the new kernel knows (its own
 * MemTotal), and growing back to boot size and past it must reach the
 * target with the guest alive and its console free of complaints.
 *
 * One VM goes through it all, 2 GiB boot and 4 GiB for hv-balloon to
 * hot-add, through the test guest that carries Debian's kexec-tools:
 *
 *   hot-add 512 MiB, then shrink to 1.5 GiB (ballooning)
 *   kexec with kexec_load (kexec-tools' default): the new kernel gets
 *       the hot-added memory as boot memory, not the ballooned pages'
 *       absence: QEMU keeps the hot-added memory, forgets the ballooning
 *   grow to 2 GiB and past it, to 3 GiB
 *   kexec with kexec_file_load: the new kernel gets the boot memory
 *       map only, and QEMU takes the hot-added memory off its books;
 *       the last target, 3 GiB, is reached by hot-adding it again
 *   grow to 3.5 GiB
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
#define BOOT_MIB 2048
/* hv-balloon holds requests for 50 s after its driver connects */
#define TIMEOUT_MS 240000

/*
 * A kernel keeps some of its boot memory for itself (its memory map
 * among it), so its MemTotal is below its boot memory by an amount that
 * grows with it: 1.5 % of the memory, a few MiB more for a kernel that
 * was given hot-added memory as boot memory.  Books wrong by a block of
 * hot-added or ballooned memory are wrong by 128 MiB or more.
 */
#define TOLERANCE_KIB (24 * KIB_PER_MIB)

/* Lines a kernel prints when something went wrong. */
static const char *const complaints[] = {
    "BUG", "Bad page", "WARNING:", "Call Trace", "Oops",
    "unchecked MSR", "Kernel panic", "hot_add memory failed",
    "Memory hot add failed", NULL
};

static const char *hv_extra[] = {
    "-cpu", NULL,
    "-global", "ICH9-LPC.disable_s4=1",
    "-device", "vmbus-bridge",
    "-object", "memory-backend-ram,id=hvmem,size=4G",
    "-device", "hv-balloon,id=hvb0,memdev=hvmem",
    NULL
};

typedef struct Life {
    UbfVm *vm;
    gint64 boot_memtotal_kib;   /* the first kernel's, at boot */
} Life;

static JsonObject *hv_backend(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    JsonObject *o = ubf_vm_backend(vm, "hv-balloon", &err);

    g_assert_no_error(err);
    return o;
}

/* Wait until the guest's driver is let in (its hold is over). */
static void wait_connected(UbfVm *vm)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_MS * (gint64)1000;

    for (;;) {
        g_autoptr(JsonObject) o = hv_backend(vm);

        if (json_object_get_boolean_member(o, "driver-connected")) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(200 * 1000);
    }
}

/* Wait until no request is in flight (a target re-applied, say). */
static void wait_idle(UbfVm *vm)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_MS * (gint64)1000;

    for (;;) {
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonNode) r = ubf_qmp_execute(ubf_vm_qmp(vm),
                                                "query-memory-resize", NULL,
                                                5000, &err);

        g_assert_no_error(err);
        if (!g_strcmp0(json_object_get_string_member(
                           json_node_get_object(r), "state"), "idle")) {
            return;
        }
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(200 * 1000);
    }
}

static gint64 qmp_actual(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    gint64 actual = ubf_vm_qmp_int(vm, "query-balloon", "actual", &err);

    g_assert_no_error(err);
    return actual;
}

/*
 * What the guest sees equals what QMP says: its MemTotal is its first
 * MemTotal plus what QMP says it gained since boot.
 */
static void assert_books(Life *l, const char *when)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;
    gint64 actual, want;

    wait_idle(l->vm);
    g_assert_true(ubf_vm_wait_settled(l->vm, 1000, 60000, &mem, &err));
    g_assert_no_error(err);
    actual = qmp_actual(l->vm);
    want = l->boot_memtotal_kib + (actual - BOOT_MIB * MIB) / 1024;
    g_test_message("%s: QMP %" G_GINT64_FORMAT " MiB, guest MemTotal %"
                   G_GINT64_FORMAT " KiB (want %" G_GINT64_FORMAT " KiB)",
                   when, actual / MIB, mem.memtotal_kib, want);
    if (ABS(mem.memtotal_kib - want) > TOLERANCE_KIB) {
        g_error("%s: QMP says %" G_GINT64_FORMAT " MiB, the guest has "
                "MemTotal %" G_GINT64_FORMAT " KiB, %" G_GINT64_FORMAT
                " KiB off", when, actual / MIB, mem.memtotal_kib,
                mem.memtotal_kib - want);
    }
}

static void resize(Life *l, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) earlier = ubf_qmp_take_events(ubf_vm_qmp(l->vm),
                                                       NULL);
    g_autoptr(JsonObject) done = NULL;

    /* Events of earlier requests (a target re-applied) are past. */
    done = ubf_vm_balloon(l->vm, target, TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
    g_assert_cmpint(json_object_get_int_member(done, "actual"), ==, target);
}

/* kexec (@how: "load" or "file") into a new kernel, and its agent. */
static void kexec(Life *l, const char *how)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *cmd = g_strdup_printf("kexec %s", how);
    g_autoptr(JsonObject) ok = ubf_agent_command(ubf_vm_agent(l->vm), cmd,
                                                 60000, &err);

    g_assert_no_error(err);
    g_assert_true(json_object_get_boolean_member(ok, "ok"));
    g_assert_true(ubf_vm_wait_agent(l->vm, TIMEOUT_MS, &err));
    g_assert_no_error(err);
}

static void assert_no_complaint(Life *l)
{
    g_autofree char *console = ubf_vm_console(l->vm);
    int i;

    for (i = 0; complaints[i]; i++) {
        const char *at = strstr(console, complaints[i]);

        if (at) {
            g_autofree char *line = g_strndup(at, strcspn(at, "\n"));

            g_error("the guest complained: %s", line);
        }
    }
}

static void test_kexec(void)
{
    UbfVmConfig cfg = {
        .boot_mib = BOOT_MIB, .modules = "hv_vmbus,hv_balloon",
        .maxmem_mib = UBF_VM_HV_MAXMEM_MIB, .extra = hv_extra,
        .boot_timeout_ms = TIMEOUT_MS, .memhp = "online",
    };
    g_autofree char *initrd = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) hv = NULL;
    UbfGuestMem boot;
    Life l;

    hv_extra[1] = ubf_vm_hv_cpu();
    initrd = g_build_filename(g_getenv("UBF_GUEST_DIR"), "initrd-kexec.img",
                              NULL);
    cfg.initrd = initrd;
    l.vm = ubf_vm_start(&cfg, &err);
    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(l.vm), &boot, &err));
    l.boot_memtotal_kib = boot.memtotal_kib;
    wait_connected(l.vm);

    resize(&l, 2560 * MIB);
    assert_books(&l, "hot-added 512 MiB");
    resize(&l, 1536 * MIB);
    assert_books(&l, "shrunk to 1.5 GiB");

    /*
     * kexec_load: the new kernel has the hot-added memory, none of the
     * ballooning; QEMU then asks it for the last target again.
     */
    kexec(&l, "load");
    wait_connected(l.vm);
    hv = hv_backend(l.vm);
    g_assert_cmpint(json_object_get_int_member_with_default(hv, "hot-added",
                                                            0), ==,
                    512 * MIB);
    assert_books(&l, "after kexec_load, driver let in");
    resize(&l, BOOT_MIB * MIB);
    assert_books(&l, "grown back to boot size");
    resize(&l, 3072 * MIB);
    assert_books(&l, "grown past boot size");
    assert_no_complaint(&l);

    /*
     * kexec_file_load: the new kernel has the boot memory only; QEMU
     * takes the hot-added memory off its books, and the last target
     * (3 GiB) is reached by hot-adding it again.
     */
    kexec(&l, "file");
    wait_connected(l.vm);
    assert_books(&l, "after kexec_file_load, driver let in");
    resize(&l, 3584 * MIB);
    assert_books(&l, "grown further");
    assert_no_complaint(&l);
    ubf_vm_free(l.vm);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/driver-life/kexec", test_kexec);
    return g_test_run();
}
