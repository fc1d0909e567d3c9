/*
 * Signals during `parity run`: Ctrl-C, SIGTERM and SIGHUP kill every runtime process group
 * at once and set a flag the run checks between cases (a second one exits immediately);
 * a crash (SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL) kills the runtimes before dying.
 */
#ifndef PARITY_INTERRUPT_H
#define PARITY_INTERRUPT_H

/* Install the handlers. */
void ph_interrupt_install(void);

/* The signal that interrupted the run, or 0. */
int ph_interrupted(void);

#endif
