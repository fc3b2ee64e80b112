/*
 * Client of the test guest's agent (tests/guest/agent.c)
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <string.h>

#include "guest-agent.h"
#include "line-channel.h"

#define UBF_AGENT_PING_INTERVAL_MS 500
/* how often ubf_agent_wait_memtotal() asks */
#define UBF_AGENT_POLL_MS 200

struct UbfAgent {
    UbfLineChannel *ch;
    guint sync;
};

G_DEFINE_QUARK(ubf-agent-error-quark, ubf_agent_error)

static JsonObject *ubf_agent_parse(const char *line, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;

    if (!json_parser_load_from_data(parser, line, -1, NULL) ||
        !(root = json_parser_get_root(parser)) ||
        !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, UBF_AGENT_ERROR, UBF_AGENT_ERROR_PROTOCOL,
                    "agent sent something other than a JSON object: %.80s",
                    line);
        return NULL;
    }
    return json_object_ref(json_node_get_object(root));
}

/*
 * Ping with a fresh token until the matching pong comes back.  Earlier
 * pings may still be answered late; their pongs carry older tokens and
 * are skipped, so the next command's answer is its own.
 */
static gboolean ubf_agent_sync(UbfAgent *agent, guint timeout_ms,
                               GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (g_get_monotonic_time() < deadline) {
        g_autofree char *token = g_strdup_printf("s%u", ++agent->sync);
        g_autofree char *cmd = g_strconcat("ping ", token, NULL);
        gint64 round = MIN(deadline, g_get_monotonic_time() +
                           UBF_AGENT_PING_INTERVAL_MS * 1000);

        if (!ubf_line_channel_write_line(agent->ch, cmd, error)) {
            return FALSE;
        }
        for (;;) {
            g_autoptr(GError) err = NULL;
            g_autofree char *line = ubf_line_channel_read_line(agent->ch,
                                                               round, &err);
            g_autoptr(JsonObject) obj = NULL;

            if (!line) {
                if (!g_error_matches(err, UBF_CHANNEL_ERROR,
                                     UBF_CHANNEL_ERROR_TIMEOUT)) {
                    g_propagate_error(error, g_steal_pointer(&err));
                    return FALSE;
                }
                break;      /* not up yet: ping again */
            }
            obj = ubf_agent_parse(line, NULL);
            if (obj && g_strcmp0(json_object_get_string_member_with_default(
                                     obj, "pong", ""), token) == 0) {
                return TRUE;
            }
        }
    }
    g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_TIMEOUT,
                "guest agent did not answer within %u ms", timeout_ms);
    return FALSE;
}

UbfAgent *ubf_agent_connect(const char *path, guint timeout_ms,
                            GError **error)
{
    g_autoptr(UbfAgent) agent = g_new0(UbfAgent, 1);

    agent->ch = ubf_line_channel_connect(path, timeout_ms, error);
    if (!agent->ch || !ubf_agent_sync(agent, timeout_ms, error)) {
        return NULL;
    }
    return g_steal_pointer(&agent);
}

gboolean ubf_agent_resync(UbfAgent *agent, guint timeout_ms, GError **error)
{
    ubf_line_channel_drain(agent->ch);
    return ubf_agent_sync(agent, timeout_ms, error);
}

void ubf_agent_free(UbfAgent *agent)
{
    if (!agent) {
        return;
    }
    ubf_line_channel_free(agent->ch);
    g_free(agent);
}

JsonObject *ubf_agent_command(UbfAgent *agent, const char *command,
                              guint timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autofree char *line = NULL;
    JsonObject *obj;

    if (!ubf_line_channel_write_line(agent->ch, command, error)) {
        return NULL;
    }
    line = ubf_line_channel_read_line(agent->ch, deadline, error);
    if (!line) {
        g_prefix_error(error, "guest agent '%s': ", command);
        return NULL;
    }
    obj = ubf_agent_parse(line, error);
    if (obj && json_object_has_member(obj, "error")) {
        g_set_error(error, UBF_AGENT_ERROR, UBF_AGENT_ERROR_FAILED,
                    "guest agent '%s': %s", command,
                    json_object_get_string_member(obj, "error"));
        json_object_unref(obj);
        return NULL;
    }
    return obj;
}

gboolean ubf_agent_meminfo(UbfAgent *agent, UbfGuestMem *mem, GError **error)
{
    g_autoptr(JsonObject) obj = ubf_agent_command(agent, "meminfo", 10000,
                                                  error);
    JsonArray *nodes;
    guint i;

    if (!obj) {
        return FALSE;
    }
    memset(mem, 0, sizeof(*mem));
    mem->memtotal_kib = json_object_get_int_member(obj, "memtotal_kib");
    mem->memfree_kib = json_object_get_int_member(obj, "memfree_kib");
    nodes = json_object_get_array_member(obj, "nodes");
    if (!nodes || mem->memtotal_kib <= 0) {
        g_set_error_literal(error, UBF_AGENT_ERROR, UBF_AGENT_ERROR_PROTOCOL,
                            "guest agent: malformed meminfo answer");
        return FALSE;
    }
    mem->nnodes = MIN(json_array_get_length(nodes), UBF_AGENT_MAX_NODES);
    for (i = 0; i < mem->nnodes; i++) {
        JsonObject *n = json_array_get_object_element(nodes, i);

        mem->nodes[i].node = json_object_get_int_member(n, "node");
        mem->nodes[i].memtotal_kib = json_object_get_int_member(n,
                                                                "memtotal_kib");
        mem->nodes[i].memfree_kib = json_object_get_int_member(n,
                                                               "memfree_kib");
    }
    return TRUE;
}

gboolean ubf_agent_wait_memtotal(UbfAgent *agent, gint64 want_kib,
                                 gint64 tolerance_kib, guint timeout_ms,
                                 UbfGuestMem *mem, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        if (!ubf_agent_meminfo(agent, mem, error)) {
            return FALSE;
        }
        if (ABS(mem->memtotal_kib - want_kib) <= tolerance_kib) {
            return TRUE;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, UBF_AGENT_ERROR, UBF_AGENT_ERROR_FAILED,
                        "guest MemTotal is %" G_GINT64_FORMAT " KiB, not %"
                        G_GINT64_FORMAT " KiB (+/- %" G_GINT64_FORMAT
                        "), after %u ms", mem->memtotal_kib, want_kib,
                        tolerance_kib, timeout_ms);
            return FALSE;
        }
        g_usleep(UBF_AGENT_POLL_MS * 1000);
    }
}
