/*
 * Unified balloon frontend: settings, between the balloon-frontend
 * object (frontend-object.c) and the frontend (balloon-frontend.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_INTERNAL_H
#define UBF_BALLOON_FRONTEND_INTERNAL_H

#include "resize-engine.h"

#define BALLOON_FRONTEND_DEFAULT_STALL_MS (30 * 1000)
#define BALLOON_FRONTEND_STALL_MIN_S 1
#define BALLOON_FRONTEND_STALL_MAX_S 3600

/* The per-VM settings (see BalloonFrontendProperties in qapi/qom.json). */
typedef struct BalloonFrontendSettings {
    int64_t floor;              /* bytes */
    int64_t stall_ms;
    int policy;                 /* BalloonFrontendPolicy */
    int32_t prefer_node;
    /* Automatic sizing (auto-size.h): */
    bool auto_enabled;
    int64_t auto_minimum;       /* bytes, 0: the least backends reach */
    int64_t auto_maximum;       /* bytes, 0: the most they reach */
    int64_t auto_ceiling;       /* bytes, 0: none (a host's arbitration) */
    int64_t auto_node_maximum;  /* bytes per NUMA node, 0: none */
    int32_t auto_buffer;        /* percent of demand */
    int32_t auto_weight;
} BalloonFrontendSettings;

#define BALLOON_FRONTEND_NEEDS_OBJECT \
    "Automatic sizing needs a balloon-frontend object (-object " \
    "balloon-frontend,id=ID)"

/* The defaults, as without a balloon-frontend object. */
void balloon_frontend_default_settings(BalloonFrontendSettings *s);

/*
 * Check @s against the machine: each setting within the range this VM
 * allows.  Errors name the property (@s's field) and the range.  Before
 * the machine is ready, only what can be known is checked; the rest is
 * checked when it is (QEMU then exits on an error).
 */
bool balloon_frontend_check_settings(const BalloonFrontendSettings *s,
                                     Error **errp);

/* Put @s (checked) in force. */
void balloon_frontend_apply_settings(const BalloonFrontendSettings *s);

/*
 * The settings the machine-ready check looks at: the balloon-frontend
 * object's, or NULL for the defaults (frontend-object.c).
 */
const BalloonFrontendSettings *balloon_frontend_object_settings(void);

/*
 * Take @s into the balloon-frontend object if the frontend accepts it
 * (memory-resize-auto); fails, changing nothing, if there is no such
 * object or a setting is out of range.
 */
bool balloon_frontend_object_set_settings(const BalloonFrontendSettings *s,
                                          Error **errp);

/*
 * Take @s (checked) into the balloon-frontend object, from an incoming
 * migration; fails if there is no such object here.
 */
bool balloon_frontend_object_load_settings(const BalloonFrontendSettings *s,
                                           Error **errp);

/*
 * The largest guest size the backends can reach at all: base, every
 * virtio-mem device full, the balloon that can hot-add the most.
 */
int64_t balloon_frontend_max_reach(void);

/* For frontend-migration.c: the frontend's clock (virtual, in ms). */
int64_t balloon_frontend_clock_ms(void);

/* Report the guest size, and keep ticking while a request is in flight. */
void balloon_frontend_poke(void);

/* The frontend's engine, for frontend-auto.c. */
ResizeEngine *balloon_frontend_get_engine(void);

/*
 * Automatic sizing (frontend-auto.c).  Check its settings in @s, the
 * sizes against @reach (the largest size the backends reach; -1 before
 * the machine is ready); errors name the property and give the range.
 */
bool frontend_auto_check(const BalloonFrontendSettings *s, int64_t reach,
                         Error **errp);
/* Put its settings in @s (checked) in force. */
void frontend_auto_apply(const BalloonFrontendSettings *s);
/* @bb was registered: have its driver report if automatic sizing is on. */
void frontend_auto_backend_added(BalloonBackend *bb);
/* The guest was reset or its size set from elsewhere: decide afresh. */
void frontend_auto_forget(void);
/* A manual request (@param) was taken: automatic sizing goes off. */
void frontend_auto_manual(const char *param);
/* For query-memory-resize. */
struct MemoryResizeAutoInfo *frontend_auto_info(void);

/*
 * Register what a migration carries of the frontend (once the machine
 * and its NUMA nodes are known), see frontend-migration.c.
 */
void balloon_frontend_migration_init(ResizeEngine *re);

#endif
