/*
 * Unit test of QEMU's per-node memory statistics (hw/core/numa.c, as
 * patched by qemu/patches/0010) with every kind of memory device,
 * hv-balloon included: before the patch, info numa / x-query-numa on a
 * NUMA VM with hv-balloon reached g_assert_not_reached().
 *
 * hv-balloon cannot be instantiated on machines without KVM Hyper-V
 * SynIC, so the device list is supplied here: numa.c is linked with
 * this file's qmp_memory_device_list() instead of the memory device
 * core's, and only query_numa_node_mem() is called.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/boards.h"
#include "hw/mem/memory-device.h"
#include "system/numa.h"

static MemoryDeviceInfoKind test_kinds[MEMORY_DEVICE_INFO_KIND__MAX];
static int test_nkinds;

/* The devices of the VM under test: one of each kind asked for. */
MemoryDeviceInfoList *qmp_memory_device_list(void)
{
    MemoryDeviceInfoList *list = NULL, **tail = &list;
    int i;

    for (i = 0; i < test_nkinds; i++) {
        MemoryDeviceInfo *info = g_new0(MemoryDeviceInfo, 1);

        info->type = test_kinds[i];
        switch (test_kinds[i]) {
        case MEMORY_DEVICE_INFO_KIND_DIMM:
            info->u.dimm.data = g_new0(PCDIMMDeviceInfo, 1);
            info->u.dimm.data->node = 1;
            info->u.dimm.data->size = 128 * MiB;
            break;
        case MEMORY_DEVICE_INFO_KIND_VIRTIO_MEM:
            info->u.virtio_mem.data = g_new0(VirtioMEMDeviceInfo, 1);
            info->u.virtio_mem.data->node = 1;
            info->u.virtio_mem.data->size = 256 * MiB;
            info->u.virtio_mem.data->memdev = g_strdup("/objects/m");
            break;
        case MEMORY_DEVICE_INFO_KIND_HV_BALLOON:
            info->u.hv_balloon.data = g_new0(HvBalloonDeviceInfo, 1);
            info->u.hv_balloon.data->max_size = 4 * GiB;
            info->u.hv_balloon.data->has_size = true;
            info->u.hv_balloon.data->size = 1 * GiB;
            break;
        default:
            g_assert_not_reached();
        }
        QAPI_LIST_APPEND(tail, info);
    }
    return list;
}

static void test_numa_stat(const MemoryDeviceInfoKind *kinds, int n,
                           uint64_t node1_plugged)
{
    NumaState ns = { .num_nodes = 2 };
    MachineState ms = { .numa_state = &ns };
    NumaNodeMem node_mem[MAX_NODES] = { 0 };

    memcpy(test_kinds, kinds, n * sizeof(*kinds));
    test_nkinds = n;
    ns.nodes[0].node_mem = 512 * MiB;
    ns.nodes[1].node_mem = 512 * MiB;

    query_numa_node_mem(node_mem, &ms);
    g_assert_cmpuint(node_mem[0].node_mem, ==, 512 * MiB);
    g_assert_cmpuint(node_mem[0].node_plugged_mem, ==, 0);
    g_assert_cmpuint(node_mem[1].node_mem, ==, 512 * MiB + node1_plugged);
    g_assert_cmpuint(node_mem[1].node_plugged_mem, ==, node1_plugged);
}

/* hv-balloon alone: no abort, and its memory is counted in no node. */
static void test_hv_balloon_alone(void)
{
    static const MemoryDeviceInfoKind kinds[] = {
        MEMORY_DEVICE_INFO_KIND_HV_BALLOON,
    };

    test_numa_stat(kinds, G_N_ELEMENTS(kinds), 0);
}

/* hv-balloon among other devices: theirs still counted per node. */
static void test_hv_balloon_mixed(void)
{
    static const MemoryDeviceInfoKind kinds[] = {
        MEMORY_DEVICE_INFO_KIND_DIMM,
        MEMORY_DEVICE_INFO_KIND_HV_BALLOON,
        MEMORY_DEVICE_INFO_KIND_VIRTIO_MEM,
    };

    test_numa_stat(kinds, G_N_ELEMENTS(kinds), 128 * MiB + 256 * MiB);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/numa-stat/hv-balloon-alone", test_hv_balloon_alone);
    g_test_add_func("/numa-stat/hv-balloon-mixed", test_hv_balloon_mixed);
    return g_test_run();
}
