/*
 * ISO-8601 timestamps as instants: the engine compares strings that parse as timestamps
 * as instants truncated to the rule's precision (DESIGN.md "Comparison"), and the shadow
 * reader dates its log lines with the same parser.
 */
#ifndef PARITY_TIMESTAMP_H
#define PARITY_TIMESTAMP_H

#include <stddef.h>

#include "compare/rules.h"

/*
 * Parse an ISO-8601 timestamp (date, 'T' or space, hh:mm:ss, optional fraction of at
 * most 9 digits, optional 'Z' or +hh:mm/+hhmm/+hh; or a date alone) into milliseconds
 * since the epoch (UTC). Returns 0, or -1 when s is not such a timestamp.
 */
int ph_timestamp_parse(const char *s, size_t len, long long *ms);

/*
 * The same for a log line's time: the time of day is required and the fraction may have
 * any number of digits (those past the millisecond are dropped), as the Rust proxy's
 * own reader (chrono) takes them. Returns 0 or -1.
 */
int ph_timestamp_parse_log(const char *s, size_t len, long long *ms);

/*
 * s as an instant at precision p (milliseconds, seconds or minutes since the epoch) when
 * it is a timestamp ph_timestamp_parse reads: 0, else -1.
 */
int ph_timestamp_instant(const char *s, size_t len, enum ph_ts_precision p, long long *out);

#endif
