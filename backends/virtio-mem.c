/*
 * Unified balloon frontend: virtio-mem backend
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/notify.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "hw/virtio/virtio.h"
#include "system/hostmem.h"
#include "standard-headers/linux/virtio_config.h"
#include "virtio-mem.h"
#include "trace.h"

typedef struct VirtioMemBackend {
    BalloonBackend bb;
    VirtIOMEM *vmem;
    Notifier size_changed;
} VirtioMemBackend;

static void virtio_mem_backend_get_info(BalloonBackend *bb,
                                        BalloonBackendInfo *info)
{
    VirtioMemBackend *vm = container_of(bb, VirtioMemBackend, bb);
    VirtIOMEM *vmem = vm->vmem;
    int64_t region = memory_region_size(&vmem->memdev->mr);

    info->driver_connected = VIRTIO_DEVICE(vmem)->status &
                             VIRTIO_CONFIG_S_DRIVER_OK;
    info->node = vmem->node;
    info->size = vmem->size;
    info->min_size = 0;
    info->max_size = QEMU_ALIGN_DOWN(region, vmem->block_size);
    info->granularity = vmem->block_size;
}

static bool virtio_mem_backend_set_target(BalloonBackend *bb, int64_t size,
                                          Error **errp)
{
    VirtioMemBackend *vm = container_of(bb, VirtioMemBackend, bb);

    trace_virtio_mem_backend_set_target(bb->id, size);
    return object_property_set_uint(OBJECT(vm->vmem),
                                    VIRTIO_MEM_REQUESTED_SIZE_PROP, size,
                                    errp);
}

static void virtio_mem_backend_release(BalloonBackend *bb)
{
    VirtioMemBackend *vm = container_of(bb, VirtioMemBackend, bb);

    notifier_remove(&vm->size_changed);
    g_free(vm->bb.id);
    g_free(vm);
}

static const BalloonBackendClass virtio_mem_backend_class = {
    .type = "virtio-mem",
    .role = BALLOON_BACKEND_ROLE_PLUG,
    .get_info = virtio_mem_backend_get_info,
    .set_target = virtio_mem_backend_set_target,
    .release = virtio_mem_backend_release,
};

static void virtio_mem_backend_size_changed(Notifier *n, void *data)
{
    VirtioMemBackend *vm = container_of(n, VirtioMemBackend, size_changed);

    balloon_frontend_changed(&vm->bb);
}

BalloonBackend *virtio_mem_backend_new(VirtIOMEM *vmem)
{
    VirtioMemBackend *vm = g_new0(VirtioMemBackend, 1);

    vm->vmem = vmem;
    vm->bb.klass = &virtio_mem_backend_class;
    vm->bb.id = balloon_frontend_device_id(DEVICE(vmem));
    vm->size_changed.notify = virtio_mem_backend_size_changed;
    notifier_list_add(&vmem->size_change_notifiers, &vm->size_changed);
    balloon_frontend_register(&vm->bb);
    return &vm->bb;
}
