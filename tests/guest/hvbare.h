/*
 * hvbare: what the bare-metal Hyper-V test guests share (hvprobe.c,
 * hvdm.c).  Each is a multiboot kernel (32-bit protected mode, ring 0,
 * no paging) linked with hvbare.c; hvbare's _start calls bare_main().
 *
 * Copyright (c) 2026 The Unified Balloon Frontend authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HVBARE_H
#define HVBARE_H

#include <stdint.h>

#define COM1 0x3f8
#define LAPIC 0xfee00000u
#define LAPIC_EOI (LAPIC + 0xb0)
#define LAPIC_SVR (LAPIC + 0xf0)
#define LAPIC_ISR (LAPIC + 0x100)

#define MSR_GUEST_OS_ID 0x40000000
#define MSR_HYPERCALL 0x40000001
#define MSR_VP_INDEX 0x40000002
#define MSR_VP_RUNTIME 0x40000010
#define MSR_SCONTROL 0x40000080
#define MSR_SVERSION 0x40000081
#define MSR_SIEFP 0x40000082
#define MSR_SIMP 0x40000083
#define MSR_EOM 0x40000084
#define MSR_SINT2 0x40000092
#define MSR_STIMER0_CONFIG 0x400000b0

#define SINT_MASKED (1u << 16)
#define SINT_AUTO_EOI (1u << 17)
#define SINT_VECTOR 0x50

#define FAULT_UD 6
#define FAULT_GP 13

#define HC_FAST (1ull << 16)
#define HC_POST_MESSAGE 0x5c
#define HC_SIGNAL_EVENT 0x5d
#define HC_NOTIFY_LONG_SPIN_WAIT 0x08

struct hv_message {
    uint32_t type;
    uint8_t size;
    uint8_t flags;
    uint8_t reserved[2];
    uint64_t sender;
    uint8_t payload[240];
};

struct hv_post_message {
    uint32_t connection_id;
    uint32_t reserved;
    uint32_t type;
    uint32_t size;
    uint8_t payload[240];
};

/* The guest's entry point, called by _start on hvbare's stack */
void bare_main(void);

extern uint8_t hypercall_page[4096];
extern struct hv_message simp[16];
extern uint8_t siefp[4096];
extern struct hv_post_message post;

/* Set by the exception stubs: the vector taken; the bytes to skip */
extern volatile uint32_t fault_vector;
extern volatile uint32_t fault_skip;
/* SINT interrupts taken; whether the handler writes the EOI */
extern volatile uint32_t sint_irqs;
extern volatile uint32_t sint_eoi;

void outb(uint16_t port, uint8_t v);
uint8_t inb(uint16_t port);
void putc_serial(char c);
void puts_serial(const char *s);
/* One byte from COM1, waiting for it */
char getc_serial(void);
/* "name 0x...\n" */
void report(const char *name, uint64_t v);
/* GDT, IDT (faults, SINT vector), local APIC */
void setup_cpu(void);
/* rdmsr/wrmsr; return the exception vector taken, 0 if none */
uint32_t rdmsr_safe(uint32_t msr, uint64_t *val);
uint32_t wrmsr_safe(uint32_t msr, uint64_t val);
/* Through the hypercall page, 32-bit calling convention */
uint64_t hypercall(uint64_t control, uint64_t in);
uint16_t post_message(uint64_t control, uint64_t gpa);
/* ...with output parameters at @out: the whole result (reps in 32-43) */
uint64_t hypercall_out(uint64_t control, uint64_t in, uint64_t out);

/* The multiboot information structure the loader passed (EBX) */
extern uint32_t mb_info;

#endif
