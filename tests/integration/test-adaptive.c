/*
 * The planner adapts to what a real guest refuses.  Run twice (see
 * meson.build): with the guest onlining hot-plugged memory movable, and
 * as many distributions do, letting the kernel choose the zone, so that
 * virtio-mem may not get all its blocks back.
 *
 * 1 GiB boot, virtio-balloon and a 4 GiB virtio-mem device: 'balloon 3G'
 * then 'balloon 512M' reach exactly 512 MiB as the guest's MemTotal says,
 * whatever virtio-mem could not unplug; and a grow asked before the
 * virtio-mem driver is loaded is held and done once it is.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define GIB (1024 * MIB)
#define KIB_PER_MIB 1024
#define TIMEOUT_MS 180000

static void agent_do(UbfVm *vm, const char *command)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) ret = ubf_agent_command(ubf_vm_agent(vm), command,
                                                  120000, &err);

    g_assert_no_error(err);
}

static void reach(UbfVm *vm, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = ubf_vm_balloon(vm, target, TIMEOUT_MS, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
    g_assert_cmpint(json_object_get_int_member(done, "actual"), ==, target);
}

/* The case: 3 GiB, then 512 MiB exactly. */
static void test_shrink_whatever_unplugs(void)
{
    const char *extra[] = { "-object",
                            "balloon-frontend,id=bf0,stall-timeout=3", NULL };
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 4096,
        .modules = "virtio_balloon,virtio_mem",
        .extra = extra,
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    UbfGuestMem boot, mem;
    gint64 plugged;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    g_test_message("memhp_default_state=%s", ubf_vm_memhp(&cfg));

    reach(vm, 3 * GIB);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib +
                                       2048 * KIB_PER_MIB, 30000, &mem,
                                       &err));
    g_assert_no_error(err);

    /* Keep some of the plugged memory busy, as a working guest does. */
    agent_do(vm, "alloc 1200");
    agent_do(vm, "free");
    reach(vm, 512 * MIB);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib -
                                       512 * KIB_PER_MIB, 30000, &mem,
                                       &err));
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    512 * MIB);
    plugged = ubf_vm_qom_get_int(vm, "/machine/peripheral/vmem0", "size",
                                 &err);
    g_assert_no_error(err);
    g_test_message("virtio-mem kept %" G_GINT64_FORMAT " MiB the guest could "
                   "not unplug; the balloon took it", plugged / MIB);
}

/* Beyond boot size before virtio-mem's driver is there: held, then done. */
static void test_grow_before_driver(void)
{
    UbfVmConfig cfg = {
        .boot_mib = 1024,
        .virtio_balloon = TRUE,
        .virtio_mem_mib = 1024,
        .modules = "virtio_balloon",
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(UbfVm) vm = ubf_vm_start(&cfg, &err);
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonObject) ev = NULL;
    UbfGuestMem boot, mem;

    g_assert_no_error(err);
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 2147483648}", 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "target",
                                   &err), ==, 2 * GIB);
    agent_do(vm, "load virtio_mem");
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE",
                            ubf_vm_reason_is, "reached", TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib +
                                       1024 * KIB_PER_MIB, 30000, &mem,
                                       &err));
    g_assert_no_error(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/adaptive/shrink-whatever-unplugs",
                    test_shrink_whatever_unplugs);
    g_test_add_func("/adaptive/grow-before-driver", test_grow_before_driver);
    return g_test_run();
}
