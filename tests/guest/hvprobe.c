/*
 * hvprobe: a bare-metal Hyper-V guest that misbehaves on purpose.
 *
 * Booted by QEMU as a multiboot kernel (32-bit protected mode, ring 0,
 * no paging), it pokes at the Hyper-V interface QEMU offers under TCG the
 * way a buggy or hostile guest kernel could: unknown and read-only
 * synthetic MSRs, bad SINT vectors, hypercalls with bad codes, bad
 * control bits, misaligned, page-crossing or non-RAM input, VMBus
 * messages while the SynIC is off or its SINT masked, to a VP that does
 * not exist, and messages into a busy slot.  It prints one "name value"
 * line per probe on COM1, then "done", and halts; the test
 * (tests/integration/test-hyperv-tcg.c) says what each value must be.
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "hvbare.h"

#define VMBUS_CONNECTION_ID 1
#define VMBUS_INITIATE_CONTACT 14
#define VMBUS_REQUESTOFFERS 3
#define VMBUS_VERSION_WIN10 0x00040000u

/* Far from any RAM or device, below 40 physical address bits */
#define NOT_RAM 0x8000000000ull

static uint8_t spare_page[8192] __attribute__((aligned(4096)));

/* A VMCALL outside the hypercall page: the vector taken, 0 if none */
static uint32_t vmcall_safe(void)
{
    uint32_t eax = 0, ecx = 0, edx = 0;

    fault_vector = 0;
    fault_skip = 3;
    __asm__ volatile("vmcall" : "+a"(eax), "+c"(ecx), "+d"(edx)
                     : : "ebx", "esi", "edi", "memory");
    return fault_vector;
}

static void vmbus_message(uint32_t type, uint32_t target_vp)
{
    uint32_t *p = (uint32_t *)post.payload;
    int i;

    for (i = 0; i < 60; i++) {
        p[i] = 0;
    }
    post.connection_id = VMBUS_CONNECTION_ID;
    post.type = 1;
    p[0] = type;
    if (type == VMBUS_INITIATE_CONTACT) {
        p[2] = VMBUS_VERSION_WIN10;
        p[3] = target_vp;
        post.size = 40;
    } else {
        post.size = 8;
    }
}

/* Wait (interrupts on) for slot 2 to hold a message; returns its type */
static uint32_t wait_message(void)
{
    volatile struct hv_message *slot = &simp[2];
    uint32_t spins;

    __asm__ volatile("sti");
    for (spins = 0; spins < 20000000 && !slot->type; spins++) {
        __asm__ volatile("pause");
    }
    /* a little longer, for an interrupt that would follow */
    for (spins = 0; spins < 2000000; spins++) {
        __asm__ volatile("pause");
    }
    __asm__ volatile("cli");
    return slot->type ? ((volatile uint32_t *)slot->payload)[0] : 0;
}

/* Wait for the host to flag a message pending behind slot 2's */
static void wait_pending(void)
{
    volatile struct hv_message *slot = &simp[2];
    uint32_t spins;

    for (spins = 0; spins < 20000000 && !(slot->flags & 1); spins++) {
        __asm__ volatile("pause");
    }
}

static void clear_slot(void)
{
    simp[2].type = 0;
    simp[2].flags = 0;
}

static void probe_msrs(void)
{
    uint64_t v;

    report("gp_rd_unknown", rdmsr_safe(MSR_VP_RUNTIME, &v));
    report("gp_wr_unknown", wrmsr_safe(MSR_STIMER0_CONFIG, 1));
    report("gp_rd_range_end", rdmsr_safe(0x400001ff, &v));
    report("gp_wr_vp_index", wrmsr_safe(MSR_VP_INDEX, 5));
    rdmsr_safe(MSR_VP_INDEX, &v);
    report("vp_index", v);
    report("gp_wr_sversion", wrmsr_safe(MSR_SVERSION, 2));
    rdmsr_safe(MSR_SVERSION, &v);
    report("sversion", v);
    report("gp_sint_low_vector", wrmsr_safe(MSR_SINT2, 5));
    report("sint_low_vector_masked", wrmsr_safe(MSR_SINT2, SINT_MASKED | 5));
    rdmsr_safe(MSR_SINT2, &v);
    report("sint2", v);
}

static void probe_hypercall_setup(void)
{
    uint64_t v;

    report("ud_vmcall_no_os_id", vmcall_safe());
    /* without a guest OS ID the page stays disabled */
    wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1);
    rdmsr_safe(MSR_HYPERCALL, &v);
    report("hypercall_no_os_id", v & 1);

    wrmsr_safe(MSR_GUEST_OS_ID, 0x8100000000000000ull);
    report("gp_hypercall_not_ram", wrmsr_safe(MSR_HYPERCALL, NOT_RAM | 1));
    report("gp_hypercall_page",
           wrmsr_safe(MSR_HYPERCALL, (uint32_t)hypercall_page | 1));
    report("hypercall_page_code", *(volatile uint32_t *)hypercall_page);
    report("vmcall_with_page", vmcall_safe());
}

static void probe_hypercalls(void)
{
    uint64_t page = (uint32_t)spare_page;

    report("hc_unknown_code", post_message(0x7777, (uint32_t)&post));
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post.connection_id = 0xabcdef;
    report("hc_bad_connection", post_message(HC_POST_MESSAGE,
                                             (uint32_t)&post));
    report("hc_reserved_bits", post_message(HC_POST_MESSAGE | (1u << 27),
                                            (uint32_t)&post));
    report("hc_rep_count", post_message(HC_POST_MESSAGE | (1ull << 32),
                                        (uint32_t)&post));
    report("hc_varhead", post_message(HC_POST_MESSAGE | (1u << 17),
                                      (uint32_t)&post));
    report("hc_post_fast", post_message(HC_POST_MESSAGE | HC_FAST,
                                        (uint32_t)&post));
    report("hc_post_misaligned", post_message(HC_POST_MESSAGE,
                                              (uint32_t)&post + 4));
    report("hc_post_cross_page", post_message(HC_POST_MESSAGE,
                                              page + 4096 - 64));
    report("hc_post_not_ram", post_message(HC_POST_MESSAGE, NOT_RAM));
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post.size = 241;
    report("hc_post_big_payload", post_message(HC_POST_MESSAGE,
                                               (uint32_t)&post));
    report("hc_signal_bad_connection",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 0x77));
    report("hc_signal_flag_number",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 1ull << 32));
    report("hc_signal_reserved",
           post_message(HC_SIGNAL_EVENT | HC_FAST, 1ull << 56));
    report("hc_signal_not_ram", post_message(HC_SIGNAL_EVENT, NOT_RAM));
    report("hc_signal_misaligned", post_message(HC_SIGNAL_EVENT, page + 3));
    report("hc_spin_wait", post_message(HC_NOTIFY_LONG_SPIN_WAIT, 0));
}

static void probe_sints(void)
{
    volatile uint32_t *isr = (volatile uint32_t *)(LAPIC_ISR +
                                                   0x10 * (SINT_VECTOR / 32));

    /* SynIC off: the reply has nowhere to go; QEMU resets its VMBus */
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    report("synic_off_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("synic_off_message", wait_message());

    /* a VP that does not exist */
    wrmsr_safe(MSR_SIMP, (uint32_t)simp | 1);
    wrmsr_safe(MSR_SIEFP, (uint32_t)siefp | 1);
    wrmsr_safe(MSR_SCONTROL, 1);
    vmbus_message(VMBUS_INITIATE_CONTACT, 99);
    report("bad_vp_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("bad_vp_message", wait_message());

    /* masked SINT: the message arrives, the interrupt does not */
    wrmsr_safe(MSR_SINT2, SINT_MASKED | SINT_VECTOR);
    sint_irqs = 0;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    report("masked_post", post_message(HC_POST_MESSAGE, (uint32_t)&post));
    report("masked_message", wait_message());
    report("masked_irqs", sint_irqs);

    /* unmasked, EOI by the guest */
    clear_slot();
    wrmsr_safe(MSR_SINT2, SINT_VECTOR);
    sint_irqs = 0;
    sint_eoi = 1;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    report("unmasked_message", wait_message());
    report("unmasked_irqs", sint_irqs);

    /* auto-EOI: no EOI written, yet the next interrupt comes */
    clear_slot();
    wrmsr_safe(MSR_SINT2, SINT_AUTO_EOI | SINT_VECTOR);
    sint_irqs = 0;
    sint_eoi = 0;
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    wait_message();
    clear_slot();
    vmbus_message(VMBUS_INITIATE_CONTACT, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    report("auto_eoi_message", wait_message());
    report("auto_eoi_irqs", sint_irqs);
    report("auto_eoi_in_service", (*isr >> (SINT_VECTOR % 32)) & 1);

    /*
     * Busy slot: a second message waits, flagged pending in the slot,
     * until the guest frees the slot and writes EOM.
     */
    vmbus_message(VMBUS_REQUESTOFFERS, 0);
    post_message(HC_POST_MESSAGE, (uint32_t)&post);
    wait_pending();
    report("busy_slot_pending", simp[2].flags & 1);
    report("busy_slot_kept", ((volatile uint32_t *)simp[2].payload)[0]);
    clear_slot();
    wrmsr_safe(MSR_EOM, 0);
    report("after_eom_message", wait_message());
}

void bare_main(void)
{
    uint32_t sig[3];
    uint32_t max, features;

    setup_cpu();
    __asm__ volatile("cpuid" : "=a"(max), "=b"(sig[0]), "=c"(sig[1]),
                     "=d"(sig[2]) : "a"(0x40000000));
    report("cpuid_max", max);
    report("cpuid_vendor_is_hv", sig[0] == 0x7263694d &&      /* Micr */
           sig[1] == 0x666f736f && sig[2] == 0x76482074);     /* osoft Hv */
    __asm__ volatile("cpuid" : "=a"(features), "=b"(sig[0]), "=c"(sig[1]),
                     "=d"(sig[2]) : "a"(0x40000003));
    report("cpuid_features", features);

    probe_msrs();
    probe_hypercall_setup();
    probe_hypercalls();
    probe_sints();
    puts_serial("done\n");
}
