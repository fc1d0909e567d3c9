/*
 * Shared helpers of the libFuzzer targets in fuzz/: the entry points every target defines
 * (LLVMFuzzerTestOneInput, optionally LLVMFuzzerInitialize), cutting one input into
 * sections, NUL-terminated copies, and a scratch file per process for the loaders that
 * only read from a path. The same target sources build two ways: with clang and
 * -fsanitize=fuzzer (PARITY_FUZZ=ON) as real fuzzers, and with any compiler against
 * replay.c as programs that run a corpus once, so the seed corpora are regression tests
 * in every build.
 */
#ifndef PARITY_FUZZ_H
#define PARITY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry points (see https://llvm.org/docs/LibFuzzer.html). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Sections of an input are separated by this line. */
#define FZ_SEP "\n%%\n"

/*
 * Cut data into at most max sections at FZ_SEP: parts[i] points into data (not
 * NUL-terminated), lens[i] its length. Returns the number of sections (>= 1).
 */
size_t fz_split(const uint8_t *data, size_t size, const char **parts, size_t *lens, size_t max);

/* A new NUL-terminated copy of n bytes (abort()s when out of memory). */
char *fz_strndup(const char *s, size_t n);

/*
 * Write data to this process's scratch file named after tag (created once under
 * $TMPDIR or /tmp, removed at exit) and return its path (static storage). abort()s when
 * the file cannot be written, which is a harness problem, not a finding.
 */
const char *fz_scratch_file(const char *tag, const uint8_t *data, size_t size);

/* A scratch folder of this process (removed with its files at exit). */
const char *fz_scratch_dir(void);

#endif
