/*
 * Unified balloon frontend: per-VM settings as a user-creatable object
 *
 *   -object balloon-frontend,id=bf0,floor=512M,stall-timeout=30,policy=fill
 *   -object balloon-frontend,id=bf0,auto=on,auto-minimum=1G,auto-maximum=8G
 *
 * At most one such object exists; without it the defaults apply (no
 * floor beyond one page, 30 s stall timeout).  Its properties can also be
 * changed at run time with qom-set on /objects/<id>.  Every value is
 * checked against the machine before it is taken (at start-up once the
 * machine is built): a bad one is refused with the allowed range and
 * changes nothing.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qapi/qapi-visit-qom.h"
#include "qom/object.h"
#include "qom/object_interfaces.h"
#include "qemu/error-report.h"
#include "balloon-frontend-internal.h"
#include "frontend-object.h"
#include "frontend-settings.h"
#include "resize-engine.h"
#include "trace.h"

#define TYPE_BALLOON_FRONTEND_OBJECT "balloon-frontend"
OBJECT_DECLARE_SIMPLE_TYPE(BalloonFrontendObject, BALLOON_FRONTEND_OBJECT)

#define FRONTEND_OBJECT_FLOOR_PROP "floor"
#define FRONTEND_OBJECT_STALL_PROP "stall-timeout"
#define FRONTEND_OBJECT_POLICY_PROP "policy"
#define FRONTEND_OBJECT_PREFER_PROP "prefer-node"
#define FRONTEND_OBJECT_AUTO_PROP "auto"
#define FRONTEND_OBJECT_AUTO_MIN_PROP "auto-minimum"
#define FRONTEND_OBJECT_AUTO_MAX_PROP "auto-maximum"
#define FRONTEND_OBJECT_AUTO_CEILING_PROP "auto-ceiling"
#define FRONTEND_OBJECT_AUTO_NODE_MAX_PROP "auto-node-maximum"
#define FRONTEND_OBJECT_AUTO_BUFFER_PROP "auto-buffer"
#define FRONTEND_OBJECT_AUTO_WEIGHT_PROP "auto-weight"

struct BalloonFrontendObject {
    Object parent_obj;

    BalloonFrontendSettings settings;
};

/* The one instance, if any: only its settings are in force. */
static BalloonFrontendObject *frontend_object_instance;

const BalloonFrontendSettings *balloon_frontend_object_settings(void)
{
    return frontend_object_instance ? &frontend_object_instance->settings
                                    : NULL;
}

/*
 * Take @s as the object's settings if the frontend accepts them; put
 * them in force if the object is the instance.
 */
static void frontend_object_update(BalloonFrontendObject *bfo,
                                   const BalloonFrontendSettings *s,
                                   Error **errp)
{
    if (!frontend_settings_check(s, errp)) {
        return;
    }
    bfo->settings = *s;
    if (frontend_object_instance == bfo) {
        frontend_settings_apply(&bfo->settings);
    }
}

bool balloon_frontend_object_set_settings(const BalloonFrontendSettings *s,
                                          Error **errp)
{
    ERRP_GUARD();

    if (!frontend_object_instance) {
        error_setg(errp, BALLOON_FRONTEND_NEEDS_OBJECT);
        return false;
    }
    frontend_object_update(frontend_object_instance, s, errp);
    return !*errp;
}

bool balloon_frontend_object_load_settings(const BalloonFrontendSettings *s,
                                           Error **errp)
{
    ERRP_GUARD();

    if (!frontend_object_instance) {
        error_setg(errp, "the source VM has a balloon-frontend object and "
                   "this one has none: start it with the same -object "
                   "balloon-frontend");
        return false;
    }
    frontend_object_update(frontend_object_instance, s, errp);
    return !*errp;
}

static void frontend_object_get_stall(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    uint32_t value = BALLOON_FRONTEND_OBJECT(obj)->settings.stall_ms / 1000;

    visit_type_uint32(v, name, &value, errp);
}

static void frontend_object_set_stall(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);
    BalloonFrontendSettings s = bfo->settings;
    int64_t value;

    /* Any integer: out of range, the error says the range. */
    if (!visit_type_int(v, name, &value, errp)) {
        return;
    }
    s.stall_ms = MIN(MAX(value, -1), (int64_t)UINT32_MAX) * 1000;
    frontend_object_update(bfo, &s, errp);
}

static void frontend_object_get_policy(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    int value = BALLOON_FRONTEND_OBJECT(obj)->settings.policy;

    visit_type_BalloonFrontendPolicy(v, name, (BalloonFrontendPolicy *)&value,
                                     errp);
}

static void frontend_object_set_policy(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);
    BalloonFrontendSettings s = bfo->settings;
    g_autofree char *str = NULL;

    if (!visit_type_str(v, name, &str, errp)) {
        return;
    }
    /* The visitor's own error would not list the values: say them. */
    s.policy = qapi_enum_parse(&BalloonFrontendPolicy_lookup, str, -1, NULL);
    frontend_object_update(bfo, &s, errp);
}

static bool frontend_object_get_auto(Object *obj, Error **errp)
{
    return BALLOON_FRONTEND_OBJECT(obj)->settings.auto_enabled;
}

static void frontend_object_set_auto(Object *obj, bool value, Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);
    BalloonFrontendSettings s = bfo->settings;

    s.auto_enabled = value;
    frontend_object_update(bfo, &s, errp);
}

/*
 * The size and integer settings (floor, prefer-node, auto-*): @opaque is
 * the field's offset in BalloonFrontendSettings.
 */
static void frontend_object_get_size(Object *obj, Visitor *v,
                                     const char *name, void *opaque,
                                     Error **errp)
{
    BalloonFrontendSettings *s = &BALLOON_FRONTEND_OBJECT(obj)->settings;
    uint64_t value = *(int64_t *)((char *)s + (uintptr_t)opaque);

    visit_type_size(v, name, &value, errp);
}

static void frontend_object_set_size(Object *obj, Visitor *v,
                                     const char *name, void *opaque,
                                     Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);
    BalloonFrontendSettings s = bfo->settings;
    uint64_t value;

    if (!visit_type_size(v, name, &value, errp)) {
        return;
    }
    *(int64_t *)((char *)&s + (uintptr_t)opaque) = MIN(value, INT64_MAX);
    frontend_object_update(bfo, &s, errp);
}

static void frontend_object_get_int(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    BalloonFrontendSettings *s = &BALLOON_FRONTEND_OBJECT(obj)->settings;
    uint32_t value = *(int32_t *)((char *)s + (uintptr_t)opaque);

    visit_type_uint32(v, name, &value, errp);
}

static void frontend_object_set_int(Object *obj, Visitor *v,
                                    const char *name, void *opaque,
                                    Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);
    BalloonFrontendSettings s = bfo->settings;
    int64_t value;

    /* Any integer: out of range, the error says the range. */
    if (!visit_type_int(v, name, &value, errp)) {
        return;
    }
    *(int32_t *)((char *)&s + (uintptr_t)opaque) =
        MIN(MAX(value, -1), (int64_t)INT32_MAX);
    frontend_object_update(bfo, &s, errp);
}

static void frontend_object_complete(UserCreatable *uc, Error **errp)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(uc);

    if (frontend_object_instance) {
        error_setg(errp, "Only one '%s' object is supported",
                   TYPE_BALLOON_FRONTEND_OBJECT);
        return;
    }
    /* Checked as a whole: object-add at run time sets them all first. */
    if (!frontend_settings_check(&bfo->settings, errp)) {
        return;
    }
    frontend_object_instance = bfo;
    frontend_settings_apply(&bfo->settings);
}

static void frontend_object_init(Object *obj)
{
    frontend_settings_default(&BALLOON_FRONTEND_OBJECT(obj)->settings);
}

static void frontend_object_finalize(Object *obj)
{
    if (frontend_object_instance == BALLOON_FRONTEND_OBJECT(obj)) {
        BalloonFrontendSettings s;

        frontend_object_instance = NULL;
        frontend_settings_default(&s);
        frontend_settings_apply(&s);
    }
}

static void frontend_object_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);

    ucc->complete = frontend_object_complete;
    object_class_property_add(oc, FRONTEND_OBJECT_FLOOR_PROP, "size",
                              frontend_object_get_size,
                              frontend_object_set_size, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               floor));
    object_class_property_set_description(oc, FRONTEND_OBJECT_FLOOR_PROP,
        "Smallest guest size a resize request may ask for, in bytes");
    object_class_property_add(oc, FRONTEND_OBJECT_STALL_PROP, "uint32",
                              frontend_object_get_stall,
                              frontend_object_set_stall, NULL, NULL);
    object_class_property_set_description(oc, FRONTEND_OBJECT_STALL_PROP,
        "Seconds without progress before a resize is reported stalled");
    object_class_property_add(oc, FRONTEND_OBJECT_POLICY_PROP,
                              "BalloonFrontendPolicy",
                              frontend_object_get_policy,
                              frontend_object_set_policy, NULL, NULL);
    object_class_property_set_description(oc, FRONTEND_OBJECT_POLICY_PROP,
        "How memory is shared among NUMA nodes: proportional, fill, prefer");
    object_class_property_add(oc, FRONTEND_OBJECT_PREFER_PROP, "uint32",
                              frontend_object_get_int,
                              frontend_object_set_int, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               prefer_node));
    object_class_property_set_description(oc, FRONTEND_OBJECT_PREFER_PROP,
        "The node the prefer policy fills first");
    object_class_property_add_bool(oc, FRONTEND_OBJECT_AUTO_PROP,
                                   frontend_object_get_auto,
                                   frontend_object_set_auto);
    object_class_property_set_description(oc, FRONTEND_OBJECT_AUTO_PROP,
        "Resize the guest automatically to its demand plus a buffer");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_MIN_PROP, "size",
                              frontend_object_get_size,
                              frontend_object_set_size, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_minimum));
    object_class_property_set_description(oc, FRONTEND_OBJECT_AUTO_MIN_PROP,
        "Smallest size automatic sizing sets (0: the least reachable)");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_MAX_PROP, "size",
                              frontend_object_get_size,
                              frontend_object_set_size, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_maximum));
    object_class_property_set_description(oc, FRONTEND_OBJECT_AUTO_MAX_PROP,
        "Largest size automatic sizing sets (0: the most reachable)");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_CEILING_PROP, "size",
                              frontend_object_get_size,
                              frontend_object_set_size, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_ceiling));
    object_class_property_set_description(oc,
        FRONTEND_OBJECT_AUTO_CEILING_PROP,
        "A host's limit on automatic sizing, at least auto-minimum (0: none)");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_NODE_MAX_PROP, "size",
                              frontend_object_get_size,
                              frontend_object_set_size, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_node_maximum));
    object_class_property_set_description(oc,
        FRONTEND_OBJECT_AUTO_NODE_MAX_PROP,
        "Largest size automatic sizing grows a NUMA node to (0: none)");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_BUFFER_PROP, "uint32",
                              frontend_object_get_int,
                              frontend_object_set_int, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_buffer));
    object_class_property_set_description(oc,
        FRONTEND_OBJECT_AUTO_BUFFER_PROP,
        "Free memory automatic sizing keeps, in percent of the demand");
    object_class_property_add(oc, FRONTEND_OBJECT_AUTO_WEIGHT_PROP, "uint32",
                              frontend_object_get_int,
                              frontend_object_set_int, NULL,
                              (void *)offsetof(BalloonFrontendSettings,
                                               auto_weight));
    object_class_property_set_description(oc,
        FRONTEND_OBJECT_AUTO_WEIGHT_PROP,
        "The VM's memory weight for a host's arbitration (1-10000)");
}

static const TypeInfo frontend_object_info = {
    .name = TYPE_BALLOON_FRONTEND_OBJECT,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(BalloonFrontendObject),
    .instance_init = frontend_object_init,
    .instance_finalize = frontend_object_finalize,
    .class_init = frontend_object_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_USER_CREATABLE },
        { }
    },
};

/*
 * The machine is built: the settings given on the command line are
 * checked against it, and a bad one stops QEMU as any bad option does.
 * A manual request: someone else sizes the guest now, auto goes off.
 */
static void frontend_object_event(Notifier *n, void *data)
{
    BalloonFrontendEvent *ev = data;
    BalloonFrontendObject *bfo = frontend_object_instance;
    BalloonFrontendSettings s;
    Error *err = NULL;

    if (!bfo) {
        return;
    }
    switch (ev->type) {
    case BALLOON_FRONTEND_EVENT_MACHINE_READY:
        if (!frontend_settings_check(&bfo->settings, &err)) {
            error_prepend(&err, "balloon-frontend: ");
            error_report_err(err);
            exit(1);
        }
        break;
    case BALLOON_FRONTEND_EVENT_MANUAL_REQUEST:
        if (!bfo->settings.auto_enabled) {
            break;
        }
        trace_frontend_object_auto_off(ev->param);
        s = bfo->settings;
        s.auto_enabled = false;
        frontend_object_update(bfo, &s, &err);
        if (err) {
            warn_report_err(err);
        }
        break;
    default:
        break;
    }
}

static Notifier frontend_object_listener = {
    .notify = frontend_object_event,
};

static void frontend_object_register_types(void)
{
    type_register_static(&frontend_object_info);
    balloon_frontend_add_listener(&frontend_object_listener);
}

type_init(frontend_object_register_types)
