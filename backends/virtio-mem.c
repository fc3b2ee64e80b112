/*
 * Unified balloon frontend: virtio-mem backend
 *
 * Every virtio-mem device becomes a backend when it is realized, and
 * stops being one when it is unrealized (hot-unplug).  Nothing in the
 * device changes: its size is read from the device, a new size is asked
 * for through its "requested-size" property (with the device's own
 * checks), and its size-change notifier tells the frontend when the
 * guest plugged or unplugged.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qemu/notify.h"
#include "qapi/error.h"
#include "hw/qdev-core.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-mem.h"
#include "system/hostmem.h"
#include "system/system.h"
#include "standard-headers/linux/virtio_config.h"
#include "backends.h"
#include "../frontend/balloon-frontend.h"
#include "trace.h"

typedef struct VirtioMemBackend {
    BalloonBackend bb;
    VirtIOMEM *vmem;
    Notifier size_changed;
    QTAILQ_ENTRY(VirtioMemBackend) next;
} VirtioMemBackend;

static QTAILQ_HEAD(, VirtioMemBackend) virtio_mem_backends =
    QTAILQ_HEAD_INITIALIZER(virtio_mem_backends);

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

static const BalloonBackendClass virtio_mem_backend_class = {
    .kind = BALLOON_BACKEND_KIND_VIRTIO_MEM,
    .get_info = virtio_mem_backend_get_info,
    .set_target = virtio_mem_backend_set_target,
};

static void virtio_mem_backend_size_changed(Notifier *n, void *data)
{
    balloon_frontend_backend_changed();
}

static void virtio_mem_backend_realize(DeviceListener *listener,
                                       DeviceState *dev)
{
    VirtIOMEM *vmem = (VirtIOMEM *)object_dynamic_cast(OBJECT(dev),
                                                       TYPE_VIRTIO_MEM);
    VirtioMemBackend *vm;

    if (!vmem) {
        return;
    }
    vm = g_new0(VirtioMemBackend, 1);
    vm->vmem = vmem;
    vm->bb.klass = &virtio_mem_backend_class;
    vm->bb.id = balloon_frontend_device_id(dev);
    vm->bb.opaque = vmem;
    vm->size_changed.notify = virtio_mem_backend_size_changed;
    notifier_list_add(&vmem->size_change_notifiers, &vm->size_changed);
    QTAILQ_INSERT_TAIL(&virtio_mem_backends, vm, next);
    balloon_frontend_add_backend(&vm->bb);
}

static void virtio_mem_backend_unrealize(DeviceListener *listener,
                                         DeviceState *dev)
{
    VirtioMemBackend *vm;

    QTAILQ_FOREACH(vm, &virtio_mem_backends, next) {
        if (DEVICE(vm->vmem) == dev) {
            QTAILQ_REMOVE(&virtio_mem_backends, vm, next);
            notifier_remove(&vm->size_changed);
            balloon_frontend_remove_backend(&vm->bb);
            g_free(vm->bb.id);
            g_free(vm);
            return;
        }
    }
}

static DeviceListener virtio_mem_backend_listener = {
    .realize = virtio_mem_backend_realize,
    .unrealize = virtio_mem_backend_unrealize,
};

/*
 * Listen once the machine is built: registering walks the devices that
 * exist (the cold-plugged ones), later realizes are hot-plugs.  Earlier,
 * at type registration, the system bus type does not exist yet.
 */
static void virtio_mem_backend_machine_done(Notifier *n, void *data)
{
    device_listener_register(&virtio_mem_backend_listener);
}

static Notifier virtio_mem_backend_machine_done_notifier = {
    .notify = virtio_mem_backend_machine_done,
};

static void virtio_mem_backend_register(void)
{
    qemu_add_machine_init_done_notifier(
        &virtio_mem_backend_machine_done_notifier);
}

type_init(virtio_mem_backend_register)
