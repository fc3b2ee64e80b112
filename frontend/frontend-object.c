/*
 * Unified balloon frontend: per-VM settings as a user-creatable object
 *
 *   -object balloon-frontend,id=bf0,floor=512M,stall-timeout=30,policy=fill
 *
 * At most one such object exists; without it the defaults apply (no
 * floor beyond one page, 30 s stall timeout).  Its properties can also be
 * changed at run time with qom-set on /objects/<id>.
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
#include "balloon-frontend.h"
#include "resize-engine.h"
#include "trace.h"

#define TYPE_BALLOON_FRONTEND_OBJECT "balloon-frontend"
OBJECT_DECLARE_SIMPLE_TYPE(BalloonFrontendObject, BALLOON_FRONTEND_OBJECT)

#define FRONTEND_OBJECT_FLOOR_PROP "floor"
#define FRONTEND_OBJECT_STALL_PROP "stall-timeout"
#define FRONTEND_OBJECT_POLICY_PROP "policy"
#define FRONTEND_OBJECT_PREFER_PROP "prefer-node"
#define FRONTEND_OBJECT_STALL_MIN_S 1
#define FRONTEND_OBJECT_STALL_MAX_S 3600

struct BalloonFrontendObject {
    Object parent_obj;

    uint64_t floor;             /* bytes */
    uint32_t stall_s;           /* seconds */
    int policy;                 /* BalloonFrontendPolicy */
    uint32_t prefer_node;
};

/* The one instance, if any: only its settings are in force. */
static BalloonFrontendObject *frontend_object_instance;

static void frontend_object_apply(BalloonFrontendObject *bfo)
{
    if (frontend_object_instance == bfo) {
        balloon_frontend_set_floor(bfo->floor);
        balloon_frontend_set_stall_ms((int64_t)bfo->stall_s * 1000);
        balloon_frontend_set_policy(bfo->policy, bfo->prefer_node);
    }
}

static void frontend_object_get_floor(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    visit_type_size(v, name, &BALLOON_FRONTEND_OBJECT(obj)->floor, errp);
}

static void frontend_object_set_floor(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    uint64_t value;

    if (!visit_type_size(v, name, &value, errp)) {
        return;
    }
    if (value > INT64_MAX) {
        error_setg(errp, "Property '%s' expects a size from 0 to %" PRId64
                   " bytes", name, INT64_MAX);
        return;
    }
    BALLOON_FRONTEND_OBJECT(obj)->floor = value;
    frontend_object_apply(BALLOON_FRONTEND_OBJECT(obj));
}

static void frontend_object_get_stall(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    visit_type_uint32(v, name, &BALLOON_FRONTEND_OBJECT(obj)->stall_s, errp);
}

static void frontend_object_set_stall(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    if (value < FRONTEND_OBJECT_STALL_MIN_S ||
        value > FRONTEND_OBJECT_STALL_MAX_S) {
        error_setg(errp, "Property '%s' expects %d to %d (seconds)", name,
                   FRONTEND_OBJECT_STALL_MIN_S, FRONTEND_OBJECT_STALL_MAX_S);
        return;
    }
    BALLOON_FRONTEND_OBJECT(obj)->stall_s = value;
    frontend_object_apply(BALLOON_FRONTEND_OBJECT(obj));
}

static int frontend_object_get_policy(Object *obj, Error **errp)
{
    return BALLOON_FRONTEND_OBJECT(obj)->policy;
}

static void frontend_object_set_policy(Object *obj, int value, Error **errp)
{
    BALLOON_FRONTEND_OBJECT(obj)->policy = value;
    frontend_object_apply(BALLOON_FRONTEND_OBJECT(obj));
}

static void frontend_object_get_prefer(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    visit_type_uint32(v, name, &BALLOON_FRONTEND_OBJECT(obj)->prefer_node,
                      errp);
}

static void frontend_object_set_prefer(Object *obj, Visitor *v,
                                       const char *name, void *opaque,
                                       Error **errp)
{
    uint32_t value;

    if (!visit_type_uint32(v, name, &value, errp)) {
        return;
    }
    if (value >= RESIZE_ENGINE_MAX_NODES) {
        error_setg(errp, "Property '%s' expects a node from 0 to %d", name,
                   RESIZE_ENGINE_MAX_NODES - 1);
        return;
    }
    BALLOON_FRONTEND_OBJECT(obj)->prefer_node = value;
    frontend_object_apply(BALLOON_FRONTEND_OBJECT(obj));
}

static void frontend_object_complete(UserCreatable *uc, Error **errp)
{
    if (frontend_object_instance) {
        error_setg(errp, "Only one '%s' object is supported",
                   TYPE_BALLOON_FRONTEND_OBJECT);
        return;
    }
    frontend_object_instance = BALLOON_FRONTEND_OBJECT(uc);
    frontend_object_apply(frontend_object_instance);
}

static void frontend_object_init(Object *obj)
{
    BalloonFrontendObject *bfo = BALLOON_FRONTEND_OBJECT(obj);

    bfo->floor = 0;
    bfo->stall_s = BALLOON_FRONTEND_DEFAULT_STALL_MS / 1000;
}

static void frontend_object_finalize(Object *obj)
{
    if (frontend_object_instance == BALLOON_FRONTEND_OBJECT(obj)) {
        frontend_object_instance = NULL;
        balloon_frontend_set_floor(0);
        balloon_frontend_set_stall_ms(BALLOON_FRONTEND_DEFAULT_STALL_MS);
        balloon_frontend_set_policy(BALLOON_FRONTEND_POLICY_PROPORTIONAL, 0);
    }
}

static void frontend_object_class_init(ObjectClass *oc, void *data)
{
    UserCreatableClass *ucc = USER_CREATABLE_CLASS(oc);

    ucc->complete = frontend_object_complete;
    object_class_property_add(oc, FRONTEND_OBJECT_FLOOR_PROP, "size",
                              frontend_object_get_floor,
                              frontend_object_set_floor, NULL, NULL);
    object_class_property_set_description(oc, FRONTEND_OBJECT_FLOOR_PROP,
        "Smallest guest size a resize request may ask for, in bytes");
    object_class_property_add(oc, FRONTEND_OBJECT_STALL_PROP, "uint32",
                              frontend_object_get_stall,
                              frontend_object_set_stall, NULL, NULL);
    object_class_property_set_description(oc, FRONTEND_OBJECT_STALL_PROP,
        "Seconds without progress before a resize is reported stalled");
    object_class_property_add_enum(oc, FRONTEND_OBJECT_POLICY_PROP,
                                   "BalloonFrontendPolicy",
                                   &BalloonFrontendPolicy_lookup,
                                   frontend_object_get_policy,
                                   frontend_object_set_policy);
    object_class_property_set_description(oc, FRONTEND_OBJECT_POLICY_PROP,
        "How memory is shared among NUMA nodes: proportional, fill, prefer");
    object_class_property_add(oc, FRONTEND_OBJECT_PREFER_PROP, "uint32",
                              frontend_object_get_prefer,
                              frontend_object_set_prefer, NULL, NULL);
    object_class_property_set_description(oc, FRONTEND_OBJECT_PREFER_PROP,
        "The node the prefer policy fills first");
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

static void frontend_object_register_types(void)
{
    type_register_static(&frontend_object_info);
}

type_init(frontend_object_register_types)
