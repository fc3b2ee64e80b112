/*
 * Line-oriented client over a Unix socket, with deadlines
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_LINE_CHANNEL_H
#define UBF_LINE_CHANNEL_H

#include <glib.h>

G_BEGIN_DECLS

#define UBF_CHANNEL_ERROR (ubf_channel_error_quark())
GQuark ubf_channel_error_quark(void);

typedef enum {
    UBF_CHANNEL_ERROR_CONNECT,  /* could not connect in time */
    UBF_CHANNEL_ERROR_TIMEOUT,  /* no complete line before the deadline */
    UBF_CHANNEL_ERROR_CLOSED,   /* the peer closed the connection */
    UBF_CHANNEL_ERROR_IO,       /* any other socket error */
    UBF_CHANNEL_ERROR_OVERFLOW, /* a line longer than the channel allows */
} UbfChannelError;

typedef struct UbfLineChannel UbfLineChannel;

/*
 * Connect to the Unix socket at @path, retrying until @timeout_ms has
 * passed (the server may not have created the socket yet).
 */
UbfLineChannel *ubf_line_channel_connect(const char *path, guint timeout_ms,
                                         GError **error);
void ubf_line_channel_free(UbfLineChannel *ch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UbfLineChannel, ubf_line_channel_free)

/* Send @line followed by a newline.  */
gboolean ubf_line_channel_write_line(UbfLineChannel *ch, const char *line,
                                     GError **error);

/*
 * Return the next line without its newline, waiting at most until the
 * monotonic time @deadline_us (g_get_monotonic_time() units).
 */
char *ubf_line_channel_read_line(UbfLineChannel *ch, gint64 deadline_us,
                                 GError **error);

/* Discard anything received but not yet read. */
void ubf_line_channel_drain(UbfLineChannel *ch);

G_END_DECLS

#endif
