/*
 * QMP client on json-glib and GIO
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "line-channel.h"
#include "qmp-client.h"

struct UbfQmp {
    UbfLineChannel *ch;
    GQueue events;          /* JsonObject *, oldest first */
    char *version;
    char *last_error_class;
    guint64 next_id;
    gboolean drop_events;   /* events are not kept (see the header) */
};

G_DEFINE_QUARK(ubf-qmp-error-quark, ubf_qmp_error)

static gint64 ubf_qmp_deadline(guint timeout_ms)
{
    return g_get_monotonic_time() + (gint64)timeout_ms * 1000;
}

/* Read one message; NULL with @error set on timeout or a bad message. */
static JsonObject *ubf_qmp_read_message(UbfQmp *qmp, gint64 deadline,
                                        GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *line = ubf_line_channel_read_line(qmp->ch, deadline,
                                                       &err);
    JsonNode *root;

    if (!line) {
        if (g_error_matches(err, UBF_CHANNEL_ERROR,
                            UBF_CHANNEL_ERROR_TIMEOUT)) {
            g_set_error_literal(error, UBF_QMP_ERROR, UBF_QMP_ERROR_TIMEOUT,
                                err->message);
        } else {
            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                        "QMP connection: %s", err->message);
        }
        return NULL;
    }
    if (!json_parser_load_from_data(parser, line, -1, &err)) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "QMP sent invalid JSON: %s", err->message);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error_literal(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                            "QMP sent something other than an object");
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

UbfQmp *ubf_qmp_connect(const char *path, guint timeout_ms, GError **error)
{
    gint64 deadline = ubf_qmp_deadline(timeout_ms);
    g_autoptr(UbfQmp) qmp = g_new0(UbfQmp, 1);
    g_autoptr(JsonObject) greeting = NULL;
    g_autoptr(JsonNode) ret = NULL;
    JsonObject *qmp_member, *version;

    g_queue_init(&qmp->events);
    qmp->last_error_class = g_strdup("");
    qmp->ch = ubf_line_channel_connect(path, timeout_ms, error);
    if (!qmp->ch) {
        return NULL;
    }
    greeting = ubf_qmp_read_message(qmp, deadline, error);
    if (!greeting) {
        return NULL;
    }
    qmp_member = json_object_get_object_member(greeting, "QMP");
    if (!qmp_member) {
        g_set_error_literal(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                            "no QMP greeting");
        return NULL;
    }
    version = json_object_get_object_member(qmp_member, "version");
    if (version && json_object_has_member(version, "qemu")) {
        JsonObject *q = json_object_get_object_member(version, "qemu");

        qmp->version = g_strdup_printf(
            "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
            json_object_get_int_member(q, "major"),
            json_object_get_int_member(q, "minor"),
            json_object_get_int_member(q, "micro"));
    }
    ret = ubf_qmp_execute(qmp, "qmp_capabilities", NULL, timeout_ms, error);
    if (!ret) {
        return NULL;
    }
    return g_steal_pointer(&qmp);
}

void ubf_qmp_free(UbfQmp *qmp)
{
    if (!qmp) {
        return;
    }
    ubf_line_channel_free(qmp->ch);
    g_queue_clear_full(&qmp->events, (GDestroyNotify)json_object_unref);
    g_free(qmp->version);
    g_free(qmp->last_error_class);
    g_free(qmp);
}

void ubf_qmp_set_keep_events(UbfQmp *qmp, gboolean keep)
{
    qmp->drop_events = !keep;
    if (!keep) {
        g_queue_clear_full(&qmp->events, (GDestroyNotify)json_object_unref);
    }
}

/* An event arrived: keep it, or drop it. */
static void ubf_qmp_event(UbfQmp *qmp, JsonObject *msg)
{
    if (qmp->drop_events) {
        json_object_unref(msg);
    } else {
        g_queue_push_tail(&qmp->events, msg);
    }
}

const char *ubf_qmp_version(UbfQmp *qmp)
{
    return qmp->version ? qmp->version : "unknown";
}

const char *ubf_qmp_last_error_class(UbfQmp *qmp)
{
    return qmp->last_error_class;
}

JsonNode *ubf_qmp_execute(UbfQmp *qmp, const char *command, JsonObject *args,
                          guint timeout_ms, GError **error)
{
    gint64 deadline = ubf_qmp_deadline(timeout_ms);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) req = NULL;
    g_autofree char *id = g_strdup_printf("ubf-%" G_GUINT64_FORMAT,
                                          qmp->next_id++);
    g_autofree char *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, command);
    if (args) {
        json_builder_set_member_name(b, "arguments");
        json_builder_add_value(b, json_node_init_object(json_node_alloc(),
                                                        args));
    }
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_end_object(b);
    req = json_builder_get_root(b);
    json_generator_set_root(gen, req);
    text = json_generator_to_data(gen, NULL);

    if (!ubf_line_channel_write_line(qmp->ch, text, error)) {
        return NULL;
    }

    for (;;) {
        g_autoptr(JsonObject) msg = ubf_qmp_read_message(qmp, deadline, error);
        const char *msg_id;

        if (!msg) {
            if (error && *error && (*error)->code == UBF_QMP_ERROR_TIMEOUT) {
                g_prefix_error(error, "%s: ", command);
            }
            return NULL;
        }
        if (json_object_has_member(msg, "event")) {
            ubf_qmp_event(qmp, g_steal_pointer(&msg));
            continue;
        }
        msg_id = json_object_has_member(msg, "id") ?
                 json_object_get_string_member(msg, "id") : NULL;
        if (g_strcmp0(msg_id, id) != 0) {
            continue;       /* a late reply to a command that timed out */
        }
        if (json_object_has_member(msg, "error")) {
            JsonObject *e = json_object_get_object_member(msg, "error");
            const char *cls = json_object_get_string_member_with_default(
                e, "class", "GenericError");

            g_free(qmp->last_error_class);
            qmp->last_error_class = g_strdup(cls);
            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_COMMAND, "%s: %s",
                        cls, json_object_get_string_member_with_default(
                            e, "desc", "(no description)"));
            return NULL;
        }
        if (!json_object_has_member(msg, "return")) {
            g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                        "%s: reply has neither return nor error", command);
            return NULL;
        }
        return json_node_copy(json_object_get_member(msg, "return"));
    }
}

JsonNode *ubf_qmp_execute_json(UbfQmp *qmp, const char *command,
                               const char *args_json, guint timeout_ms,
                               GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;

    if (!args_json) {
        return ubf_qmp_execute(qmp, command, NULL, timeout_ms, error);
    }
    if (!json_parser_load_from_data(parser, args_json, -1, error)) {
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_PROTOCOL,
                    "%s: arguments must be a JSON object", command);
        return NULL;
    }
    return ubf_qmp_execute(qmp, command, json_node_get_object(root),
                           timeout_ms, error);
}

static JsonObject *ubf_qmp_find_event(UbfQmp *qmp, const char *name,
                                      UbfQmpEventFilter filter,
                                      gpointer opaque)
{
    GList *l;

    for (l = qmp->events.head; l; l = l->next) {
        JsonObject *ev = l->data;

        if (g_strcmp0(json_object_get_string_member(ev, "event"), name) == 0 &&
            (!filter || filter(ev, opaque))) {
            g_queue_delete_link(&qmp->events, l);
            return ev;
        }
    }
    return NULL;
}

JsonObject *ubf_qmp_wait_event(UbfQmp *qmp, const char *name,
                               UbfQmpEventFilter filter, gpointer opaque,
                               guint timeout_ms, GError **error)
{
    gint64 deadline = ubf_qmp_deadline(timeout_ms);

    for (;;) {
        JsonObject *ev = ubf_qmp_find_event(qmp, name, filter, opaque);
        g_autoptr(GError) err = NULL;
        JsonObject *msg;

        if (ev) {
            return ev;
        }
        msg = ubf_qmp_read_message(qmp, deadline, &err);
        if (!msg) {
            if (err->code == UBF_QMP_ERROR_TIMEOUT) {
                g_set_error(error, UBF_QMP_ERROR, UBF_QMP_ERROR_TIMEOUT,
                            "no %s event within %u ms", name, timeout_ms);
            } else {
                g_propagate_error(error, g_steal_pointer(&err));
            }
            return NULL;
        }
        if (json_object_has_member(msg, "event")) {
            ubf_qmp_event(qmp, msg);
        } else {
            json_object_unref(msg);     /* a reply nobody waits for */
        }
    }
}

GPtrArray *ubf_qmp_take_events(UbfQmp *qmp, const char *name)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)json_object_unref);
    GList *l, *next;

    /* Pick up what is already on the socket, without waiting. */
    for (;;) {
        JsonObject *msg = ubf_qmp_read_message(qmp, 0, NULL);

        if (!msg) {
            break;
        }
        if (json_object_has_member(msg, "event")) {
            ubf_qmp_event(qmp, msg);
        } else {
            json_object_unref(msg);
        }
    }
    for (l = qmp->events.head; l; l = next) {
        JsonObject *ev = l->data;

        next = l->next;
        if (!name ||
            g_strcmp0(json_object_get_string_member(ev, "event"), name) == 0) {
            g_ptr_array_add(out, ev);
            g_queue_delete_link(&qmp->events, l);
        }
    }
    return out;
}
