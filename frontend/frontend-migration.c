/*
 * Unified balloon frontend: what live migration and snapshots carry
 *
 * The "balloon-frontend" section holds the request in flight (its
 * target, per-node targets, state, error and progress) and, in a
 * subsection, the balloon-frontend object's settings.  It is sent only
 * when there is something to carry: a request in flight or a
 * balloon-frontend object.  A VM with neither (a finished resize, say)
 * migrates to a QEMU without the frontend; from one, the frontend takes
 * the guest size it finds as the last target (resize_engine_adopt()).
 *
 * The devices carry their own state (virtio-balloon's page record and
 * hv-balloon are sections of their own); the frontend's plan is not
 * carried: the destination plans the rest of the request from where the
 * devices are, when the VM starts there, and asks every backend again
 * (virtio-mem, which refuses to move while migration runs, then goes on
 * at once).
 *
 * On the source, the engine is held from migration setup on: a
 * migrating guest runs, but whatever does not move then is not judged
 * short or stalled.  A failed migration releases the hold.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "migration/misc.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "balloon-frontend-internal.h"
#include "frontend-object.h"
#include "frontend-settings.h"
#include "resize-engine.h"
#include "trace.h"

/* The longest error message carried (the rest is cut). */
#define FRONTEND_MIGRATION_MAX_ERROR 4096

typedef struct FrontendMigration {
    ResizeEngine *re;

    /*
     * What the stream carries: the request, loaded here, checked against
     * this machine by the engine, and only then taken into it.
     */
    ResizeEngineRequest req;
    int32_t nb_nodes;
    int64_t *node_amount;           /* req.node_amount, nb_nodes of them */
    uint32_t error_len;             /* with its NUL, 0 for none */
    char *error;
    BalloonFrontendSettings settings;

    /* The source */
    bool sent_request;              /* the stream has a request in flight */

    /* The destination */
    bool incoming;                  /* started to receive a migration */
    bool loaded;                    /* our section came, not yet resumed */
} FrontendMigration;

static FrontendMigration frontend_migration;

static bool frontend_migration_needed(void *opaque)
{
    FrontendMigration *fm = opaque;

    return resize_engine_busy(fm->re) || balloon_frontend_object_settings();
}

static int frontend_migration_pre_save(void *opaque)
{
    FrontendMigration *fm = opaque;
    const char *error = resize_engine_error(fm->re);

    resize_engine_save_request(fm->re, &fm->req);
    fm->nb_nodes = resize_engine_nb_nodes(fm->re);
    fm->sent_request = fm->req.in_flight;
    g_clear_pointer(&fm->error, g_free);
    fm->error_len = 0;
    if (error) {
        fm->error = g_strndup(error, FRONTEND_MIGRATION_MAX_ERROR - 1);
        fm->error_len = strlen(fm->error) + 1;
    }
    trace_frontend_migration_save(fm->req.in_flight, fm->req.target,
                                  fm->req.done);
    return 0;
}

static int frontend_migration_post_save(void *opaque)
{
    FrontendMigration *fm = opaque;

    g_clear_pointer(&fm->error, g_free);
    fm->error_len = 0;
    return 0;
}

static int frontend_migration_pre_load(void *opaque)
{
    FrontendMigration *fm = opaque;

    /* Checked against the stream: the NUMA configuration must match. */
    fm->nb_nodes = resize_engine_nb_nodes(fm->re);
    return 0;
}

/* Before the error message is allocated: is its length sane? */
static bool frontend_migration_error_len_ok(void *opaque, int version_id)
{
    FrontendMigration *fm = opaque;

    return fm->error_len <= FRONTEND_MIGRATION_MAX_ERROR;
}

/* The request the stream has, checked by the engine, into it. */
static int frontend_migration_post_load(void *opaque, int version_id)
{
    FrontendMigration *fm = opaque;
    Error *err = NULL;

    if (fm->error_len && fm->error[fm->error_len - 1]) {
        error_setg(&err, "an error message without its end");
    } else {
        resize_engine_load_request(fm->re, &fm->req,
                                   fm->error_len ? fm->error : NULL,
                                   balloon_frontend_max_reach(), &err);
    }
    g_clear_pointer(&fm->error, g_free);
    fm->error_len = 0;
    if (err) {
        error_reportf_err(err, "balloon-frontend: the incoming request is "
                          "not valid: ");
        return -EINVAL;
    }
    fm->loaded = true;
    trace_frontend_migration_load(fm->req.in_flight, fm->req.target,
                                  fm->req.done);
    return 0;
}

static bool frontend_migration_settings_needed(void *opaque)
{
    return balloon_frontend_object_settings();
}

static int frontend_migration_settings_pre_save(void *opaque)
{
    FrontendMigration *fm = opaque;

    fm->settings = *balloon_frontend_object_settings();
    return 0;
}

/* A source without the auto subsection had the defaults. */
static int frontend_migration_settings_pre_load(void *opaque)
{
    FrontendMigration *fm = opaque;

    frontend_settings_default(&fm->settings);
    return 0;
}

static int frontend_migration_settings_post_load(void *opaque,
                                                 int version_id)
{
    FrontendMigration *fm = opaque;
    Error *err = NULL;

    if (!balloon_frontend_object_load_settings(&fm->settings, &err)) {
        error_reportf_err(err, "balloon-frontend: ");
        return -EINVAL;
    }
    return 0;
}

/* Automatic sizing's settings, sent when they are not the defaults. */
static bool frontend_migration_auto_needed(void *opaque)
{
    const BalloonFrontendSettings *s = balloon_frontend_object_settings();
    BalloonFrontendSettings d;

    frontend_settings_default(&d);
    return s && (s->auto_enabled || s->auto_minimum || s->auto_maximum ||
                 s->auto_ceiling ||
                 s->auto_buffer != d.auto_buffer ||
                 s->auto_weight != d.auto_weight);
}

static const VMStateDescription frontend_migration_auto_vmsd = {
    .name = "balloon-frontend/settings/auto",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = frontend_migration_auto_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(settings.auto_enabled, FrontendMigration),
        VMSTATE_INT64(settings.auto_minimum, FrontendMigration),
        VMSTATE_INT64(settings.auto_maximum, FrontendMigration),
        VMSTATE_INT64(settings.auto_ceiling, FrontendMigration),
        VMSTATE_INT32(settings.auto_buffer, FrontendMigration),
        VMSTATE_INT32(settings.auto_weight, FrontendMigration),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The per-node maximum, apart: a stream without it (an older frontend's)
 * still loads, and a VM without one still goes to such a frontend.  Not
 * named .../auto-...: a subsection whose name extends another's would be
 * looked for among that one's subsections.
 */
static bool frontend_migration_auto_node_needed(void *opaque)
{
    const BalloonFrontendSettings *s = balloon_frontend_object_settings();

    return s && s->auto_node_maximum;
}

static const VMStateDescription frontend_migration_auto_node_vmsd = {
    .name = "balloon-frontend/settings/node-maximum",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = frontend_migration_auto_node_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(settings.auto_node_maximum, FrontendMigration),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription frontend_migration_settings_vmsd = {
    .name = "balloon-frontend/settings",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = frontend_migration_settings_needed,
    .pre_save = frontend_migration_settings_pre_save,
    .pre_load = frontend_migration_settings_pre_load,
    .post_load = frontend_migration_settings_post_load,
    .subsections = (const VMStateDescription * const []) {
        &frontend_migration_auto_vmsd,
        &frontend_migration_auto_node_vmsd,
        NULL
    },
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(settings.floor, FrontendMigration),
        VMSTATE_INT64(settings.stall_ms, FrontendMigration),
        VMSTATE_INT32(settings.policy, FrontendMigration),
        VMSTATE_INT32(settings.prefer_node, FrontendMigration),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription frontend_migration_request_vmsd = {
    .name = "balloon-frontend/request",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(has_target, ResizeEngineRequest),
        VMSTATE_INT64(target, ResizeEngineRequest),
        VMSTATE_BOOL(in_flight, ResizeEngineRequest),
        VMSTATE_BOOL(by_node, ResizeEngineRequest),
        VMSTATE_BOOL(strict_nodes, ResizeEngineRequest),
        VMSTATE_INT32(growth_node, ResizeEngineRequest),
        VMSTATE_INT64(balloon_growth, ResizeEngineRequest),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription frontend_migration_vmsd = {
    .name = "balloon-frontend",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = frontend_migration_needed,
    .pre_save = frontend_migration_pre_save,
    .post_save = frontend_migration_post_save,
    .pre_load = frontend_migration_pre_load,
    .post_load = frontend_migration_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(req, FrontendMigration, 1,
                       frontend_migration_request_vmsd,
                       ResizeEngineRequest),
        VMSTATE_INT32_EQUAL(nb_nodes, FrontendMigration,
                            "the NUMA node count must match"),
        VMSTATE_VARRAY_INT32(node_amount, FrontendMigration, nb_nodes, 0,
                             vmstate_info_int64, int64_t),
        VMSTATE_UINT32(req.state, FrontendMigration),
        VMSTATE_INT64(req.done, FrontendMigration),
        VMSTATE_UINT32(error_len, FrontendMigration),
        VMSTATE_VALIDATE("error_len", frontend_migration_error_len_ok),
        VMSTATE_VBUFFER_ALLOC_UINT32(error, FrontendMigration, 0, NULL,
                                     error_len),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &frontend_migration_settings_vmsd,
        NULL
    },
};

/* The source: hold the engine while the migration runs. */
static int frontend_migration_notify(NotifierWithReturn *notifier,
                                     MigrationEvent *e, Error **errp)
{
    FrontendMigration *fm = &frontend_migration;

    trace_frontend_migration_event(e->type);
    switch (e->type) {
    case MIG_EVENT_PRECOPY_SETUP:
        fm->sent_request = false;
        resize_engine_hold(fm->re, true, balloon_frontend_clock_ms());
        break;
    case MIG_EVENT_PRECOPY_FAILED:
        if (fm->sent_request && resize_engine_busy(fm->re)) {
            int64_t target;

            resize_engine_target(fm->re, &target);
            /* Whatever the cause, say what is known of this side. */
            warn_report("balloon-frontend: the migration failed with a "
                        "memory resize to %" PRId64 " bytes in flight; it "
                        "goes on here.  A destination without the balloon "
                        "frontend cannot take a resize in flight: let it "
                        "finish first", target);
        }
        resize_engine_hold(fm->re, false, balloon_frontend_clock_ms());
        balloon_frontend_poke();
        break;
    default:
        /* Done: the guest runs on the destination now. */
        break;
    }
    return 0;
}

static NotifierWithReturn frontend_migration_notifier;

/*
 * The destination, or a snapshot loaded: the VM starts with the state
 * that came; go on with the request, or take the guest size as the last
 * target if none came.
 */
static void frontend_migration_vm_state(void *opaque, bool running,
                                        RunState state)
{
    FrontendMigration *fm = opaque;

    if (!running || (!fm->loaded && !fm->incoming)) {
        return;
    }
    trace_frontend_migration_start(fm->loaded, resize_engine_busy(fm->re));
    if (fm->loaded) {
        resize_engine_resume(fm->re, balloon_frontend_clock_ms());
    } else {
        resize_engine_adopt(fm->re);
    }
    fm->loaded = false;
    fm->incoming = false;
    balloon_frontend_poke();
}

/* Once the machine is built, with its NUMA nodes known. */
static void frontend_migration_init(ResizeEngine *re)
{
    FrontendMigration *fm = &frontend_migration;

    fm->re = re;
    fm->node_amount = fm->req.node_amount;
    fm->nb_nodes = resize_engine_nb_nodes(re);
    fm->incoming = runstate_check(RUN_STATE_INMIGRATE);
    vmstate_register(NULL, 0, &frontend_migration_vmsd, fm);
    migration_add_notifier(&frontend_migration_notifier,
                           frontend_migration_notify);
    qemu_add_vm_change_state_handler(frontend_migration_vm_state, fm);
}

static void frontend_migration_event(Notifier *n, void *data)
{
    BalloonFrontendEvent *ev = data;

    if (ev->type == BALLOON_FRONTEND_EVENT_MACHINE_READY) {
        frontend_migration_init(balloon_frontend_get_engine());
    }
}

static Notifier frontend_migration_listener = {
    .notify = frontend_migration_event,
};

static void frontend_migration_register(void)
{
    balloon_frontend_add_listener(&frontend_migration_listener);
}

type_init(frontend_migration_register)
