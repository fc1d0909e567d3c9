/*
 * Benchmark of the secrets format: generate a store of 10,000 secrets (and a second one
 * holding the same values under another machine id), write both to a temporary folder,
 * then time `check` (load the file, decrypt every entry, validate UTF-8) and `verify`
 * (load both files, decrypt both sides, compare through keyed hashes), and print entries
 * per second and the ratio against a baseline measured in the same run: raw
 * crypto_secretbox_open_easy over the same 10,000 decoded buffers. Best of several rounds.
 * Exits 1 when the results are wrong (an entry fails, the stores differ), never on speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "secrets/secrets.h"

#include "../bench_clock.h"

#define N_SECRETS 10000
#define ROUNDS 5

static int die(const struct ph_err *err)
{
	fprintf(stderr, "bench_secrets: %s\n", err->msg);
	return 1;
}

/* Two stores with the same N_SECRETS values, one per machine id, saved under dir. */
static int generate(const char *pa, const char *pb, const unsigned char *ka,
		    const unsigned char *kb, struct ph_err *err)
{
	struct ph_secrets_file a, b;
	char name[32], value[48];
	unsigned char raw[24];
	int i, rc;

	if ((rc = ph_secrets_file_init(&a, pa, err)))
		return rc;
	if ((rc = ph_secrets_file_init(&b, pb, err))) {
		ph_secrets_file_release(&a);
		return rc;
	}
	for (i = 0; i < N_SECRETS && !rc; i++) {
		snprintf(name, sizeof(name), "SECRET_%05d", i);
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(value, sizeof(value), raw, sizeof(raw),
				  sodium_base64_VARIANT_ORIGINAL);
		rc = ph_secrets_file_put(&a, ka, name, value, strlen(value),
					 "2026-01-01T00:00:00.000Z", err);
		if (!rc)
			rc = ph_secrets_file_put(&b, kb, name, value, strlen(value),
						 "2026-01-01T00:00:00.000Z", err);
	}
	sodium_memzero(value, sizeof(value));
	if (!rc)
		rc = ph_secrets_file_save(&a, pa, err);
	if (!rc)
		rc = ph_secrets_file_save(&b, pb, err);
	ph_secrets_file_release(&a);
	ph_secrets_file_release(&b);
	return rc;
}

/* The decoded nonce||box buffers of every entry of the file at path. */
static int decode_all(const char *path, unsigned char **bufs, size_t *lens, struct ph_err *err)
{
	struct ph_secrets_file f;
	const char **names;
	size_t n, i;
	int rc;

	if ((rc = ph_secrets_file_load(path, &f, err)))
		return rc;
	n = ph_secrets_file_names(&f, &names);
	if (n != N_SECRETS) {
		ph_secrets_file_release(&f);
		return ph_error(err, PH_E_INVALID, "'%s' holds %zu entries, expected %d", path,
				n == (size_t)-1 ? 0 : n, N_SECRETS);
	}
	for (i = 0; i < n; i++) {
		struct ph_secret_entry e;
		size_t len = strlen(ph_secrets_file_entry(&f, names[i], &e) ? "" : e.ciphertext);

		bufs[i] = malloc(len);
		if (!bufs[i] || sodium_base642bin(bufs[i], len, e.ciphertext, len, NULL, &lens[i],
						  NULL, sodium_base64_VARIANT_ORIGINAL)) {
			free(names);
			ph_secrets_file_release(&f);
			return ph_error(err, PH_E_INVALID, "entry '%s' does not decode", names[i]);
		}
	}
	free(names);
	ph_secrets_file_release(&f);
	return 0;
}

/* The time since t0 becomes *best when it is shorter (best of the rounds). */
static void keep_best(double *best, double t0)
{
	double t = bench_now_s() - t0;

	if (t < *best)
		*best = t;
}

int main(void)
{
	static unsigned char *bufs[N_SECRETS];
	static size_t lens[N_SECRETS];
	unsigned char ka[PH_SECRETS_KEYBYTES], kb[PH_SECRETS_KEYBYTES], plain[256];
	char dir[] = "/tmp/parity-bench-secrets-XXXXXX", pa[256], pb[256];
	double best_base = 1e9, best_load = 1e9, best_check = 1e9, best_verify = 1e9;
	struct ph_err err;
	int r, i, bad = 0;

	if (ph_secrets_init(&err) || ph_secrets_derive_key("bench-machine-a", ka, &err) ||
	    ph_secrets_derive_key("bench-machine-b", kb, &err))
		return die(&err);
	if (!mkdtemp(dir)) {
		perror("bench_secrets: mkdtemp");
		return 1;
	}
	snprintf(pa, sizeof(pa), "%s/a.enc", dir);
	snprintf(pb, sizeof(pb), "%s/b.enc", dir);
	if (generate(pa, pb, ka, kb, &err) || decode_all(pa, bufs, lens, &err)) {
		bad = die(&err);
		goto out;
	}

	for (r = 0; r < ROUNDS && !bad; r++) {
		struct ph_secrets_file a, b;
		struct ph_secrets_check c;
		struct ph_secrets_verify v;
		double t0;

		t0 = bench_now_s();
		for (i = 0; i < N_SECRETS; i++)
			if (lens[i] - PH_SECRETS_NONCEBYTES > sizeof(plain) ||
			    crypto_secretbox_open_easy(plain, bufs[i] + PH_SECRETS_NONCEBYTES,
						       lens[i] - PH_SECRETS_NONCEBYTES, bufs[i],
						       ka) != 0)
				bad = 1;
		keep_best(&best_base, t0);

		t0 = bench_now_s();
		if (ph_secrets_file_load(pa, &a, &err)) {
			bad = die(&err);
			break;
		}
		keep_best(&best_load, t0);
		ph_secrets_file_release(&a);

		t0 = bench_now_s();
		if (ph_secrets_file_load(pa, &a, &err) || ph_secrets_check(&a, ka, &c, &err)) {
			bad = die(&err);
			break;
		}
		keep_best(&best_check, t0);
		if (c.n != N_SECRETS || c.n_ok != N_SECRETS)
			bad = 1;
		ph_secrets_check_release(&c);
		ph_secrets_file_release(&a);

		t0 = bench_now_s();
		if (ph_secrets_file_load(pa, &a, &err)) {
			bad = die(&err);
			break;
		}
		if (ph_secrets_file_load(pb, &b, &err) ||
		    ph_secrets_verify(&a, ka, &b, kb, &v, &err)) {
			ph_secrets_file_release(&a);
			bad = die(&err);
			break;
		}
		keep_best(&best_verify, t0);
		if (v.n_diffs || v.n_same != N_SECRETS)
			bad = 1;
		ph_secrets_verify_release(&v);
		ph_secrets_file_release(&a);
		ph_secrets_file_release(&b);
	}
	sodium_memzero(plain, sizeof(plain));
	if (bad) {
		fprintf(stderr, "bench_secrets: wrong results (an entry failed or the stores "
				"differ)\n");
		goto out;
	}
	printf("secrets: %d entries, best of %d rounds\n", N_SECRETS, ROUNDS);
	printf("  baseline  crypto_secretbox_open_easy   %10.0f entries/s\n",
	       N_SECRETS / best_base);
	printf("  load      read + parse JSON only       %10.0f entries/s  %.2fx baseline time\n",
	       N_SECRETS / best_load, best_load / best_base);
	printf("  check     load + decrypt + utf-8       %10.0f entries/s  %.2fx baseline time\n",
	       N_SECRETS / best_check, best_check / best_base);
	printf("  verify    2 loads + 2 decrypts + hash  %10.0f entries/s  %.2fx baseline time"
	       " (%.2fx of two opens)\n",
	       N_SECRETS / best_verify, best_verify / best_base, best_verify / (2 * best_base));
out:
	for (i = 0; i < N_SECRETS; i++)
		free(bufs[i]);
	unlink(pa);
	unlink(pb);
	rmdir(dir);
	sodium_memzero(ka, sizeof(ka));
	sodium_memzero(kb, sizeof(kb));
	return bad ? 1 : 0;
}
