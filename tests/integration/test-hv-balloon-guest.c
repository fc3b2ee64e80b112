/*
 * hv-balloon with a real guest driver: Linux's hv_vmbus + hv_balloon
 * speak the Dynamic Memory protocol over VMBus.  Under TCG the Hyper-V
 * enlightenments come from QEMU itself (qemu/patches/hyperv-tcg); under
 * KVM from the host kernel, and the cases skip if it has no Hyper-V
 * SynIC.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
/* hv-balloon holds requests for a while after the driver connects */
#define TIMEOUT_MS 240000

/*
 * Linux's hv_balloon neither balloons nor hot-adds if the VM offers
 * hibernation (ACPI S4), to keep the memory map stable for resume.
 */
static const char *hv_extra[] = {
    "-cpu", NULL,
    "-global", "ICH9-LPC.disable_s4=1",
    "-device", "vmbus-bridge",
    "-object", "memory-backend-ram,id=hvmem,size=2G",
    "-device", "hv-balloon,id=hvb0,memdev=hvmem",
    NULL
};

/* Start the VM; under KVM skip with QEMU's reason if it cannot be. */
static UbfVm *start_or_skip(UbfVmConfig *cfg)
{
    g_autoptr(GError) err = NULL;
    UbfVm *vm;

    hv_extra[1] = ubf_vm_hv_cpu();
    if (!cfg->extra) {
        cfg->extra = hv_extra;
    }
    cfg->maxmem_mib = UBF_VM_HV_MAXMEM_MIB;
    if (!cfg->boot_timeout_ms) {
        cfg->boot_timeout_ms = TIMEOUT_MS;
    }
    vm = ubf_vm_start(cfg, &err);
    if (!vm && g_strcmp0(g_getenv("UBF_ACCEL"), "kvm") == 0) {
        g_autofree char *why = g_strdup_printf("hv-balloon needs KVM with "
                                               "Hyper-V SynIC: %s",
                                               err->message);

        g_test_skip(g_strdelimit(why, "\r\n", ' '));
        return NULL;
    }
    g_assert_no_error(err);
    return vm;
}

/* The frontend's view of one backend type: whether connected, its size */
static gboolean backend(UbfVm *vm, const char *type, gint64 *size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) o = ubf_vm_backend(vm, type, &err);

    g_assert_no_error(err);
    if (size) {
        *size = json_object_get_int_member(o, "size");
    }
    return json_object_get_boolean_member(o, "driver-connected");
}

/* The memory a backend type hot-added, as query-memory-resize says */
static gint64 backend_hot_added(UbfVm *vm, const char *type)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) o = ubf_vm_backend(vm, type, &err);

    g_assert_no_error(err);
    return json_object_get_int_member_with_default(o, "hot-added", 0);
}

/*
 * What QEMU's own commands say the hv-balloon device has plugged:
 * query-memory-devices' size and query-memory-size-summary's
 * plugged-memory (the VM has no other memory device).
 */
static void assert_plugged(UbfVm *vm, gint64 want)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) devs = ubf_qmp_execute(ubf_vm_qmp(vm),
                                               "query-memory-devices", NULL,
                                               5000, &err);
    JsonArray *a;
    JsonObject *data;

    g_assert_no_error(err);
    a = json_node_get_array(devs);
    g_assert_cmpint(json_array_get_length(a), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(
                        json_array_get_object_element(a, 0), "type"), ==,
                    "hv-balloon");
    data = json_object_get_object_member(json_array_get_object_element(a, 0),
                                         "data");
    g_assert_cmpint(json_object_get_int_member(data, "size"), ==, want);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-size-summary",
                                   "plugged-memory", &err), ==, want);
    g_assert_no_error(err);
}

static void wait_connected(UbfVm *vm, const char *type)
{
    gint64 end = g_get_monotonic_time() + TIMEOUT_MS * (gint64)1000;

    while (!backend(vm, type, NULL)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(200 * 1000);
    }
}

static void resize(UbfVm *vm, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) done = ubf_vm_balloon(vm, target, TIMEOUT_MS, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
    g_assert_cmpint(json_object_get_int_member(done, "actual"), ==, target);
}

/* The guest's own MemTotal reaches @want_kib */
static void assert_guest_memtotal(UbfVm *vm, gint64 want_kib)
{
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;

    if (!ubf_vm_wait_memtotal(vm, want_kib, 60000, &mem, &err)) {
        g_error("guest MemTotal %" G_GINT64_FORMAT " KiB, want %"
                G_GINT64_FORMAT " KiB: %s", mem.memtotal_kib, want_kib,
                err ? err->message : "");
    }
}

/* Shrink by ballooning, grow past boot size by hot-add. */
static void test_hv_balloon_resize(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .modules = "hv_vmbus,hv_balloon" };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    UbfGuestMem boot;
    gint64 size;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    wait_connected(vm, "hv-balloon");

    resize(vm, 768 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib - 256 * KIB_PER_MIB);
    g_assert_true(backend(vm, "hv-balloon", &size));
    g_assert_cmpint(size, ==, -256 * MIB);
    assert_plugged(vm, 0);

    resize(vm, 1536 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib + 512 * KIB_PER_MIB);
    g_assert_true(backend(vm, "hv-balloon", &size));
    g_assert_cmpint(size, ==, 512 * MIB);
    g_assert_cmpint(backend_hot_added(vm, "hv-balloon"), ==, 512 * MIB);
    assert_plugged(vm, 512 * MIB);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    1536 * MIB);

    /* and back below boot size: the hot-added memory goes first */
    resize(vm, 896 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib - 128 * KIB_PER_MIB);
}

/*
 * hv-balloon and virtio-balloon in one VM, as in a template for mixed
 * guests: the request goes to the balloon whose driver the guest runs,
 * and to hv-balloon (which can also hot-add) when it runs both.
 */
static void test_with_virtio_balloon(gconstpointer data)
{
    const char *modules = data;
    gboolean hv = strstr(modules, "hv_balloon") != NULL;
    gboolean virtio = strstr(modules, "virtio_balloon") != NULL;
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .modules = modules };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    const char *used = hv ? "hv-balloon" : "virtio-balloon";
    const char *idle = hv ? "virtio-balloon" : "hv-balloon";
    UbfGuestMem boot;
    gint64 size;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    wait_connected(vm, used);

    resize(vm, 768 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib - 256 * KIB_PER_MIB);
    g_assert_true(backend(vm, used, &size));
    g_assert_cmpint(size, ==, -256 * MIB);
    /* the other balloon keeps nothing, loaded driver or not */
    g_assert_cmpint(backend(vm, idle, &size), ==, hv && virtio);
    g_assert_cmpint(size, ==, 0);

    if (hv) {
        /* only hv-balloon can grow the guest past its boot size */
        resize(vm, 1280 * MIB);
        assert_guest_memtotal(vm, boot.memtotal_kib + 256 * KIB_PER_MIB);
        g_assert_true(backend(vm, used, &size));
        g_assert_cmpint(size, ==, 256 * MIB);
    }
}

/*
 * The mixed VM template's sequence, both drivers loaded in a Linux guest,
 * 2 GiB boot, 4 GiB for hv-balloon to hot-add: right after boot, during
 * hv-balloon's hold, 3 GiB is accepted and held (hv-balloon will hot-add
 * it); 1 GiB replaces it and lands on virtio-balloon, whose driver is up;
 * once hv-balloon's driver is up, 4 GiB is reached exactly:
 * virtio-balloon gives back its 1 GiB, hv-balloon hot-adds 2 GiB.
 */
static void test_template_sequence(void)
{
    const char *extra[] = {
        "-cpu", ubf_vm_hv_cpu(),
        "-global", "ICH9-LPC.disable_s4=1",
        "-device", "vmbus-bridge",
        "-object", "memory-backend-ram,id=hvmem,size=4G",
        "-device", "hv-balloon,id=hvb0,memdev=hvmem",
        NULL
    };
    UbfVmConfig cfg = { .boot_mib = 2048, .virtio_balloon = TRUE,
                        .modules = "hv_vmbus,hv_balloon,virtio_balloon",
                        .extra = extra };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonObject) ev = NULL;
    UbfGuestMem boot;
    gint64 size;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    wait_connected(vm, "virtio-balloon");
    g_assert_false(backend(vm, "hv-balloon", NULL));

    /* Beyond boot size: only hv-balloon can, once it is up.  Held. */
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 3221225472}", 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-memory-resize", "target",
                                   &err), ==, 3072 * MIB);

    /* Below it: virtio-balloon does it now; the 3 GiB are replaced. */
    g_clear_pointer(&ret, json_node_unref);
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "balloon",
                               "{\"value\": 1073741824}", 5000, &err);
    g_assert_no_error(err);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE",
                            ubf_vm_reason_is, "replaced", TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_clear_pointer(&ev, json_object_unref);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE",
                            ubf_vm_reason_is, "reached", TIMEOUT_MS, &err);
    g_assert_no_error(err);
    assert_guest_memtotal(vm, boot.memtotal_kib - 1024 * KIB_PER_MIB);
    g_assert_true(backend(vm, "virtio-balloon", &size));
    g_assert_cmpint(size, ==, -1024 * MIB);
    g_assert_false(backend(vm, "hv-balloon", NULL));

    wait_connected(vm, "hv-balloon");
    resize(vm, 4096 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib + 2048 * KIB_PER_MIB);
    g_assert_true(backend(vm, "virtio-balloon", &size));
    g_assert_cmpint(size, ==, 0);
    g_assert_true(backend(vm, "hv-balloon", &size));
    g_assert_cmpint(size, ==, 2048 * MIB);
}

/*
 * The whole mixed template in a Linux guest: virtio-balloon, virtio-mem
 * and hv-balloon, every driver loaded.  Linux has one online-page
 * callback, and hv_balloon and virtio_mem both set one: which driver
 * loads first decides.  virtio_mem first: both drivers come up, and
 * growing 1 GiB past boot size plugs virtio-mem's 512 MiB and hot-adds
 * the rest; hv_balloon first: virtio_mem's probe fails (-EINVAL), the
 * frontend never counts virtio-mem, and hv-balloon hot-adds it all.
 * Either way the guest's MemTotal is what QMP says, growing and
 * shrinking.
 */
static void test_full_template(gconstpointer data)
{
    const char *modules = data;
    gboolean vmem_first = g_str_has_prefix(modules, "hv_vmbus,virtio_mem");
    UbfVmConfig cfg = { .boot_mib = 1024, .virtio_balloon = TRUE,
                        .virtio_mem_mib = 512, .modules = modules };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    g_autofree char *console = NULL;
    UbfGuestMem boot;
    gint64 vmem, hv;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    wait_connected(vm, "virtio-balloon");
    wait_connected(vm, "hv-balloon");
    console = ubf_vm_console(vm);
    g_assert_cmpint(backend(vm, "virtio-mem", NULL), ==, vmem_first);
    g_assert_cmpint(strstr(console, "probe with driver virtio_mem failed "
                           "with error -22") != NULL, ==, !vmem_first);

    resize(vm, 2048 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib + 1024 * KIB_PER_MIB);
    backend(vm, "virtio-mem", &vmem);
    backend(vm, "hv-balloon", &hv);
    g_test_message("grown by 1 GiB: virtio-mem %" G_GINT64_FORMAT
                   " MiB, hv-balloon %" G_GINT64_FORMAT " MiB",
                   vmem / MIB, hv / MIB);
    if (!vmem_first) {
        g_assert_cmpint(vmem, ==, 0);
    }
    g_assert_cmpint(vmem + hv, ==, 1024 * MIB);
    g_assert_cmpint(backend_hot_added(vm, "hv-balloon"), ==, hv);

    /*
     * Linux's hv_balloon balloons from the zones kernel allocations use,
     * not from movable hot-added memory: shrink by what 1 GiB of boot
     * memory can give (see test-migration's hv-balloon case).
     */
    resize(vm, 1536 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib + 512 * KIB_PER_MIB);
}

/*
 * A reboot with VMBus routes in place: QEMU resets the SynIC after the
 * devices (under TCG this aborted before), the guest's driver comes
 * back, and the frontend hot-adds again to reach the last target.
 */
static void test_hv_balloon_reboot(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .modules = "hv_vmbus,hv_balloon",
                        .allow_reboot = TRUE };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = NULL;
    g_autoptr(JsonObject) ev = NULL;
    UbfGuestMem boot, mem;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    wait_connected(vm, "hv-balloon");
    resize(vm, 1280 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib + 256 * KIB_PER_MIB);

    ret = ubf_qmp_execute(ubf_vm_qmp(vm), "system_reset", NULL, 5000, &err);
    g_assert_no_error(err);
    g_assert_true(ubf_vm_wait_agent(vm, TIMEOUT_MS, &err));
    g_assert_no_error(err);
    ev = ubf_qmp_wait_event(ubf_vm_qmp(vm), "MEMORY_RESIZE_DONE",
                            ubf_vm_reason_is, "reached", TIMEOUT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpint(json_object_get_int_member(
                        json_object_get_object_member(ev, "data"), "actual"),
                    ==, 1280 * MIB);

    /* MemTotal moves by a page or so between boots (see test-reboot) */
    g_assert_true(ubf_vm_wait_memtotal_near(vm, boot.memtotal_kib +
                                            256 * KIB_PER_MIB, 16, 60000,
                                            &mem, &err));
    g_assert_no_error(err);
}

/* Per-node figures of query-memory-resize: actual - boot, per node. */
static void frontend_nodes(UbfVm *vm, gint64 *delta, gint64 *ballooned,
                           gint64 *hot_added)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              5000, &err);
    JsonArray *nodes;
    guint i;

    g_assert_no_error(err);
    nodes = json_object_get_array_member(json_node_get_object(ret), "nodes");
    g_assert_cmpint(json_array_get_length(nodes), ==, 2);
    for (i = 0; i < 2; i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);

        g_assert_true(json_object_has_member(n, "ballooned"));
        delta[i] = json_object_get_int_member(n, "actual") -
                   json_object_get_int_member(n, "boot");
        ballooned[i] = json_object_get_int_member(n, "ballooned");
        hot_added[i] = json_object_get_int_member(n, "hot-added");
    }
}

/*
 * The frontend's per-node figures are the guest's own: each node's
 * MemTotal moved from boot by what query-memory-resize says, to 8 KiB
 * (the guest's MemTotal drifts by a page or two as the kernel allocates
 * its memory map).
 */
static void assert_nodes_truthful(UbfVm *vm, const UbfGuestMem *boot)
{
    gint64 delta[2], ballooned[2], hot_added[2];
    g_autoptr(GError) err = NULL;
    UbfGuestMem mem;
    int i, tries;

    frontend_nodes(vm, delta, ballooned, hot_added);
    for (tries = 0; tries < 100; tries++) {
        gboolean ok = TRUE;

        g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &mem, &err));
        for (i = 0; i < 2; i++) {
            gint64 guest = (mem.nodes[i].memtotal_kib -
                            boot->nodes[i].memtotal_kib) * 1024;

            ok &= ABS(guest - delta[i]) <= 8 * 1024;
        }
        if (ok) {
            break;
        }
        g_usleep(100 * 1000);
    }
    for (i = 0; i < 2; i++) {
        gint64 guest = (mem.nodes[i].memtotal_kib -
                        boot->nodes[i].memtotal_kib) * 1024;

        g_test_message("node %d: frontend %+" G_GINT64_FORMAT " (ballooned %"
                       G_GINT64_FORMAT ", hot-added %" G_GINT64_FORMAT
                       "), guest %+" G_GINT64_FORMAT " bytes", i, delta[i],
                       ballooned[i], hot_added[i], guest);
        g_assert_cmpint(ABS(guest - delta[i]), <=, 8 * 1024);
    }
}

/* memory-resize one node to @size; wait until reached. */
static void resize_node(UbfVm *vm, int node, gint64 size)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = g_strdup_printf(
        "{\"nodes\": [{\"node\": %d, \"size\": %" G_GINT64_FORMAT "}]}",
        node, size);
    g_autoptr(JsonObject) done = ubf_vm_resize(vm, "memory-resize", args,
                                               TIMEOUT_MS, &err);

    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string_member(done, "reason"), ==,
                    "reached");
}

/* A node's size as query-memory-resize gives it. */
static gint64 node_actual(UbfVm *vm, int node)
{
    gint64 delta[2], ballooned[2], hot_added[2];
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              5000, &err);

    g_assert_no_error(err);
    frontend_nodes(vm, delta, ballooned, hot_added);
    return json_object_get_int_member(
        json_array_get_object_element(
            json_object_get_array_member(json_node_get_object(ret), "nodes"),
            node), "actual");
}

/*
 * hv-balloon on a 2-node Linux guest (256 + 768 MiB).  Ballooning takes
 * pages the guest chooses, from both nodes; growing one node gives back
 * the pages taken from it (the device is told which) and, for node 0,
 * hot-adds: Linux's hv_balloon puts hot-added memory on its first node
 * whatever the SRAT says, and the frontend, which knows the guest is
 * Linux from its guest OS ID, counts it there.  Every per-node figure of
 * query-memory-resize is the guest's own.
 */
static void test_hv_balloon_numa(void)
{
    static const guint64 node_mib[] = { 256, 768 };
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .node_mib = node_mib,
                        .modules = "hv_vmbus,hv_balloon" };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    gint64 delta[2], ballooned[2], hot_added[2], before[2];
    UbfGuestMem boot;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    g_assert_cmpint(boot.nnodes, ==, 2);
    wait_connected(vm, "hv-balloon");

    /* Shrink: the guest gives pages; the frontend splits them by node. */
    resize(vm, 384 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib - 640 * KIB_PER_MIB);
    assert_nodes_truthful(vm, &boot);
    frontend_nodes(vm, delta, ballooned, hot_added);
    g_assert_cmpint(ballooned[0] + ballooned[1], ==, 640 * MIB);
    g_assert_cmpint(ballooned[1], >=, 64 * MIB);

    /* Node 1 only, by 64 MiB: pages taken from node 1 come back. */

    before[0] = node_actual(vm, 0);
    before[1] = node_actual(vm, 1);
    resize_node(vm, 1, before[1] + 64 * MIB);
    assert_nodes_truthful(vm, &boot);
    g_assert_cmpint(node_actual(vm, 1), ==, before[1] + 64 * MIB);
    g_assert_cmpint(node_actual(vm, 0), ==, before[0]);

    /* Node 0 only, past its boot size: its pages back, then hot-add. */
    frontend_nodes(vm, delta, ballooned, hot_added);
    before[1] = node_actual(vm, 1);
    resize_node(vm, 0, 256 * MIB + 256 * MIB);
    assert_nodes_truthful(vm, &boot);
    frontend_nodes(vm, delta, ballooned, hot_added);
    g_assert_cmpint(ballooned[0], ==, 0);
    g_assert_cmpint(hot_added[0], ==, 256 * MIB);
    g_assert_cmpint(node_actual(vm, 0), ==, 512 * MIB);
    g_assert_cmpint(node_actual(vm, 1), ==, before[1]);

    /* Shrink again, the total only: still the guest's own figures. */
    resize(vm, 768 * MIB);
    assert_guest_memtotal(vm, boot.memtotal_kib - 256 * KIB_PER_MIB);
    assert_nodes_truthful(vm, &boot);
}

/* info numa on a NUMA VM with hv-balloon aborted before patch 0010. */
static void test_hv_balloon_info_numa(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .no_guest = TRUE };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = NULL;

    if (!vm) {
        return;
    }
    ret = ubf_qmp_execute_json(ubf_vm_qmp(vm), "human-monitor-command",
                               "{\"command-line\": \"info numa\"}", 5000,
                               &err);
    g_assert_no_error(err);
    g_assert_nonnull(strstr(json_node_get_string(ret), "2 nodes"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hv-balloon-guest/resize", test_hv_balloon_resize);
    g_test_add_data_func("/hv-balloon-guest/with-virtio-balloon/hv-driver",
                         "hv_vmbus,hv_balloon", test_with_virtio_balloon);
    g_test_add_data_func("/hv-balloon-guest/with-virtio-balloon/"
                         "virtio-driver", "virtio_balloon",
                         test_with_virtio_balloon);
    g_test_add_data_func("/hv-balloon-guest/with-virtio-balloon/"
                         "both-drivers", "hv_vmbus,hv_balloon,virtio_balloon",
                         test_with_virtio_balloon);
    g_test_add_func("/hv-balloon-guest/template-sequence",
                    test_template_sequence);
    g_test_add_data_func("/hv-balloon-guest/full-template/virtio-mem-first",
                         "hv_vmbus,virtio_mem,hv_balloon,virtio_balloon",
                         test_full_template);
    g_test_add_data_func("/hv-balloon-guest/full-template/hv-balloon-first",
                         "hv_vmbus,hv_balloon,virtio_mem,virtio_balloon",
                         test_full_template);
    g_test_add_func("/hv-balloon-guest/reboot", test_hv_balloon_reboot);
    g_test_add_func("/hv-balloon-guest/info-numa", test_hv_balloon_info_numa);
    g_test_add_func("/hv-balloon-guest/numa", test_hv_balloon_numa);
    return g_test_run();
}
