/*
 * A hostile virtio-balloon guest, without a guest: the test is the
 * driver, through qtest and libqos virtqueues, and sends what a broken
 * or malicious driver could.  Each case then checks what an operator
 * relies on: QEMU still runs, its memory stayed bounded, what the guest
 * made it log was rate-limited, the balloon size QMP reports is exactly
 * the pages the guest really holds, and a legitimate resize afterwards
 * reaches its target to the page.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_balloon.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_mem.h"
#include "hostile-qtest.h"

#define VB_MIB              (1024 * 1024)
#define VB_RAM              (512 * VB_MIB)
#define VB_BUF_PFNS         (256 * 1024)
/* Pages the legitimate resize uses; no hostile case touches them. */
#define VB_LEGIT_PFN        0x10000         /* 256 MiB */
#define VB_LEGIT_PAGES      16384           /* 64 MiB */
/* Pages below the legitimate ones that hostile cases may inflate. */
#define VB_PLAY_PFN         0x8000          /* 128 MiB */
/* Host memory a case may add: page tracking and QEMU's own buffers. */
#define VB_MAX_GROWTH_KIB   (24 * 1024)

typedef struct VB {
    HostileVM vm;
    int64_t ram;
    QVirtQueue *ivq, *dvq, *svq;
    uint64_t buf;
} VB;

static void vb_driver_init(VB *b)
{
    QVirtioDevice *vdev = &b->vm.dev->vdev;
    uint64_t features;

    qvirtio_start_device(vdev);
    features = qvirtio_get_features(vdev) &
        ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BALLOON_F_STATS_VQ));
    qvirtio_set_features(vdev, features);
    b->ivq = qvirtqueue_setup(vdev, &b->vm.alloc, 0);
    b->dvq = qvirtqueue_setup(vdev, &b->vm.alloc, 1);
    b->svq = qvirtqueue_setup(vdev, &b->vm.alloc, 2);
    qvirtio_set_driver_ok(vdev);
}

static void vb_driver_cleanup(VB *b)
{
    const QVirtioBus *bus = b->vm.dev->vdev.bus;

    qvirtqueue_cleanup(bus, b->ivq, &b->vm.alloc);
    qvirtqueue_cleanup(bus, b->dvq, &b->vm.alloc);
    qvirtqueue_cleanup(bus, b->svq, &b->vm.alloc);
}

static void vb_start_ram(VB *b, int64_t ram)
{
    g_autofree char *args = g_strdup_printf(
        "-m %" PRId64 "M -device virtio-balloon-pci,id=b0,"
        "disable-legacy=on,addr=04.0", ram / VB_MIB);

    b->ram = ram;
    hostile_vm_start(&b->vm, args);
    vb_driver_init(b);
    b->buf = guest_alloc(&b->vm.alloc, VB_BUF_PFNS * 4);
}

static void vb_start(VB *b)
{
    vb_start_ram(b, VB_RAM);
}

/* One statistics buffer, (tag, value) pairs as a guest driver sends. */
static void vb_send_stats(VB *b, const uint16_t *tags, const uint64_t *vals,
                          int n)
{
    uint8_t buf[10 * VIRTIO_BALLOON_S_NR];
    int i;

    g_assert(n <= VIRTIO_BALLOON_S_NR);
    for (i = 0; i < n; i++) {
        stw_le_p(buf + 10 * i, tags[i]);
        stq_le_p(buf + 10 * i + 2, vals[i]);
    }
    qtest_memwrite(b->vm.qts, b->buf, buf, 10 * n);
    /* the device holds it until it polls again: no completion to wait */
    hostile_vm_submit(&b->vm, b->svq, b->buf, 10 * n, 0, 0);
}

static void vb_stop(VB *b)
{
    vb_driver_cleanup(b);
    hostile_vm_stop(&b->vm);
}

/* Send @n PFNs on @vq, as many requests as the buffer needs. */
static bool vb_send(VB *b, QVirtQueue *vq, const uint32_t *pfns, size_t n)
{
    while (n) {
        size_t chunk = MIN(n, VB_BUF_PFNS);

        qtest_memwrite(b->vm.qts, b->buf, pfns, chunk * 4);
        if (!hostile_vm_submit(&b->vm, vq, b->buf, chunk * 4, 0, 0)) {
            return false;
        }
        pfns += chunk;
        n -= chunk;
    }
    return true;
}

static void vb_send_range(VB *b, QVirtQueue *vq, uint32_t first, size_t n,
                          uint32_t stride)
{
    g_autofree uint32_t *pfns = g_new(uint32_t, n);
    size_t i;

    for (i = 0; i < n; i++) {
        pfns[i] = first + i * stride;
    }
    g_assert(vb_send(b, vq, pfns, n));
}

static uint32_t vb_num_pages(VB *b)
{
    return qvirtio_config_readl(&b->vm.dev->vdev, 0);
}

static void vb_set_actual(VB *b, uint32_t actual)
{
    hostile_vm_config_writel(&b->vm, 4, actual);
}

/* Ask for @target with the balloon command and wait until asked. */
static void vb_balloon(VB *b, int64_t target, uint32_t want_pages)
{
    int i;

    qtest_qmp_assert_success(b->vm.qts, "{ 'execute': 'balloon', "
                             "'arguments': { 'value': %" PRId64 " } }",
                             target);
    for (i = 0; i < 100 && vb_num_pages(b) != want_pages; i++) {
        hostile_vm_step_ms(&b->vm, 100);
    }
    g_assert_cmpuint(vb_num_pages(b), ==, want_pages);
}

/* The size QMP reports, in both commands, is @size. */
static void vb_assert_size(VB *b, int64_t size)
{
    QDict *info = hostile_vm_query_resize(&b->vm);
    QList *backends = qdict_get_qlist(info, "backends");
    QDict *be = qobject_to(QDict, qlist_peek(backends));

    g_assert_cmpint(hostile_vm_query_balloon(&b->vm), ==, size);
    g_assert_cmpint(qdict_get_int(info, "actual"), ==, size);
    g_assert_cmpint(qdict_get_int(be, "size"), ==, size - b->ram);
    qobject_unref(info);
}

/*
 * The end of every case: the guest holds @held_pages after what it sent,
 * QMP says so exactly, QEMU stayed bounded, and a legitimate driver then
 * gives 64 MiB and takes it back, both reached to the page.
 */
static void vb_assert_exact(VB *b, uint32_t held_pages,
                            unsigned int max_lines)
{
    int64_t held = (int64_t)held_pages * HOSTILE_PAGE;
    int64_t legit = (int64_t)VB_LEGIT_PAGES * HOSTILE_PAGE;

    vb_assert_size(b, b->ram - held);
    hostile_vm_assert_bounded(&b->vm, VB_MAX_GROWTH_KIB, max_lines);

    vb_balloon(b, b->ram - held - legit, held_pages + VB_LEGIT_PAGES);
    vb_send_range(b, b->ivq, VB_LEGIT_PFN, VB_LEGIT_PAGES, 1);
    vb_set_actual(b, held_pages + VB_LEGIT_PAGES);
    hostile_vm_step_ms(&b->vm, 100);
    vb_assert_size(b, b->ram - held - legit);

    vb_balloon(b, b->ram - held, held_pages);
    vb_send_range(b, b->dvq, VB_LEGIT_PFN, VB_LEGIT_PAGES, 1);
    vb_set_actual(b, held_pages);
    hostile_vm_step_ms(&b->vm, 100);
    vb_assert_size(b, b->ram - held);
}

static void test_outside_ram(void)
{
    static const uint32_t pfns[] = {
        VB_RAM / HOSTILE_PAGE, VB_RAM / HOSTILE_PAGE + 1, 0x30000, 0x7ffff,
    };
    VB b;

    vb_start(&b);
    g_assert(vb_send(&b, b.ivq, pfns, G_N_ELEMENTS(pfns)));
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

static void test_mmio(void)
{
    static const uint32_t pfns[] = {
        0xfee00,    /* local APIC */
        0xfec00,    /* I/O APIC */
        0xfed00,    /* HPET */
        0xb0000,    /* PCIe MMCONFIG */
    };
    VB b;

    vb_start(&b);
    g_assert(vb_send(&b, b.ivq, pfns, G_N_ELEMENTS(pfns)));
    /* The balloon's own BAR, where the test reads and writes the device. */
    vb_send_range(&b, b.ivq, b.vm.dev->bar.addr / HOSTILE_PAGE, 4, 1);
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

static void test_rom(void)
{
    VB b;

    vb_start(&b);
    vb_send_range(&b, b.ivq, 0xfffc0, 64, 1);   /* the BIOS below 4 GiB */
    vb_send_range(&b, b.ivq, 0xc0, 64, 1);      /* ISA ROMs and BIOS */
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

/*
 * 5 GiB of RAM: q35 puts 2 GiB below 4 GiB and 3 GiB above it.  Pages
 * in the PCI hole are refused, pages at 4 GiB and at the last page are
 * real RAM and counted, the page after RAM is refused.
 */
static void test_pfn_4g(void)
{
    static const uint32_t pfns[] = {
        0x80000, 0xfffff,       /* 2 GiB and just below 4 GiB: the hole */
        0x100000, 0x1bffff,     /* 4 GiB and the last page of RAM */
        0x1c0000,               /* 7 GiB: after RAM */
    };
    VB b;

    vb_start_ram(&b, 5120ll * VB_MIB);
    g_assert(vb_send(&b, b.ivq, pfns, G_N_ELEMENTS(pfns)));
    vb_assert_exact(&b, 2, 0);
    vb_stop(&b);
}

static void test_pfn_2_31_2_32(void)
{
    static const uint32_t pfns[] = {
        0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
    };
    VB b;

    vb_start(&b);
    g_assert(vb_send(&b, b.ivq, pfns, G_N_ELEMENTS(pfns)));
    g_assert(vb_send(&b, b.dvq, pfns, G_N_ELEMENTS(pfns)));
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

static void test_duplicates(void)
{
    VB b;
    int i;

    vb_start(&b);
    for (i = 0; i < 3; i++) {
        vb_send_range(&b, b.ivq, VB_PLAY_PFN, 5000, 0);
    }
    /* Counted once; the duplicates say so at most once per 10 s. */
    vb_assert_exact(&b, 1, 1);
    vb_stop(&b);
}

static void test_deflate_never_inflated(void)
{
    VB b;

    vb_start(&b);
    vb_send_range(&b, b.ivq, VB_PLAY_PFN, 100, 1);
    vb_send_range(&b, b.dvq, VB_PLAY_PFN + 50, 10000, 1);
    vb_assert_exact(&b, 50, 1);
    vb_stop(&b);
}

static void test_flood(void)
{
    VB b;
    int i;

    vb_start(&b);
    for (i = 0; i < 300; i++) {
        vb_send_range(&b, b.ivq, VB_PLAY_PFN, 256, 1);
        vb_send_range(&b, b.dvq, VB_PLAY_PFN, 256, 1);
    }
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

/* Every other page of 16..256 MiB: the worst case for the page record. */
static void test_checkerboard(void)
{
    const uint32_t first = 16 * VB_MIB / HOSTILE_PAGE;
    const size_t n = (VB_LEGIT_PFN - first) / 2;
    VB b;

    vb_start(&b);
    vb_send_range(&b, b.ivq, first, n, 2);
    vb_assert_exact(&b, n, 0);
    vb_stop(&b);
}

/* 4 MiB of zeroes in one descriptor: a million PFNs, all page 0. */
static void test_oversized_descriptor(void)
{
    VB b;

    vb_start(&b);
    g_assert(hostile_vm_submit(&b.vm, b.ivq, 32 * VB_MIB, 4 * VB_MIB, 0, 0));
    vb_assert_exact(&b, 1, 1);
    vb_stop(&b);
}

/* Lengths that are not whole PFNs: the tail is ignored. */
static void test_odd_lengths(void)
{
    static const uint32_t pfns[] = {
        VB_PLAY_PFN, VB_PLAY_PFN + 1, VB_PLAY_PFN + 2, VB_PLAY_PFN + 3,
    };
    VB b;

    vb_start(&b);
    qtest_memwrite(b.vm.qts, b.buf, pfns, sizeof(pfns));
    g_assert(hostile_vm_submit(&b.vm, b.ivq, b.buf, 3, 0, 0));
    g_assert(hostile_vm_submit(&b.vm, b.ivq, b.buf, 4 * 3 + 3, 0, 0));
    vb_assert_exact(&b, 3, 0);
    vb_stop(&b);
}

/*
 * A descriptor the device cannot map: it reports the driver broken, once,
 * and stops; after the driver resets it, all works.
 */
static void vb_broken_descriptor(uint64_t addr, uint32_t len)
{
    VB b;

    vb_start(&b);
    vb_send_range(&b, b.ivq, VB_PLAY_PFN, 10, 1);
    g_assert(!hostile_vm_submit(&b.vm, b.ivq, addr, len, 0, 0));
    g_assert(!hostile_vm_submit(&b.vm, b.ivq, b.buf, 4, 0, 0));
    g_assert_cmpuint(hostile_vm_log_count(&b.vm, NULL), ==, 1);
    vb_driver_cleanup(&b);
    vb_driver_init(&b);
    /* A reset device holds nothing: the guest got its pages back. */
    vb_assert_exact(&b, 0, 1);
    vb_stop(&b);
}

/*
 * A buffer where there is no RAM: the device reads it through a bounce
 * buffer, as zeroes (page 0, once)...
 */
static void test_descriptor_outside_ram(void)
{
    VB b;

    vb_start(&b);
    g_assert(hostile_vm_submit(&b.vm, b.ivq, 0x100000000ull, 4096, 0, 0));
    vb_assert_exact(&b, 1, 1);
    vb_stop(&b);
}

/* ... unless it is larger than the bounce buffer. */
static void test_descriptor_outside_ram_large(void)
{
    vb_broken_descriptor(0x100000000ull, 1024 * 1024);
}

static void test_zero_length_descriptor(void)
{
    vb_broken_descriptor(VB_PLAY_PFN * HOSTILE_PAGE, 0);
}

static void test_reset_while_holding(void)
{
    VB b;

    vb_start(&b);
    vb_send_range(&b, b.ivq, VB_PLAY_PFN, 1000, 1);
    vb_set_actual(&b, 1000);
    vb_assert_size(&b, b.ram - 1000 * HOSTILE_PAGE);
    vb_driver_cleanup(&b);
    vb_driver_init(&b);
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

/* Statistics buffers, thousands, with garbage tags and values. */
static void test_stats_flood(void)
{
    g_autofree uint8_t *garbage = g_malloc(4096);
    QDict *rsp;
    VB b;
    int i;

    for (i = 0; i < 4096; i++) {
        garbage[i] = g_test_rand_int();
    }
    vb_start(&b);
    qtest_memwrite(b.vm.qts, b.buf, garbage, 4096);
    for (i = 0; i < 3000; i++) {
        hostile_vm_submit(&b.vm, b.svq, b.buf, 1 + i % 4096, 0, 0);
    }
    rsp = qtest_qmp_assert_success_ref(b.vm.qts,
        "{ 'execute': 'qom-get', 'arguments': { "
        "'path': '/machine/peripheral/b0', 'property': 'guest-stats' } }");
    g_assert(qdict_haskey(rsp, "stats"));
    qobject_unref(rsp);
    vb_assert_exact(&b, 0, 0);
    vb_stop(&b);
}

/*
 * Automatic sizing on a guest that lies in its statistics: claiming to
 * use all it has (and OOM kills climbing) gets it its maximum, never
 * more; claiming to use nothing takes it down to its minimum, never
 * less, and only after the 10 s hold.  (UINT64_MAX is the device's
 * "not reported": a guest sending it gets no decision at all.)
 */
static void test_stats_lie(void)
{
    static const uint16_t greedy_tags[] = {
        VIRTIO_BALLOON_S_MEMTOT, VIRTIO_BALLOON_S_AVAIL,
        VIRTIO_BALLOON_S_OOM_KILL,
    };
    static const uint16_t modest_tags[] = {
        VIRTIO_BALLOON_S_MEMTOT, VIRTIO_BALLOON_S_AVAIL,
    };
    QDict *info, *au;
    VB b;
    int i;

    b.ram = VB_RAM;
    hostile_vm_start(&b.vm, "-m 512M -device virtio-balloon-pci,id=b0,"
                     "disable-legacy=on,addr=04.0 -object balloon-frontend,"
                     "id=bf0,auto=on,auto-minimum=128M,auto-maximum=384M");
    vb_driver_init(&b);
    b.buf = guest_alloc(&b.vm.alloc, VB_BUF_PFNS * 4);

    for (i = 0; i < 5; i++) {
        uint64_t vals[] = { UINT64_MAX - 1, 0, (uint64_t)i * 1000 };

        vb_send_stats(&b, greedy_tags, vals, 3);
        hostile_vm_step_ms(&b.vm, 1000);
    }
    info = hostile_vm_query_resize(&b.vm);
    au = qdict_get_qdict(info, "automatic");
    g_assert_cmpint(qdict_get_int(info, "target"), ==, 384 * VB_MIB);
    g_assert_cmpstr(qdict_get_str(au, "reason"), ==, "maximum");
    qobject_unref(info);

    for (i = 0; i < 9; i++) {
        uint64_t vals[] = { 0, UINT64_MAX - 1 };

        vb_send_stats(&b, modest_tags, vals, 2);
        hostile_vm_step_ms(&b.vm, 1000);
    }
    info = hostile_vm_query_resize(&b.vm);
    g_assert_cmpint(qdict_get_int(info, "target"), ==, 384 * VB_MIB);
    qobject_unref(info);
    for (i = 0; i < 30; i++) {
        uint64_t vals[] = { 0, UINT64_MAX - 1 };

        vb_send_stats(&b, modest_tags, vals, 2);
        hostile_vm_step_ms(&b.vm, 1000);
    }
    info = hostile_vm_query_resize(&b.vm);
    au = qdict_get_qdict(info, "automatic");
    g_assert_cmpint(qdict_get_int(info, "target"), ==, 128 * VB_MIB);
    g_assert_cmpstr(qdict_get_str(au, "reason"), ==, "minimum");
    g_assert_cmpint(qdict_get_int(au, "demand"), ==, 0);
    qobject_unref(info);
    hostile_vm_assert_bounded(&b.vm, VB_MAX_GROWTH_KIB, 0);
    vb_stop(&b);
}

/*
 * 'actual' written with garbage: the size stays what the guest holds,
 * and BALLOON_CHANGE, which libvirt listens to, stays rate-limited.
 */
static void test_garbage_actual(void)
{
    static const uint32_t garbage[] = {
        0xffffffff, 0x80000000, VB_RAM / HOSTILE_PAGE + 1, 12345,
    };
    unsigned int events;
    VB b;
    int i;

    vb_start(&b);
    vb_send_range(&b, b.ivq, VB_PLAY_PFN, 10, 1);
    hostile_vm_count_events(&b.vm, "BALLOON_CHANGE");
    for (i = 0; i < 1000; i++) {
        vb_set_actual(&b, garbage[i % G_N_ELEMENTS(garbage)]);
    }
    events = hostile_vm_count_events(&b.vm, "BALLOON_CHANGE");
    g_assert_cmpuint(events, <=, 3);
    vb_set_actual(&b, 10);
    vb_assert_exact(&b, 10, 0);
    vb_stop(&b);
}

/*
 * A virtio-mem device next to the balloon, driven by the test as well:
 * the balloon's pages inside it count only in plugged blocks, and a
 * block unplugged takes the balloon's pages in it along.
 */
typedef struct VBMem {
    QVirtioPCIDevice *dev;
    QVirtQueue *vq;
    uint64_t req, resp, addr, block;
} VBMem;

#define VBM_REGION          (256 * VB_MIB)

static void vbm_init(VB *b, VBMem *m)
{
    QPCIAddress addr = { .devfn = QPCI_DEVFN(5, 0) };
    QVirtioDevice *vdev;

    m->dev = virtio_pci_new(b->vm.bus, &addr);
    g_assert_nonnull(m->dev);
    qvirtio_pci_device_enable(m->dev);
    vdev = &m->dev->vdev;
    qvirtio_start_device(vdev);
    qvirtio_set_features(vdev, qvirtio_get_features(vdev) &
                         ((1ull << VIRTIO_F_VERSION_1) |
                          (1ull << VIRTIO_MEM_F_ACPI_PXM) |
                          (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)));
    m->vq = qvirtqueue_setup(vdev, &b->vm.alloc, 0);
    qvirtio_set_driver_ok(vdev);
    m->req = guest_alloc(&b->vm.alloc, 64);
    m->resp = guest_alloc(&b->vm.alloc, 64);
    m->block = qvirtio_config_readq(vdev, 0);
    m->addr = qvirtio_config_readq(vdev, 16);
}

static void vbm_cleanup(VB *b, VBMem *m)
{
    qvirtqueue_cleanup(m->dev->vdev.bus, m->vq, &b->vm.alloc);
    qos_object_destroy(&m->dev->obj);
}

static void vbm_request(VB *b, VBMem *m, uint16_t type, uint16_t nb)
{
    struct virtio_mem_req req = {
        .type = cpu_to_le16(type),
        .u.plug.addr = cpu_to_le64(m->addr),
        .u.plug.nb_blocks = cpu_to_le16(nb),
    };

    qtest_memwrite(b->vm.qts, m->req, &req, sizeof(req));
    g_assert_true(hostile_vm_submit_to(&b->vm, &m->dev->vdev, m->vq, m->req,
                                       sizeof(req), m->resp,
                                       sizeof(struct virtio_mem_resp)));
    g_assert_cmpint(qtest_readw(b->vm.qts, m->resp), ==,
                    VIRTIO_MEM_RESP_ACK);
}

/* The balloon holds @held_pages of what QMP reports, plug included */
static void vbm_assert_held(VB *b, int64_t plugged, uint32_t held_pages)
{
    QDict *info = hostile_vm_query_resize(&b->vm);
    QList *backends = qdict_get_qlist(info, "backends");
    QListEntry *e;

    g_assert_cmpint(qdict_get_int(info, "actual"), ==,
                    b->ram + plugged - (int64_t)held_pages * HOSTILE_PAGE);
    QLIST_FOREACH_ENTRY(backends, e) {
        QDict *be = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(be, "type"), "virtio-balloon")) {
            g_assert_cmpint(qdict_get_int(be, "size"), ==,
                            -(int64_t)held_pages * HOSTILE_PAGE);
        }
    }
    qobject_unref(info);
}

static void test_virtio_mem_blocks(void)
{
    g_autofree char *args = g_strdup_printf(
        "-m %dM,maxmem=2G -device virtio-balloon-pci,id=b0,"
        "disable-legacy=on,addr=04.0 "
        "-object memory-backend-ram,id=mem0,size=%dM "
        "-device virtio-mem-pci,id=vm0,memdev=mem0,addr=05.0",
        VB_RAM / VB_MIB, VBM_REGION / VB_MIB);
    VB b = { .ram = VB_RAM };
    VBMem m;
    uint32_t first;

    hostile_vm_start(&b.vm, args);
    vb_driver_init(&b);
    b.buf = guest_alloc(&b.vm.alloc, VB_BUF_PFNS * 4);
    vbm_init(&b, &m);
    first = m.addr / HOSTILE_PAGE;

    /* Pages of unplugged blocks: not the guest's memory, not held. */
    vb_send_range(&b, b.ivq, first, 64, 1);
    vb_send_range(&b, b.ivq, first + 3 * m.block / HOSTILE_PAGE, 16, 1);
    vbm_assert_held(&b, 0, 0);

    /* One block plugged: 16 of its pages inflated count. */
    qtest_qmp_assert_success(b.vm.qts, "{ 'execute': 'memory-resize', "
                             "'arguments': { 'size': %" PRId64 " } }",
                             b.ram + (int64_t)m.block);
    vbm_request(&b, &m, VIRTIO_MEM_REQ_PLUG, 1);
    hostile_vm_step_ms(&b.vm, 100);
    vb_send_range(&b, b.ivq, first + 8, 16, 1);
    vbm_assert_held(&b, m.block, 16);

    /* The block unplugged: its 16 pages of the balloon go with it. */
    qtest_qmp_assert_success(b.vm.qts, "{ 'execute': 'memory-resize', "
                             "'arguments': { 'size': %" PRId64 " } }",
                             b.ram - 16 * HOSTILE_PAGE);
    vbm_request(&b, &m, VIRTIO_MEM_REQ_UNPLUG_ALL, 0);
    hostile_vm_step_ms(&b.vm, 100);
    vbm_assert_held(&b, 0, 0);

    /* A deflate of them afterwards is of pages never held: ignored. */
    vb_send_range(&b, b.dvq, first + 8, 16, 1);
    vbm_assert_held(&b, 0, 0);
    /* Three kinds of misbehaviour, one rate-limited warning. */
    vb_assert_exact(&b, 0, 1);
    vbm_cleanup(&b, &m);
    vb_stop(&b);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {
        { "outside-ram", test_outside_ram },
        { "mmio", test_mmio },
        { "rom", test_rom },
        { "pfn-around-4g", test_pfn_4g },
        { "pfn-2-31-2-32", test_pfn_2_31_2_32 },
        { "duplicates", test_duplicates },
        { "deflate-never-inflated", test_deflate_never_inflated },
        { "inflate-deflate-flood", test_flood },
        { "checkerboard", test_checkerboard },
        { "oversized-descriptor", test_oversized_descriptor },
        { "odd-lengths", test_odd_lengths },
        { "descriptor-outside-ram", test_descriptor_outside_ram },
        { "descriptor-outside-ram-large",
          test_descriptor_outside_ram_large },
        { "zero-length-descriptor", test_zero_length_descriptor },
        { "reset-while-holding", test_reset_while_holding },
        { "stats-flood", test_stats_flood },
        { "garbage-actual", test_garbage_actual },
        { "stats-lie-auto", test_stats_lie },
        { "virtio-mem-blocks", test_virtio_mem_blocks },
    };
    size_t i;

    g_test_init(&argc, &argv, NULL);
    for (i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("virtio-balloon-hostile/%s",
                                                cases[i].name);

        qtest_add_func(path, cases[i].fn);
    }
    return g_test_run();
}
