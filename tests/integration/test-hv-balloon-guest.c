/*
 * hv-balloon with a real guest driver: Linux's hv_vmbus + hv_balloon on
 * KVM with Hyper-V enlightenments.  Needs a host whose KVM offers
 * Hyper-V SynIC and VP_INDEX; elsewhere every case is skipped with the
 * reason QEMU gives.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "vm.h"

#define MIB (1024 * (gint64)1024)
#define KIB_PER_MIB 1024
/* hv-balloon holds requests for 50 s after the driver connects */
#define TIMEOUT_MS 240000

static const char *hv_extra[] = {
    "-cpu", "host,hv-relaxed,hv-vpindex,hv-synic,hv-time,hv-runtime",
    "-device", "vmbus-bridge",
    "-object", "memory-backend-ram,id=hvmem,size=2G",
    "-device", "hv-balloon,id=hvb0,memdev=hvmem",
    NULL
};

/*
 * Start the VM, or skip the case with QEMU's own reason.  Under TCG the
 * Hyper-V CPU flags are accepted but do nothing, so vmbus-bridge refuses
 * to realize; with KVM it depends on the host.
 */
static UbfVm *start_or_skip(UbfVmConfig *cfg)
{
    g_autoptr(GError) err = NULL;
    UbfVm *vm;

    if (g_strcmp0(g_getenv("UBF_ACCEL"), "kvm") != 0) {
        static const char *probe[] = {
            "-cpu", "qemu64,hv-vpindex,hv-synic",
            "-device", "vmbus-bridge",
            "-object", "memory-backend-ram,id=hvprobe,size=256M",
            "-device", "hv-balloon,memdev=hvprobe",
            NULL
        };
        UbfVmConfig tcg = { .boot_mib = 256, .maxmem_mib = 1024,
                            .no_guest = TRUE, .accel = "tcg",
                            .extra = probe };
        g_autoptr(UbfVm) p = ubf_vm_start(&tcg, &err);

        if (!p) {
            g_autofree char *why = g_strdup_printf(
                "hv-balloon needs KVM with Hyper-V SynIC (no usable KVM "
                "here): %s", err->message);

            g_test_skip(g_strdelimit(why, "\r\n", ' '));
            return NULL;
        }
        g_clear_error(&err);
    }
    cfg->accel = g_getenv("UBF_ACCEL");
    vm = ubf_vm_start(cfg, &err);
    if (!vm) {
        g_autofree char *why = g_strdup_printf("hv-balloon cannot be "
                                               "instantiated here: %s",
                                               err->message);

        g_test_skip(g_strdelimit(why, "\r\n", ' '));
    }
    return vm;
}

static gboolean hv_connected(UbfVm *vm)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = ubf_qmp_execute(ubf_vm_qmp(vm),
                                              "query-memory-resize", NULL,
                                              5000, &err);
    JsonArray *b;
    guint i;

    g_assert_no_error(err);
    b = json_object_get_array_member(json_node_get_object(ret), "backends");
    for (i = 0; i < json_array_get_length(b); i++) {
        JsonObject *o = json_array_get_object_element(b, i);

        if (!g_strcmp0(json_object_get_string_member(o, "type"),
                       "hv-balloon")) {
            return json_object_get_boolean_member(o, "driver-connected");
        }
    }
    return FALSE;
}

static void resize(UbfVm *vm, gint64 target)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *args = g_strdup_printf("{\"value\": %" G_GINT64_FORMAT
                                            "}", target);
    g_autoptr(JsonObject) done = ubf_vm_resize(vm, "balloon", args,
                                               TIMEOUT_MS, &err);

    g_assert_no_error(err);
}

/* Shrink by ballooning, grow past boot size by hot-add. */
static void test_hv_balloon_resize(void)
{
    UbfVmConfig cfg = { .boot_mib = 1024, .maxmem_mib = 4096,
                        .modules = "hv_vmbus,hv_balloon", .extra = hv_extra,
                        .boot_timeout_ms = TIMEOUT_MS };
    g_autoptr(UbfVm) vm = start_or_skip(&cfg);
    g_autoptr(GError) err = NULL;
    UbfGuestMem boot, mem;

    if (!vm) {
        return;
    }
    g_assert_true(ubf_agent_meminfo(ubf_vm_agent(vm), &boot, &err));
    resize(vm, 768 * MIB);          /* waits out the post-init hold */
    g_assert_true(hv_connected(vm));
    g_assert_true(ubf_vm_wait_memtotal(vm, boot.memtotal_kib -
                                       256 * KIB_PER_MIB, 60000, &mem, &err));
    resize(vm, 1536 * MIB);         /* past boot: hot-add */
    g_assert_cmpint(ubf_vm_qmp_int(vm, "query-balloon", "actual", &err), ==,
                    1536 * MIB);
}

/* info numa on a NUMA VM with hv-balloon aborted before the fix. */
static void test_hv_balloon_info_numa(void)
{
    const char *extra[] = {
        hv_extra[0], hv_extra[1], hv_extra[2], hv_extra[3], hv_extra[4],
        hv_extra[5], hv_extra[6], hv_extra[7], NULL
    };
    UbfVmConfig cfg = { .boot_mib = 1024, .nodes = 2, .maxmem_mib = 4096,
                        .no_guest = TRUE, .extra = extra };
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
    g_test_add_func("/hv-balloon-guest/info-numa", test_hv_balloon_info_numa);
    return g_test_run();
}
