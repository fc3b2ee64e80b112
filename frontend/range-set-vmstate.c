/*
 * RangeSet fields in VMState descriptions
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "migration/qemu-file-types.h"
#include "range-set-vmstate.h"
#include "trace.h"

#define RANGE_SET_VMSTATE_PAGE (4 * KiB)

/*
 * No guest RAM page lies at or past this page number: past the device
 * memory region if there is one, else past RAM moved above 4 GiB (as on
 * x86).  Bounds what an incoming stream can make a set cover, and so the
 * memory it takes (range_set_worst_case_bytes()).
 */
static uint64_t range_set_vmstate_page_limit(void)
{
    MachineState *ms = current_machine;
    uint64_t end = 4 * GiB + ms->ram_size;

    if (ms->device_memory) {
        end = MAX(end, ms->device_memory->base +
                       memory_region_size(&ms->device_memory->mr));
    }
    return end / RANGE_SET_VMSTATE_PAGE;
}

static int range_set_vmstate_put(QEMUFile *f, void *pv, size_t size,
                                 const VMStateField *field,
                                 JSONWriter *vmdesc)
{
    RangeSet *rs = *(RangeSet **)pv;
    g_autoptr(GByteArray) buf = range_set_encode(rs);

    trace_range_set_vmstate_put(field->name, range_set_nr_ranges(rs),
                                buf->len);
    qemu_put_be32(f, buf->len);
    qemu_put_buffer(f, buf->data, buf->len);
    return 0;
}

static int range_set_vmstate_get(QEMUFile *f, void *pv, size_t size,
                                 const VMStateField *field)
{
    RangeSet *rs = *(RangeSet **)pv;
    uint64_t limit = range_set_vmstate_page_limit();
    uint32_t len = qemu_get_be32(f);
    g_autofree uint8_t *buf = NULL;
    Error *err = NULL;

    trace_range_set_vmstate_get(field->name, len);
    /* An encoding takes at most a byte per page, and the count. */
    if (len > limit + 16) {
        error_report("%s: %" PRIu32 " bytes of page ranges, more than "
                     "guest RAM can need (%" PRIu64 ")", field->name, len,
                     limit + 16);
        return -EINVAL;
    }
    buf = g_malloc(len);
    if (qemu_get_buffer(f, buf, len) != len) {
        error_report("%s: page ranges truncated", field->name);
        return -EIO;
    }
    range_set_clear(rs);
    if (!range_set_decode(rs, buf, len, limit, &err)) {
        error_reportf_err(err, "%s: ", field->name);
        return -EINVAL;
    }
    return 0;
}

const VMStateInfo range_set_vmstate_info = {
    .name = "range-set",
    .get  = range_set_vmstate_get,
    .put  = range_set_vmstate_put,
};
