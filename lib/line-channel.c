/*
 * Line-oriented client over a Unix socket, with deadlines
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "line-channel.h"

/* QMP replies such as query-qmp-schema are large; guest lines are not. */
#define UBF_LINE_CHANNEL_MAX_LINE (64 * 1024 * 1024)

struct UbfLineChannel {
    GSocket *socket;
    GString *buf;
};

G_DEFINE_QUARK(ubf-channel-error-quark, ubf_channel_error)

UbfLineChannel *ubf_line_channel_connect(const char *path, guint timeout_ms,
                                         GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) last = NULL;

    for (;;) {
        g_autoptr(GSocket) sock = NULL;
        UbfLineChannel *ch;

        g_clear_error(&last);
        sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                            G_SOCKET_PROTOCOL_DEFAULT, &last);
        if (sock && g_socket_connect(sock, addr, NULL, &last)) {
            g_socket_set_blocking(sock, FALSE);
            ch = g_new0(UbfLineChannel, 1);
            ch->socket = g_steal_pointer(&sock);
            ch->buf = g_string_new(NULL);
            return ch;
        }
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_CONNECT,
                        "cannot connect to %s within %u ms: %s", path,
                        timeout_ms, last ? last->message : "unknown error");
            return NULL;
        }
        g_usleep(20 * 1000);
    }
}

void ubf_line_channel_free(UbfLineChannel *ch)
{
    if (!ch) {
        return;
    }
    g_socket_close(ch->socket, NULL);
    g_object_unref(ch->socket);
    g_string_free(ch->buf, TRUE);
    g_free(ch);
}

gboolean ubf_line_channel_write_line(UbfLineChannel *ch, const char *line,
                                     GError **error)
{
    g_autofree char *msg = g_strconcat(line, "\n", NULL);
    gsize len = strlen(msg), done = 0;

    while (done < len) {
        g_autoptr(GError) err = NULL;
        gssize n = g_socket_send(ch->socket, msg + done, len - done, NULL,
                                 &err);

        if (n < 0) {
            if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
                g_socket_condition_wait(ch->socket, G_IO_OUT, NULL, NULL);
                continue;
            }
            g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_IO,
                        "send: %s", err->message);
            return FALSE;
        }
        done += n;
    }
    return TRUE;
}

char *ubf_line_channel_read_line(UbfLineChannel *ch, gint64 deadline_us,
                                 GError **error)
{
    for (;;) {
        char chunk[65536];
        const char *nl = memchr(ch->buf->str, '\n', ch->buf->len);
        g_autoptr(GError) err = NULL;
        gint64 now;
        gssize n;

        if (nl) {
            gsize len = nl - ch->buf->str;
            char *line = g_strndup(ch->buf->str, len);

            g_string_erase(ch->buf, 0, len + 1);
            if (len && line[len - 1] == '\r') {
                line[len - 1] = '\0';
            }
            return line;
        }
        if (ch->buf->len > UBF_LINE_CHANNEL_MAX_LINE) {
            g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_OVERFLOW,
                        "line longer than %d bytes", UBF_LINE_CHANNEL_MAX_LINE);
            return NULL;
        }

        n = g_socket_receive(ch->socket, chunk, sizeof(chunk), NULL, &err);
        if (n > 0) {
            g_string_append_len(ch->buf, chunk, n);
            continue;
        }
        if (n == 0) {
            g_set_error_literal(error, UBF_CHANNEL_ERROR,
                                UBF_CHANNEL_ERROR_CLOSED,
                                "connection closed by peer");
            return NULL;
        }
        if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
            g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_IO,
                        "receive: %s", err->message);
            return NULL;
        }
        g_clear_error(&err);

        now = g_get_monotonic_time();
        if (now >= deadline_us) {
            g_set_error_literal(error, UBF_CHANNEL_ERROR,
                                UBF_CHANNEL_ERROR_TIMEOUT,
                                "timed out waiting for a reply");
            return NULL;
        }
        if (!g_socket_condition_timed_wait(ch->socket, G_IO_IN,
                                           deadline_us - now, NULL, &err) &&
            !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
            g_set_error(error, UBF_CHANNEL_ERROR, UBF_CHANNEL_ERROR_IO,
                        "wait: %s", err->message);
            return NULL;
        }
    }
}

void ubf_line_channel_drain(UbfLineChannel *ch)
{
    char chunk[4096];

    while (g_socket_receive(ch->socket, chunk, sizeof(chunk), NULL, NULL) > 0) {
        /* discard */
    }
    g_string_truncate(ch->buf, 0);
}
