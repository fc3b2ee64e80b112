/*
 * Start and drive a test VM: our QEMU, the test guest, QMP and the agent
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_VM_H
#define UBF_VM_H

#include "guest-agent.h"
#include "qmp-client.h"

G_BEGIN_DECLS

typedef struct UbfVmConfig {
    const char *qemu;           /* binary; NULL: $UBF_QEMU */
    const char *kernel;         /* NULL: $UBF_GUEST_DIR/vmlinuz */
    const char *initrd;         /* NULL: $UBF_GUEST_DIR/initrd.img */
    const char *accel;          /* "kvm" or "tcg"; NULL: $UBF_ACCEL or tcg */
    guint64 boot_mib;           /* boot RAM, split evenly over the nodes */
    guint nodes;                /* NUMA nodes; 0 means no NUMA config */
    const guint64 *node_mib;    /* boot RAM per node (NULL: even split) */
    gboolean virtio_balloon;    /* add -device virtio-balloon-pci,id=balloon0 */
    guint64 virtio_mem_mib;     /* per node: one virtio-mem-pci of this
                                 * maximum size, id=vmem<node>; 0: none */
    guint64 maxmem_mib;         /* maxmem; 0: boot + virtio-mem */
    const char *modules;        /* guest modules to load at boot, comma list */
    const char *memhp;          /* memhp_default_state= of the guest:
                                 * NULL: $UBF_GUEST_MEMHP or online_movable;
                                 * "online" lets the kernel pick the zone of
                                 * hot-plugged memory, as many distributions
                                 * do (it may then not unplug it all) */
    const char *const *extra;   /* more QEMU arguments, NULL-terminated */
    guint boot_timeout_ms;      /* 0: 120 s */
    gboolean no_guest;          /* no kernel: QEMU starts paused (-S), and
                                 * only QMP is connected */
    gboolean allow_reboot;      /* no -no-reboot: system_reset reboots */
    gboolean tool_qmp;          /* a second QMP socket for tools, ctl.sock */
    const char *incoming;       /* -incoming (say "defer") and -S: QEMU
                                 * waits for a migration, and stays paused
                                 * after it until 'cont', as libvirt has
                                 * it; only QMP is connected */
    gboolean ticker;            /* the guest prints "ubf-tick N" on its
                                 * console every second */
} UbfVmConfig;

typedef struct UbfVm UbfVm;

/*
 * Start QEMU with @cfg in a fresh temporary folder and wait until both
 * QMP and the guest agent answer (QMP only with @no_guest).  On failure the error includes the end
 * of QEMU's own output.
 */
UbfVm *ubf_vm_start(const UbfVmConfig *cfg, GError **error);

/*
 * Wait until the guest agent answers again (after a reboot), within
 * @timeout_ms.
 */
gboolean ubf_vm_wait_agent(UbfVm *vm, guint timeout_ms, GError **error);

/*
 * Live migration from @src to @dst (started with .incoming = "defer",
 * same configuration): set the return-path capability on both (as
 * libvirt does, so that a destination's failure reaches the source),
 * start listening on @dst at @uri, and start the migration.
 */
gboolean ubf_vm_migrate_start(UbfVm *src, UbfVm *dst, const char *uri,
                              GError **error);

/*
 * Wait up to @timeout_ms for the migration from @src to end.  TRUE once
 * it completed and @dst has it all (paused); else FALSE with the
 * source's error-desc in @error.
 */
gboolean ubf_vm_migrate_wait(UbfVm *src, UbfVm *dst, guint timeout_ms,
                             GError **error);

/* 'cont' on @vm (a paused destination); wait for its guest agent. */
gboolean ubf_vm_cont(UbfVm *vm, guint timeout_ms, GError **error);

/* ubf_vm_migrate_wait(), then ubf_vm_cont() on @dst. */
gboolean ubf_vm_migrate_finish(UbfVm *src, UbfVm *dst, guint timeout_ms,
                               GError **error);

/* Both, with a unix socket in @dst's folder. */
gboolean ubf_vm_migrate(UbfVm *src, UbfVm *dst, guint timeout_ms,
                        GError **error);

/*
 * A snapshot: migrate @src to the file @path and wait until it is
 * written (@src is then stopped); restore it in @dst (started with
 * .incoming = "defer"), 'cont' it and connect to its agent.
 */
gboolean ubf_vm_save(UbfVm *src, const char *path, guint timeout_ms,
                     GError **error);
gboolean ubf_vm_restore(UbfVm *dst, const char *path, guint timeout_ms,
                        GError **error);

/* What the guest printed on its console so far. */
char *ubf_vm_console(UbfVm *vm);

/* Quit QEMU (killing it if it does not exit) and remove its folder. */
void ubf_vm_free(UbfVm *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UbfVm, ubf_vm_free)

UbfQmp *ubf_vm_qmp(UbfVm *vm);
UbfAgent *ubf_vm_agent(UbfVm *vm);
GPid ubf_vm_pid(UbfVm *vm);
const char *ubf_vm_dir(UbfVm *vm);

/* QEMU's argument vector, for printing. */
char *ubf_vm_command_line(UbfVm *vm);

/*
 * Poll the guest until its MemTotal is @want_kib, for up to @timeout_ms.
 * @mem receives the last reading either way.
 */
gboolean ubf_vm_wait_memtotal(UbfVm *vm, gint64 want_kib, guint timeout_ms,
                              UbfGuestMem *mem, GError **error);

/*
 * The same, until MemTotal is within @tolerance_kib of @want_kib (after a
 * reboot it moves by a page or so).
 */
gboolean ubf_vm_wait_memtotal_near(UbfVm *vm, gint64 want_kib,
                                   gint64 tolerance_kib, guint timeout_ms,
                                   UbfGuestMem *mem, GError **error);

/*
 * Poll the guest until MemTotal has not changed for @stable_ms, for up to
 * @timeout_ms.
 */
gboolean ubf_vm_wait_settled(UbfVm *vm, guint stable_ms, guint timeout_ms,
                             UbfGuestMem *mem, GError **error);

/*
 * Send one resize command (@command with @args_json, e.g. "balloon" and
 * {"value": N}) and wait up to @timeout_ms for MEMORY_RESIZE_DONE.
 * Returns the event's data (target, actual, reason), or NULL with
 * @error set.
 */
JsonObject *ubf_vm_resize(UbfVm *vm, const char *command,
                          const char *args_json, guint timeout_ms,
                          GError **error);

/* ubf_vm_resize() of QMP balloon to @value bytes. */
JsonObject *ubf_vm_balloon(UbfVm *vm, gint64 value, guint timeout_ms,
                           GError **error);

/*
 * A UbfQmpEventFilter for MEMORY_RESIZE_DONE: whether the event's reason
 * is @reason (a const char *).  Every MEMORY_RESIZE_DONE it sees must
 * keep the frontend's promise: "reached" only with actual == target (it
 * aborts the test otherwise).
 */
gboolean ubf_vm_reason_is(JsonObject *event, gpointer reason);

/*
 * A UbfQmpEventFilter for MEMORY_RESIZE_DONE that takes any, with the
 * same check as ubf_vm_reason_is().
 */
gboolean ubf_vm_any_done(JsonObject *event, gpointer unused);

/* The memhp_default_state the guests of this test run use. */
const char *ubf_vm_memhp(const UbfVmConfig *cfg);

/* A size in bytes read from a QMP return such as query-balloon's. */
gint64 ubf_vm_qmp_int(UbfVm *vm, const char *command, const char *member,
                      GError **error);

/*
 * The first backend of @type (say "virtio-mem") in query-memory-resize's
 * answer, or NULL with @error set.
 */
JsonObject *ubf_vm_backend(UbfVm *vm, const char *type, GError **error);

/*
 * The -cpu model of a Hyper-V guest for hv-balloon: Hyper-V under TCG,
 * or KVM's (with hv-runtime) when $UBF_ACCEL is kvm.
 */
const char *ubf_vm_hv_cpu(void);

/*
 * The maxmem an hv-balloon VM needs: hv-balloon asks the memory-device
 * core for a 32 GiB aligned place (the largest alignment a guest may ask
 * for hot-add); nothing of it is allocated.
 */
#define UBF_VM_HV_MAXMEM_MIB (40 * 1024)

/*
 * Field @field of /proc/PID/@file of the VM's QEMU ("status" "VmRSS",
 * "smaps_rollup" "AnonHugePages"), in KiB; -1 if it cannot be read.
 */
gint64 ubf_vm_proc_kib(UbfVm *vm, const char *file, const char *field);

/* QEMU's resident memory in KiB, -1 if it cannot be read. */
gint64 ubf_vm_rss_kib(UbfVm *vm);

/* qom-get of an integer property. */
gint64 ubf_vm_qom_get_int(UbfVm *vm, const char *path, const char *property,
                          GError **error);

G_END_DECLS

#endif
