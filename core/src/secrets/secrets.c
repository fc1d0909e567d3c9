/*
 * The Signet secrets format on libsodium (see secrets.h and CONTRACT.md §9): key
 * derivation from the machine id, and sealing and opening single values. The JSON
 * envelope is in file.c, the per-entry check and the comparison of two stores in
 * verify.c. Every buffer that may hold a plaintext (decrypted values, and decoded base64
 * that may be an unencrypted value) is wiped with sodium_memzero before it is freed.
 */
#include "secrets/secrets.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "parity/jsonio.h"

#define KEY_PREFIX "signet:secrets:"
#define BOX_OVERHEAD (PH_SECRETS_NONCEBYTES + PH_SECRETS_MACBYTES)

const char *ph_secret_status_str(enum ph_secret_status st)
{
	static const char *const text[] = {
	    [PH_SECRET_OK] = "ok",
	    [PH_SECRET_BAD_ENTRY] = "entry is not an object with a string 'ciphertext'",
	    [PH_SECRET_BAD_BASE64] =
		"ciphertext is not valid base64 (standard alphabet with padding)",
	    [PH_SECRET_PLAIN_BASE64] =
		"looks like unencrypted base64 (plain text, no nonce or tag)",
	    [PH_SECRET_TOO_SHORT] =
		"ciphertext too short (fewer than 24+16 bytes of nonce and tag)",
	    [PH_SECRET_MAC_FAILED] = "wrong key or corrupted (mac check failed)",
	    [PH_SECRET_NOT_UTF8] = "decrypts, but the value is not utf-8",
	};

	return (unsigned)st < sizeof(text) / sizeof(text[0]) ? text[st] : "unknown status";
}

int ph_secrets_init(struct ph_err *err)
{
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "libsodium could not be initialised");
	return 0;
}

int ph_secrets_name_valid(const char *name)
{
	const char *p;

	if (!name ||
	    !((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') || *name == '_'))
		return 0;
	for (p = name + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

/* ---- machine id ---------------------------------------------------------------------- */

static int is_js_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int put_id(const char *s, size_t n, char *out, size_t cap, struct ph_err *err)
{
	if (n + 1 > cap)
		return ph_error(err, PH_E_INVALID, "machine id is longer than %zu bytes", cap - 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int ph_secrets_machine_id_from(const char *const *paths, size_t n, char *out, size_t cap,
			       struct ph_err *err)
{
	const char *user;
	char host[256];
	size_t i;

	if (!cap)
		return ph_error(err, PH_E_INVALID, "no room for a machine id");
	for (i = 0; i < n; i++) {
		char *data = NULL;
		size_t len = 0, a = 0, b;
		int rc;

		/* Like the daemon, an unreadable candidate is skipped, not an error. */
		if (ph_file_read(paths[i], 4096, &data, &len, NULL))
			continue;
		b = len;
		while (a < b && is_js_space((unsigned char)data[a]))
			a++;
		while (b > a && is_js_space((unsigned char)data[b - 1]))
			b--;
		if (b == a || memchr(data + a, '\0', b - a)) {
			free(data);
			continue;
		}
		rc = put_id(data + a, b - a, out, cap, err);
		free(data);
		return rc;
	}
	if (gethostname(host, sizeof(host)) != 0)
		return ph_error(err, PH_E_IO, "cannot read the host name: %s", strerror(errno));
	host[sizeof(host) - 1] = '\0';
	user = getenv("USER");
	if (!user || !*user)
		user = getenv("USERNAME");
	if (!user || !*user)
		user = "user";
	if (strlen(host) + 1 + strlen(user) + 1 > cap)
		return ph_error(err, PH_E_INVALID, "machine id is longer than %zu bytes", cap - 1);
	snprintf(out, cap, "%s-%s", host, user);
	return 0;
}

int ph_secrets_machine_id(const char *override, char *out, size_t cap, struct ph_err *err)
{
	static const char *const system_paths[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};

	if (override) {
		if (!*override)
			return ph_error(err, PH_E_INVALID, "machine id is empty");
		return put_id(override, strlen(override), out, cap, err);
	}
	return ph_secrets_machine_id_from(system_paths, 2, out, cap, err);
}

int ph_secrets_derive_key(const char *machine_id, unsigned char key[PH_SECRETS_KEYBYTES],
			  struct ph_err *err)
{
	crypto_generichash_state st;

	if (crypto_generichash_init(&st, NULL, 0, PH_SECRETS_KEYBYTES) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)KEY_PREFIX,
				      sizeof(KEY_PREFIX) - 1) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)machine_id, strlen(machine_id)) !=
		0 ||
	    crypto_generichash_final(&st, key, PH_SECRETS_KEYBYTES) != 0) {
		sodium_memzero(&st, sizeof(st));
		return ph_error(err, PH_E_CRYPTO, "key derivation failed");
	}
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* ---- one value ----------------------------------------------------------------------- */

int ph_secrets_encrypt_nonce(const unsigned char key[PH_SECRETS_KEYBYTES],
			     const unsigned char nonce[PH_SECRETS_NONCEBYTES], const void *value,
			     size_t len, char **b64, struct ph_err *err)
{
	size_t n, blen;
	unsigned char *box;

	*b64 = NULL;
	if (len > PH_SECRETS_VALUE_MAX)
		return ph_error(err, PH_E_INVALID, "value is larger than %zu bytes",
				PH_SECRETS_VALUE_MAX);
	n = BOX_OVERHEAD + len;
	box = malloc(n);
	blen = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	*b64 = malloc(blen);
	if (!box || !*b64) {
		free(box);
		free(*b64);
		*b64 = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory encrypting a value");
	}
	memcpy(box, nonce, PH_SECRETS_NONCEBYTES);
	if (crypto_secretbox_easy(box + PH_SECRETS_NONCEBYTES, value, len, nonce, key) != 0) {
		free(box);
		free(*b64);
		*b64 = NULL;
		return ph_error(err, PH_E_CRYPTO, "encryption failed");
	}
	sodium_bin2base64(*b64, blen, box, n, sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return 0;
}

int ph_secrets_encrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const void *value, size_t len,
		       char **b64, struct ph_err *err)
{
	unsigned char nonce[PH_SECRETS_NONCEBYTES];

	randombytes_buf(nonce, sizeof(nonce));
	return ph_secrets_encrypt_nonce(key, nonce, value, len, b64, err);
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k, need;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * Printable UTF-8 text (no control characters but tab and line ends): what the Rust
 * daemon's plain base64 decodes to. A real nonce+box is random bytes, and 40 or more of
 * them are printable with a probability far below 1e-15.
 */
static int printable_text(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F)
			return 0;
	return utf8_valid(s, n);
}

static int decrypt_n(const unsigned char key[PH_SECRETS_KEYBYTES], const char *b64, size_t b64len,
		     enum ph_secret_status *st, unsigned char **value, size_t *len)
{
	size_t cap = b64len / 4 * 3 + 3, binlen = 0, plen;
	unsigned char *bin, *plain;

	if (value)
		*value = NULL;
	if (len)
		*len = 0;
	if (b64len == 0) {
		/* The Rust daemon accepts and stores an empty value as "". */
		*st = PH_SECRET_PLAIN_BASE64;
		return 0;
	}
	bin = malloc(cap);
	if (!bin)
		return PH_E_NOMEM;
	if (sodium_base642bin(bin, cap, b64, b64len, NULL, &binlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		sodium_memzero(bin, cap);
		free(bin);
		*st = PH_SECRET_BAD_BASE64;
		return 0;
	}
	if (binlen < BOX_OVERHEAD) {
		*st = printable_text(bin, binlen) ? PH_SECRET_PLAIN_BASE64 : PH_SECRET_TOO_SHORT;
		sodium_memzero(bin, cap);
		free(bin);
		return 0;
	}
	plen = binlen - BOX_OVERHEAD;
	plain = malloc(plen + 1);
	if (!plain) {
		sodium_memzero(bin, cap);
		free(bin);
		return PH_E_NOMEM;
	}
	if (crypto_secretbox_open_easy(plain, bin + PH_SECRETS_NONCEBYTES,
				       binlen - PH_SECRETS_NONCEBYTES, bin, key) != 0) {
		*st = printable_text(bin, binlen) ? PH_SECRET_PLAIN_BASE64 : PH_SECRET_MAC_FAILED;
		sodium_memzero(bin, cap);
		free(bin);
		sodium_memzero(plain, plen + 1);
		free(plain);
		return 0;
	}
	sodium_memzero(bin, cap);
	free(bin);
	plain[plen] = '\0';
	*st = utf8_valid(plain, plen) ? PH_SECRET_OK : PH_SECRET_NOT_UTF8;
	if (value) {
		*value = plain;
		if (len)
			*len = plen;
	} else {
		ph_secrets_value_free(plain, plen);
	}
	return 0;
}

int ph_secrets_decrypt(const unsigned char key[PH_SECRETS_KEYBYTES], const char *b64,
		       enum ph_secret_status *st, unsigned char **value, size_t *len)
{
	return decrypt_n(key, b64, strlen(b64), st, value, len);
}

void ph_secrets_value_free(unsigned char *value, size_t len)
{
	if (!value)
		return;
	sodium_memzero(value, len + 1);
	free(value);
}

void ph_secrets_now(char out[PH_SECRETS_TIME_MAX])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, PH_SECRETS_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, PH_SECRETS_TIME_MAX - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}
