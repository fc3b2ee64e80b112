/*
 * RangeSet fields in VMState descriptions
 *
 * A RangeSet * field migrates as its range_set_encode() bytes, preceded
 * by their length; the destination decodes them into its (existing)
 * set, refusing anything but pages of guest RAM.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_RANGE_SET_VMSTATE_H
#define UBF_RANGE_SET_VMSTATE_H

#include "migration/vmstate.h"
#include "range-set.h"

extern const VMStateInfo range_set_vmstate_info;

/* A RangeSet *@_f of @_s, which must point to a set on both sides. */
#define VMSTATE_RANGE_SET(_f, _s) {                                   \
    .name       = (stringify(_f)),                                    \
    .size       = sizeof(RangeSet *),                                 \
    .info       = &range_set_vmstate_info,                            \
    .flags      = VMS_SINGLE,                                         \
    .offset     = vmstate_offset_value(_s, _f, RangeSet *),           \
}

#endif
