/*
 * Time as domains measure it: a monotonic clock in milliseconds for delays and deadlines
 * (never the wall clock, which may step), and a sleep that finishes its whole pause even
 * when a signal interrupts it. Part of phutil.
 */
#ifndef PARITY_CLOCK_H
#define PARITY_CLOCK_H

/* Milliseconds on the monotonic clock; only differences mean anything. */
double ph_now_ms(void);

/* Sleep ms milliseconds (<= 0: not at all), resuming after a signal. */
void ph_sleep_ms(double ms);

#endif
