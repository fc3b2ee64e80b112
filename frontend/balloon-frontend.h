/*
 * Unified balloon frontend: what backend adapters call
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef UBF_BALLOON_FRONTEND_H
#define UBF_BALLOON_FRONTEND_H

#include "exec/hwaddr.h"
#include "exec/memory.h"
#include "hw/qdev-core.h"
#include "balloon-backend.h"

/*
 * A device that can resize its guest creates an adapter for itself
 * (backends/) and registers it here when it is realized; it unregisters
 * it when it is unrealized.  That is the only way in and out: the
 * frontend knows backends only through BalloonBackendClass.
 */

/*
 * Hand @bb (klass and id set) to the frontend, which owns it from now
 * on: it takes part in every plan and query.
 */
void balloon_frontend_register(BalloonBackend *bb);

/*
 * Take @bb out of the frontend (a plan in flight forgets it) and release
 * it (BalloonBackendClass::release): @bb must not be used afterwards.
 */
void balloon_frontend_unregister(BalloonBackend *bb);

/*
 * @bb's state changed (its guest acted): the frontend checks the resize
 * in flight and emits BALLOON_CHANGE if the guest size moved.
 */
void balloon_frontend_changed(BalloonBackend *bb);

/*
 * The name a user knows a backend device by: its id, else for a virtio
 * device its proxy's id (virtio-*-pci,id=...), else its QOM path.
 */
char *balloon_frontend_device_id(DeviceState *dev);

/* Boot RAM + DIMMs, in bytes: the size with every contribution at 0. */
int64_t balloon_frontend_base_size(void);

/* The guest's NUMA nodes (1 without a NUMA configuration). */
int balloon_frontend_nb_nodes(void);

/*
 * The guest pages (4 KiB page numbers) of node @node's boot memory, as
 * the machine maps them, or NULL if there is no such node.  Owned by the
 * frontend; valid once the machine is built.
 */
RangeSet *balloon_frontend_node_pages(int node);

/*
 * Called for each run of pages of the guest's RAM, by
 * balloon_frontend_foreach_ram(): guest pages [@page, @page + @count),
 * at @offset in RAM region @mr.  Return false to stop.
 */
typedef bool (*BalloonFrontendRamFunc)(uint64_t page, uint64_t count,
                                       MemoryRegion *mr, hwaddr offset,
                                       void *opaque);

/*
 * Call @fn for the pages of @pages (4 KiB guest page numbers) that are
 * the guest's RAM as the memory map has it now: not ROM, not a device's
 * memory, for memory whose blocks come and go (virtio-mem) only what is
 * plugged.  One walk over the memory map, whatever the pages: the cost
 * is that of the map's ranges and of @pages' ranges, not of the address
 * space they span.  Returns the number of such pages.
 */
uint64_t balloon_frontend_foreach_ram(RangeSet *pages,
                                      BalloonFrontendRamFunc fn,
                                      void *opaque);

#endif
