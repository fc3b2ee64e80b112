/*
 * What the hostile-guest qtests share: a q35 machine run by qtest with
 * one virtio-pci device driven by the test (the "guest"), QEMU's stderr
 * kept in a file so the test can count what a guest made it log, the
 * host memory QEMU uses, and the frontend's view through QMP.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_HOSTILE_QTEST_H
#define UBF_HOSTILE_QTEST_H

#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "libqos/virtio-pci.h"
#include "libqos/qgraph.h"

#define HOSTILE_DEVFN       QPCI_DEVFN(4, 0)
#define HOSTILE_PAGE        4096

typedef struct HostileVM {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QVirtioPCIDevice *dev;
    char *log_path;
    int64_t rss_start_kib;
} HostileVM;

/*
 * Start "-M q35 -nodefaults" plus @args, which must put the device under
 * test at HOSTILE_DEVFN; the device is enabled, not yet initialized.
 */
void hostile_vm_start(HostileVM *vm, const char *args);
void hostile_vm_stop(HostileVM *vm);

/* The resident set of QEMU now, in KiB. */
int64_t hostile_vm_rss_kib(HostileVM *vm);

/*
 * How many lines QEMU wrote to stderr so far that contain @needle (any
 * line if NULL).
 */
unsigned int hostile_vm_log_count(HostileVM *vm, const char *needle);

/*
 * What every case asserts at its end besides its own checks: QEMU still
 * runs and answers, its memory grew by less than @max_growth_kib since
 * the start, and it wrote at most @max_lines lines to stderr.
 */
void hostile_vm_assert_bounded(HostileVM *vm, int64_t max_growth_kib,
                               unsigned int max_lines);

/* Write the device's configuration space, as a driver does. */
void hostile_vm_config_writel(HostileVM *vm, uint64_t off, uint32_t val);

/* query-memory-resize's answer (to unref) and its "actual"/"target". */
QDict *hostile_vm_query_resize(HostileVM *vm);
int64_t hostile_vm_resize_actual(HostileVM *vm);
int64_t hostile_vm_query_balloon(HostileVM *vm);

/* Count (and drop) the events named @event received so far. */
unsigned int hostile_vm_count_events(HostileVM *vm, const char *event);

/* Let the virtual clock run @ms milliseconds (the frontend's timers). */
void hostile_vm_step_ms(HostileVM *vm, int64_t ms);

/*
 * One request on @vq: a buffer the device reads (@out, @out_len bytes)
 * and, when @in_len is not zero, one it writes (@in), kicked, then wait
 * until the device used it.  Returns false if it was not used within a
 * second (a broken device uses no more buffers).
 */
bool hostile_vm_submit(HostileVM *vm, QVirtQueue *vq, uint64_t out,
                       uint32_t out_len, uint64_t in, uint32_t in_len);

/* The same on a queue of @vdev, another device than the one under test */
bool hostile_vm_submit_to(HostileVM *vm, QVirtioDevice *vdev,
                          QVirtQueue *vq, uint64_t out, uint32_t out_len,
                          uint64_t in, uint32_t in_len);

#endif
