/*
 * A hostile virtio-mem guest, without a guest: the test is the driver,
 * through qtest and libqos virtqueues, and sends requests a broken or
 * malicious driver could.  Each case checks the device's answer, that
 * QEMU still runs with its memory bounded and its log quiet, that the
 * plugged size QMP reports is exactly what the device plugged, and that
 * a legitimate resize afterwards reaches its target to the block.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qemu/bswap.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_mem.h"
#include "standard-headers/linux/virtio_config.h"
#include "hostile-qtest.h"

#define VM_MIB              (1024 * 1024)
#define VM_BOOT             (512 * VM_MIB)
#define VM_REGION           (1024 * VM_MIB)
#define VM_MAX_GROWTH_KIB   (16 * 1024)
#define VM_CFG_BLOCK_SIZE   0
#define VM_CFG_ADDR         16
#define VM_CFG_REGION       24
#define VM_CFG_USABLE       32
#define VM_CFG_PLUGGED      40
#define VM_CFG_REQUESTED    48

typedef struct VM {
    HostileVM vm;
    QVirtQueue *vq;
    uint64_t req, resp;
    uint64_t block, addr;
} VM;

static uint64_t vm_cfg(VM *m, uint64_t off)
{
    return qvirtio_config_readq(&m->vm.dev->vdev, off);
}

static void vm_driver_init(VM *m)
{
    QVirtioDevice *vdev = &m->vm.dev->vdev;
    uint64_t features;

    qvirtio_start_device(vdev);
    features = qvirtio_get_features(vdev) &
        ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_MEM_F_ACPI_PXM) |
         (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
    qvirtio_set_features(vdev, features);
    m->vq = qvirtqueue_setup(vdev, &m->vm.alloc, 0);
    qvirtio_set_driver_ok(vdev);
}

static void vm_driver_cleanup(VM *m)
{
    qvirtqueue_cleanup(m->vm.dev->vdev.bus, m->vq, &m->vm.alloc);
}

static void vm_start(VM *m)
{
    hostile_vm_start(&m->vm,
                     "-m 512M,maxmem=4G "
                     "-object memory-backend-ram,id=mem0,size=1G "
                     "-device virtio-mem-pci,id=vm0,memdev=mem0,addr=04.0");
    vm_driver_init(m);
    m->req = guest_alloc(&m->vm.alloc, 64);
    m->resp = guest_alloc(&m->vm.alloc, 64);
    m->block = vm_cfg(m, VM_CFG_BLOCK_SIZE);
    m->addr = vm_cfg(m, VM_CFG_ADDR);
    g_assert_cmpuint(m->block, >=, HOSTILE_PAGE);
    g_assert_cmpuint(vm_cfg(m, VM_CFG_REGION), ==, VM_REGION);
}

static void vm_stop(VM *m)
{
    vm_driver_cleanup(m);
    hostile_vm_stop(&m->vm);
}

/*
 * Send a request of @type for @nb blocks at @addr, @req_len bytes of it,
 * with @resp_len bytes for the answer.  Returns the device's answer, or
 * -1 if it did not use the request (it found the driver broken).
 */
static int vm_request_raw(VM *m, uint16_t type, uint64_t addr, uint16_t nb,
                          uint32_t req_len, uint32_t resp_len)
{
    struct virtio_mem_req req = {
        .type = cpu_to_le16(type),
        .u.plug.addr = cpu_to_le64(addr),
        .u.plug.nb_blocks = cpu_to_le16(nb),
    };

    qtest_memwrite(m->vm.qts, m->req, &req, sizeof(req));
    qtest_memset(m->vm.qts, m->resp, 0xff, 16);
    if (!hostile_vm_submit(&m->vm, m->vq, m->req, req_len, m->resp,
                           resp_len)) {
        return -1;
    }
    return qtest_readw(m->vm.qts, m->resp);
}

static int vm_request(VM *m, uint16_t type, uint64_t addr, uint16_t nb)
{
    return vm_request_raw(m, type, addr, nb, sizeof(struct virtio_mem_req),
                          sizeof(struct virtio_mem_resp));
}

static int vm_state(VM *m, uint64_t addr, uint16_t nb)
{
    g_assert_cmpint(vm_request(m, VIRTIO_MEM_REQ_STATE, addr, nb), ==,
                    VIRTIO_MEM_RESP_ACK);
    return qtest_readw(m->vm.qts, m->resp + 8);
}

static uint16_t vm_blocks(VM *m, uint64_t size)
{
    return size / m->block;
}

/* Ask the frontend for @plugged more than boot, wait until the device is. */
static void vm_resize(VM *m, uint64_t plugged)
{
    int i;

    qtest_qmp_assert_success(m->vm.qts, "{ 'execute': 'memory-resize', "
                             "'arguments': { 'size': %" PRIu64 " } }",
                             VM_BOOT + plugged);
    for (i = 0; i < 100 && vm_cfg(m, VM_CFG_REQUESTED) != plugged; i++) {
        hostile_vm_step_ms(&m->vm, 100);
    }
    g_assert_cmpuint(vm_cfg(m, VM_CFG_REQUESTED), ==, plugged);
}

/* What the device plugged is @plugged, and QMP says so exactly. */
static void vm_assert_size(VM *m, uint64_t plugged)
{
    QDict *info = hostile_vm_query_resize(&m->vm);
    QList *backends = qdict_get_qlist(info, "backends");
    QDict *be = qobject_to(QDict, qlist_peek(backends));

    g_assert_cmpuint(vm_cfg(m, VM_CFG_PLUGGED), ==, plugged);
    g_assert_cmpint(qdict_get_int(info, "actual"), ==, VM_BOOT + plugged);
    g_assert_cmpint(qdict_get_int(be, "size"), ==, plugged);
    qobject_unref(info);
}

/*
 * The end of every case: the device holds @plugged, QMP says so, QEMU
 * stayed bounded and wrote at most @max_lines lines, and a legitimate
 * driver then follows a resize to 128 MiB more than boot and back, both
 * reached exactly.
 */
static void vm_assert_exact(VM *m, uint64_t plugged, unsigned int max_lines)
{
    const uint64_t legit = 128 * VM_MIB;

    vm_assert_size(m, plugged);
    hostile_vm_assert_bounded(&m->vm, VM_MAX_GROWTH_KIB, max_lines);

    vm_resize(m, legit);
    g_assert_cmpint(vm_request(m, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_request(m, VIRTIO_MEM_REQ_PLUG, m->addr,
                               vm_blocks(m, legit)), ==, VIRTIO_MEM_RESP_ACK);
    hostile_vm_step_ms(&m->vm, 100);
    vm_assert_size(m, legit);

    vm_resize(m, 0);
    g_assert_cmpint(vm_request(m, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), ==,
                    VIRTIO_MEM_RESP_ACK);
    hostile_vm_step_ms(&m->vm, 100);
    vm_assert_size(m, 0);
}

static void test_misaligned(void)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr + 1, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG,
                               m.addr + HOSTILE_PAGE, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG,
                               m.addr + m.block / 2, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

static void test_wrapping(void)
{
    const uint64_t top = UINT64_MAX;
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    /* The last block of the address space, and a range that wraps. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, top - m.block + 1, 1),
                    ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG,
                               top - m.block + 1, 0xffff), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_STATE,
                               top - m.block + 1, 0xffff), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

static void test_out_of_region(void)
{
    uint64_t usable;
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    usable = vm_cfg(&m, VM_CFG_USABLE);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr - m.block, 1),
                    ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr + usable, 1),
                    ==, VIRTIO_MEM_RESP_ERROR);
    /* Starts inside, ends outside. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG,
                               m.addr + usable - m.block, 2), ==,
                    VIRTIO_MEM_RESP_ERROR);
    /* Past the usable part, inside the region. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG,
                               m.addr + VM_REGION - m.block, 1), ==,
                    usable < VM_REGION ? VIRTIO_MEM_RESP_ERROR :
                    VIRTIO_MEM_RESP_NACK);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, 0, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

static void test_zero_blocks(void)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr, 0), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG, m.addr, 0), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_STATE, m.addr, 0), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

static void test_plug_beyond_requested(void)
{
    const uint64_t asked = 64 * VM_MIB;
    VM m;

    vm_start(&m);
    /* Not asked for anything: nothing is even usable. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_resize(&m, asked);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr,
                               vm_blocks(&m, 2 * asked)), ==,
                    VIRTIO_MEM_RESP_NACK);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr,
                               vm_blocks(&m, asked)), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr + asked, 1),
                    ==, VIRTIO_MEM_RESP_NACK);
    vm_assert_exact(&m, asked, 0);
    vm_stop(&m);
}

static void test_double_plug_unplug(void)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG, m.addr, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr, 2), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr, 1), ==,
                    VIRTIO_MEM_RESP_ERROR);
    /* Half plugged, half not. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG, m.addr + m.block,
                               2), ==, VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, 2 * m.block, 0);
    vm_stop(&m);
}

static void test_unplug_all_while_plugging(void)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 256 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr,
                               vm_blocks(&m, 128 * VM_MIB)), ==,
                    VIRTIO_MEM_RESP_ACK);
    vm_assert_size(&m, 128 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG_ALL, 0, 0), ==,
                    VIRTIO_MEM_RESP_ACK);
    /* The target stays; what is plugged is what QMP reports. */
    g_assert_cmpuint(vm_cfg(&m, VM_CFG_REQUESTED), ==, 256 * VM_MIB);
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

static void test_unplug_behind_frontend(void)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 128 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr,
                               vm_blocks(&m, 128 * VM_MIB)), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_UNPLUG, m.addr,
                               vm_blocks(&m, 64 * VM_MIB)), ==,
                    VIRTIO_MEM_RESP_ACK);
    hostile_vm_step_ms(&m.vm, 100);
    vm_assert_exact(&m, 64 * VM_MIB, 0);
    vm_stop(&m);
}

static void test_state_whole_region(void)
{
    uint64_t usable, last;
    uint16_t all;
    VM m;

    vm_start(&m);
    /* Nothing usable yet: no state to ask for. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_STATE, m.addr,
                               vm_blocks(&m, VM_REGION)), ==,
                    VIRTIO_MEM_RESP_ERROR);
    vm_resize(&m, m.block);
    usable = vm_cfg(&m, VM_CFG_USABLE);
    all = vm_blocks(&m, usable);
    last = m.addr + usable - m.block;
    g_assert_cmpint(vm_state(&m, m.addr, all), ==, VIRTIO_MEM_STATE_UNPLUGGED);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, last, 1), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_state(&m, m.addr, all), ==, VIRTIO_MEM_STATE_MIXED);
    g_assert_cmpint(vm_state(&m, last, 1), ==, VIRTIO_MEM_STATE_PLUGGED);
    /* One block more than the usable region, and the most one can ask. */
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_STATE, m.addr, all + 1),
                    ==, VIRTIO_MEM_RESP_ERROR);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_STATE, m.addr, 0xffff),
                    ==, VIRTIO_MEM_RESP_ERROR);
    vm_assert_exact(&m, m.block, 0);
    vm_stop(&m);
}

static void test_flood(void)
{
    VM m;
    int i;

    vm_start(&m);
    vm_resize(&m, m.block);
    for (i = 0; i < 2000; i++) {
        g_assert_cmpint(vm_request(&m, i & 1 ? VIRTIO_MEM_REQ_UNPLUG :
                                   VIRTIO_MEM_REQ_PLUG, m.addr, 1), ==,
                        VIRTIO_MEM_RESP_ACK);
        /* Requests the device refuses, in between. */
        g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr + 1, 1),
                        ==, VIRTIO_MEM_RESP_ERROR);
    }
    vm_assert_exact(&m, 0, 0);
    vm_stop(&m);
}

/*
 * What breaks the protocol: the device reports the driver broken, once,
 * and stops; the driver resets it and, after that, all works.
 */
static void vm_protocol_violation(uint16_t type, uint32_t req_len,
                                  uint32_t resp_len)
{
    VM m;

    vm_start(&m);
    vm_resize(&m, 64 * VM_MIB);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr, 1), ==,
                    VIRTIO_MEM_RESP_ACK);
    g_assert_cmpint(vm_request_raw(&m, type, m.addr, 1, req_len, resp_len),
                    ==, -1);
    g_assert_cmpint(vm_request(&m, VIRTIO_MEM_REQ_PLUG, m.addr + m.block, 1),
                    ==, -1);
    g_assert_cmpuint(hostile_vm_log_count(&m.vm, NULL), ==, 1);
    vm_assert_size(&m, m.block);
    vm_driver_cleanup(&m);
    vm_driver_init(&m);
    /*
     * A device reset unplugs nothing (a driver starts with UNPLUG_ALL):
     * the block stays plugged, and counted.
     */
    vm_assert_exact(&m, m.block, 1);
    vm_stop(&m);
}

static void test_unknown_type(void)
{
    vm_protocol_violation(7, sizeof(struct virtio_mem_req),
                          sizeof(struct virtio_mem_resp));
}

static void test_short_request(void)
{
    vm_protocol_violation(VIRTIO_MEM_REQ_PLUG, 8,
                          sizeof(struct virtio_mem_resp));
}

static void test_short_response(void)
{
    vm_protocol_violation(VIRTIO_MEM_REQ_STATE, sizeof(struct virtio_mem_req),
                          2);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        { "misaligned", test_misaligned },
        { "wrapping", test_wrapping },
        { "out-of-region", test_out_of_region },
        { "zero-blocks", test_zero_blocks },
        { "plug-beyond-requested", test_plug_beyond_requested },
        { "double-plug-unplug", test_double_plug_unplug },
        { "unplug-all-while-plugging", test_unplug_all_while_plugging },
        { "unplug-behind-frontend", test_unplug_behind_frontend },
        { "state-whole-region", test_state_whole_region },
        { "request-flood", test_flood },
        { "unknown-type", test_unknown_type },
        { "short-request", test_short_request },
        { "short-response", test_short_response },
    };
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("virtio-mem-hostile/%s",
                                                cases[i].name);

        qtest_add_func(path, cases[i].fn);
    }
    return g_test_run();
}
