/*
 * A VM to command: QMP socket or libvirt domain (see vm-target.h)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdlib.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "vm-target.h"

void ubf_vm_target_init_qmp(UbfVmTarget *t, const char *name,
                            const char *path)
{
    memset(t, 0, sizeof(*t));
    t->path = g_strdup(path);
    t->name = name ? g_strdup(name) : g_path_get_basename(path);
}

gboolean ubf_vm_target_init_domain(UbfVmTarget *t, virDomainPtr dom,
                                   GError **error)
{
    memset(t, 0, sizeof(*t));
    t->dom = dom;
    t->name = g_strdup(virDomainGetName(dom));
    if (virDomainGetUUID(dom, t->uuid) < 0) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "%s: cannot read its UUID: %s", t->name,
                    virGetLastErrorMessage());
        return FALSE;
    }
    return TRUE;
}

gboolean ubf_vm_target_connect(UbfVmTarget *t, GError **error)
{
    if (t->dom || t->qmp) {
        return TRUE;
    }
    t->qmp = ubf_qmp_connect(t->path, t->connect_timeout_ms ?:
                             UBF_VM_TARGET_CONNECT_TIMEOUT_MS, error);
    if (!t->qmp) {
        return FALSE;
    }
    ubf_qmp_set_keep_events(t->qmp, FALSE);
    return TRUE;
}

/* libvirt's monitor pass-through: one QMP command, its JSON reply. */
static JsonNode *ubf_vm_target_execute_libvirt(UbfVmTarget *t,
                                               const char *command,
                                               JsonObject *args,
                                               GError **error)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(JsonNode) req = NULL;
    g_autofree char *text = NULL;
    char *reply = NULL;
    JsonObject *obj;

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "execute");
    json_builder_add_string_value(jb, command);
    if (args) {
        json_builder_set_member_name(jb, "arguments");
        json_builder_add_value(jb, json_node_init_object(json_node_alloc(),
                                                         args));
    }
    json_builder_end_object(jb);
    req = json_builder_get_root(jb);
    json_generator_set_root(gen, req);
    text = json_generator_to_data(gen, NULL);

    if (virDomainQemuMonitorCommand(t->dom, text, &reply, 0) < 0) {
        /*
         * libvirt answered: the domain or the operation is refused (not a
         * running QEMU domain, the monitor pass-through not allowed...);
         * else the connection is what failed.
         */
        int code = virGetLastErrorCode();
        gboolean refused = code == VIR_ERR_NO_SUPPORT ||
                           code == VIR_ERR_OPERATION_INVALID ||
                           code == VIR_ERR_OPERATION_UNSUPPORTED ||
                           code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
                           code == VIR_ERR_OPERATION_DENIED ||
                           code == VIR_ERR_ACCESS_DENIED ||
                           code == VIR_ERR_NO_DOMAIN ||
                           code == VIR_ERR_INVALID_ARG;

        g_set_error(error, UBF_QMP_ERROR, refused ? UBF_QMP_ERROR_COMMAND :
                    UBF_QMP_ERROR_PROTOCOL, "%s", virGetLastErrorMessage());
        return NULL;
    }
    if (!json_parser_load_from_data(parser, reply, -1, error)) {
        free(reply);
        return NULL;
    }
    free(reply);
    obj = json_node_get_object(json_parser_get_root(parser));
    if (json_object_has_member(obj, "error")) {
        JsonObject *e = json_object_get_object_member(obj, "error");

        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND, "%s: %s",
                    json_object_get_string_member(e, "class"),
                    json_object_get_string_member(e, "desc"));
        return NULL;
    }
    return json_node_copy(json_object_get_member(obj, "return"));
}

JsonNode *ubf_vm_target_execute(UbfVmTarget *t, const char *command,
                                JsonObject *args, GError **error)
{
    if (t->dom) {
        return ubf_vm_target_execute_libvirt(t, command, args, error);
    }
    g_autoptr(GError) err = NULL;
    JsonNode *ret;

    if (!ubf_vm_target_connect(t, error)) {
        return NULL;
    }
    ret = ubf_qmp_execute(t->qmp, command, args,
                          t->timeout_ms ?: UBF_VM_TARGET_TIMEOUT_MS, &err);
    if (!ret && !g_error_matches(err, UBF_QMP_ERROR,
                                 UBF_QMP_ERROR_COMMAND)) {
        /* the connection is gone or stuck: a new one next time */
        g_clear_pointer(&t->qmp, ubf_qmp_free);
    }
    if (!ret) {
        g_propagate_error(error, g_steal_pointer(&err));
    }
    return ret;
}

int ubf_vm_target_reconnect(UbfVmTarget *t, const char *uri)
{
    virConnectPtr conn = virConnectOpen(uri);
    virDomainPtr dom;

    if (!conn) {
        return 0;
    }
    dom = virDomainLookupByUUID(conn, t->uuid);
    if (!dom) {
        virConnectClose(conn);
        return 0;
    }
    if (virDomainIsActive(dom) == 0) {
        virDomainFree(dom);
        virConnectClose(conn);
        return -1;
    }
    virDomainFree(t->dom);
    t->dom = dom;
    /* the domain holds a reference: the connection lives as long */
    virConnectClose(conn);
    return 1;
}

void ubf_vm_target_clear(UbfVmTarget *t)
{
    g_clear_pointer(&t->qmp, ubf_qmp_free);
    if (t->dom) {
        virDomainFree(t->dom);
        t->dom = NULL;
    }
    g_clear_pointer(&t->name, g_free);
    g_clear_pointer(&t->path, g_free);
}
