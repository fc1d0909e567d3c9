/*
 * What the secrets tests (test_secrets.c, test_secrets_cli.c, test_host_secrets.c) share:
 * a group setup that makes t_dir and initialises the secrets library (libsodium), and the
 * CONTRACT.md §9 test vector: a machine id and the ciphertext of "hunter2" under it with
 * an all-zero nonce.
 */
#ifndef PARITY_TEST_SUPPORT_SECRETS_H
#define PARITY_TEST_SUPPORT_SECRETS_H

#define T_VECTOR_ID "0123456789abcdef0123456789abcdef"
#define T_VECTOR_CT "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/xmZVZL+XobLxITGaHeGKThi59pfXbQ="

/* cmocka group setup: t_dir_setup, then ph_secrets_init; t_dir_teardown undoes it. */
int t_secrets_setup(void **state);

#endif
