/*
 * secrets-probe: the command the secrets domain has each runtime execute through
 * POST /api/secrets/exec to check that a secret resolves, without the value ever being
 * printed. Usage: secrets-probe VAR KEYFILE. It reads a 32-byte key (64 hex digits) from
 * KEYFILE, a file the harness made for this run and deletes after it, and prints
 * "set digest=HEX" where HEX is BLAKE2b-256 of $VAR keyed with that key, or
 * "unset" when VAR is not in its environment. Without the key file the digest says nothing
 * about the value, so it may pass through runtime logs; the harness compares digests
 * across runtimes and with the values it stored. Exit 0, or 2 for bad usage or key file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int main(int argc, char **argv)
{
	unsigned char key[crypto_generichash_KEYBYTES], digest[32];
	char hex[2 * crypto_generichash_KEYBYTES + 2], out[65];
	const char *v;
	size_t n, klen = 0;
	FILE *f;

	if (argc != 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: secrets-probe VAR KEYFILE\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "secrets-probe: cannot open key file '%s'\n", argv[2]);
		return 2;
	}
	n = fread(hex, 1, sizeof(hex) - 1, f);
	fclose(f);
	hex[n] = '\0';
	if (sodium_hex2bin(key, sizeof(key), hex, n, "\n", &klen, NULL) || klen != sizeof(key)) {
		fprintf(stderr, "secrets-probe: '%s': expected 64 hex digits\n", argv[2]);
		return 2;
	}
	v = getenv(argv[1]);
	if (!v) {
		printf("unset\n");
		return 0;
	}
	crypto_generichash(digest, sizeof(digest), (const unsigned char *)v, strlen(v), key,
			   sizeof(key));
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(out, sizeof(out), digest, sizeof(digest));
	printf("set digest=%s\n", out);
	return 0;
}
