/*
 * A model of hv-balloon's contract, for tests (see hv-balloon-model.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hv-balloon-model.h"

#define HV_MODEL_PAGE (4 * KiB)

void hv_model_init(HvModel *m, uint64_t boot, uint64_t memdev,
                   uint64_t align)
{
    memset(m, 0, sizeof(*m));
    m->boot = boot;
    m->memdev = memdev;
    m->align = align;
    m->hold_ms = HV_MODEL_POST_INIT_WAIT_MS;
    m->guest_can_give = boot - 256 * MiB;
}

void hv_model_get_state(void *dev, HvBalloonState *st)
{
    HvModel *m = dev;

    if (m->malformed) {
        *st = m->forced;
        return;
    }
    memset(st, 0, sizeof(*st));
    st->connected = m->state != HV_MODEL_DISCONNECTED;
    st->holding = m->state == HV_MODEL_HOLD;
    st->ballooned = m->ballooned;
    st->hot_added = m->hot_added;
    st->hot_add_max = m->memdev;
    st->hot_add_align = st->connected ? m->align : 0;
    st->hot_add_node = -1;          /* no 'node' property */
}

void hv_model_set_target(void *dev, uint64_t target)
{
    HvModel *m = dev;

    /* hv_balloon_to_target(): a target of 0 pages is ignored */
    if (target / HV_MODEL_PAGE) {
        m->target = target;
    }
}

int64_t hv_model_base_size(void *dev)
{
    return ((HvModel *)dev)->boot;
}

void hv_model_step(HvModel *m, int64_t now_ms)
{
    uint64_t total, diff;

    switch (m->state) {
    case HV_MODEL_DISCONNECTED:
        if (m->driver) {
            m->state = HV_MODEL_HOLD;
            m->connect_ms = now_ms;
        }
        return;
    case HV_MODEL_HOLD:
        if (now_ms - m->connect_ms >= m->hold_ms) {
            m->state = HV_MODEL_IDLE;
        }
        return;
    case HV_MODEL_IDLE:
        break;
    }
    if (!m->target || m->stuck) {
        return;
    }
    total = m->boot + m->hot_added - m->ballooned;
    if (m->target > total) {
        diff = m->target - total;
        if (m->ballooned) {
            /* unballoon first, all of it in one go */
            m->ballooned -= MIN(diff, m->ballooned);
        } else if (m->align && m->hot_added < m->memdev) {
            /* hot-add whole aligned chunks; the excess is ballooned back */
            m->hot_added += MIN(ROUND_UP(diff, m->align),
                                m->memdev - m->hot_added);
        } else {
            return;
        }
    } else if (m->target < total) {
        diff = MIN(total - m->target,
                   (uint64_t)HV_MODEL_HR_CHUNK_PAGES * HV_MODEL_PAGE);
        diff = MIN(diff, m->guest_can_give > m->ballooned ?
                         m->guest_can_give - m->ballooned : 0);
        if (!diff) {
            return;
        }
        m->ballooned += diff;
    } else {
        return;
    }
    m->rounds++;
}

void hv_model_system_reset(HvModel *m)
{
    m->state = HV_MODEL_DISCONNECTED;
    m->ballooned = 0;
    m->hot_added = 0;
    m->target = 0;
}

void hv_model_channel_reset(HvModel *m)
{
    m->state = HV_MODEL_DISCONNECTED;
    m->ballooned = 0;
}
