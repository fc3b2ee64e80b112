/*
 * Mock resize backends for the frontend's unit tests
 *
 * Each mock models a backend's contract: a guest driver that moves the
 * contribution toward the last target by a bounded amount per tick
 * (virtio-balloon: pages; virtio-mem: whole blocks; hv-balloon: pages
 * when ballooning, aligned chunks when hot-adding), that may be absent
 * or stuck, and a host side that may refuse a request.  Every request
 * and every engine event is logged in mock_events.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_MOCK_BACKENDS_H
#define UBF_MOCK_BACKENDS_H

#include "resize-engine-priv.h"

#define BASE (1 * GiB)
#define BLOCK (2 * MiB)
#define TICK_MS 50

typedef enum MockKind {
    MOCK_VIRTIO_BALLOON,
    MOCK_VIRTIO_MEM,
    MOCK_HV_BALLOON,
} MockKind;

typedef struct Mock {
    BalloonBackend bb;
    BalloonBackendInfo info;
    int64_t target;
    int64_t rate;           /* bytes the guest moves per tick */
    int64_t hotadd_align;   /* hv-balloon: hot-add chunk */
    int64_t stuck_lo;       /* the guest cannot take it below this... */
    int64_t stuck_hi;       /* ...nor above this */
    bool refuse;            /* set_target fails... */
    unsigned int accept_calls;  /* ...after accepting this many */
    unsigned int set_calls;
    int64_t set_at_tick;    /* tick of the last set_target */
} Mock;

/* "set:<id>:<MiB> ", "state:<state> ", "stop:<reason> " ... */
extern GString *mock_events;
/* re->error when the last request stopped failed, else NULL */
extern char *mock_stop_error;
extern int64_t mock_now_ms;
extern int64_t mock_tick_no;
extern const ResizeEngineOps mock_engine_ops;

void mock_init(Mock *m, MockKind kind, const char *id,
               int64_t min, int64_t max, uint64_t gran);
void mock_virtio_balloon(Mock *m, const char *id);
void mock_virtio_mem(Mock *m, const char *id, int64_t max);
void mock_hv_balloon(Mock *m, const char *id, int64_t memdev);
/* The guest driver's share of one tick. */
void mock_step(Mock *m);
/* A fresh engine with base BASE, empty log, time 0. */
void mock_setup(ResizeEngine *re);
/* Tick guest and engine until idle or @max_ticks. */
void mock_run(ResizeEngine *re, Mock **mocks, int n, int max_ticks);

#endif
