/*
 * `parity secrets`: read, write and check Signet secrets.enc files from the command line,
 * on the format library of core/src/secrets (secrets.h). Five subcommands: list (names and
 * dates, never values), check (does every entry decrypt with the machine's key, and if not
 * why), encrypt (store one value read from stdin, atomically, mode 0600), verify (two
 * files hold the same names and plaintexts, compared only as keyed hashes) and decrypt
 * (the one place a value is printed, and only with --reveal). Values never reach stderr or
 * a message, and input files are only read, except the one encrypt writes. Exit 0 ok, 1
 * some entry fails or the files differ, 2 bad usage or bad input.
 */
#include "cli/cli.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secrets/secrets.h"

static const char usage_text[] =
    "usage: parity secrets list FILE\n"
    "       parity secrets check [--machine-id ID] FILE\n"
    "       parity secrets encrypt [--machine-id ID] --name N [--force] FILE  < value\n"
    "       parity secrets verify [--machine-id ID] [--machine-id-b ID] A B\n"
    "       parity secrets decrypt [--machine-id ID] --name N --reveal FILE\n"
    "\n"
    "Read, write and check Signet secrets.enc files ({\"version\":1,\"secrets\":{...}},\n"
    "XSalsa20-Poly1305 under BLAKE2b-256(\"signet:secrets:\" + machine id)).\n"
    "\n"
    "  list      names with their created and updated times, sorted; never values\n"
    "  check     does every entry decrypt? lists those that do not, and why\n"
    "  encrypt   store the value read from stdin (one trailing newline dropped) as N;\n"
    "            creates FILE (its folder must exist) or adds/replaces the entry; the\n"
    "            file is written atomically with mode 0600. Refuses when no existing\n"
    "            entry decrypts with the key (mixed keys) unless --force\n"
    "  verify    same names and same plaintexts in A and B (compared as keyed hashes)\n"
    "  decrypt   print the value of N to stdout; refuses without --reveal\n"
    "\n"
    "  --machine-id ID    derive the key from ID instead of /etc/machine-id,\n"
    "                     /var/lib/dbus/machine-id or <hostname>-<user>\n"
    "  --machine-id-b ID  the machine id of B in verify (default: that of A)\n"
    "\n"
    "exit: 0 ok, 1 an entry does not decrypt or the files differ, 2 bad usage or input\n";

struct opts {
	const char *sub;
	const char *machine_id;
	const char *machine_id_b;
	const char *name;
	int reveal;
	int force;
	const char *files[2];
	int n_files;
};

static int usage(const char *fmt, const char *arg)
{
	return ph_cli_usage("secrets", fmt, arg);
}

/* Parse argv (argv[0] "secrets", argv[1] the subcommand); -1 after --help. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const flags[] = {"--reveal", "--force", NULL};
	static const char *const with_value[] = {"--machine-id", "--machine-id-b", "--name", NULL};
	struct ph_cli_args a = {.cmd = "secrets", .argc = argc, .argv = argv, .i = 2,
				.usage = usage_text, .flags = flags, .with_value = with_value,
				.operands = o->files, .max_operands = 2,
				.too_many = "too many files: '%s'",
				.no_value = "option '%s' needs a value"};
	int c;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		return usage("%s", "missing subcommand: list, check, encrypt, verify or decrypt");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return -1;
	}
	o->sub = argv[1];
	if (strcmp(o->sub, "list") && strcmp(o->sub, "check") && strcmp(o->sub, "encrypt") &&
	    strcmp(o->sub, "verify") && strcmp(o->sub, "decrypt"))
		return usage("unknown subcommand '%s'", o->sub);
	while ((c = ph_cli_args_next(&a)) > 0) {
		if (!strcmp(a.name, "--reveal"))
			o->reveal = 1;
		else if (!strcmp(a.name, "--force"))
			o->force = 1;
		else if (!strcmp(a.name, "--machine-id"))
			o->machine_id = a.value;
		else if (!strcmp(a.name, "--machine-id-b"))
			o->machine_id_b = a.value;
		else
			o->name = a.value;
	}
	o->n_files = a.n_operands;
	return c < 0 ? (c == PH_CLI_HELP ? -1 : PH_EXIT_USAGE) : 0;
}

/* Print a name from a file with control and non-ASCII bytes escaped, so nothing odd in a
 * file can drive the terminal. */
static void put_name(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7F || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static int key_for(const char *override, unsigned char key[PH_SECRETS_KEYBYTES])
{
	char id[PH_SECRETS_MACHINE_ID_MAX];
	struct ph_err err;
	int rc;

	rc = ph_secrets_machine_id(override, id, sizeof(id), &err);
	if (!rc)
		rc = ph_secrets_derive_key(id, key, &err);
	sodium_memzero(id, sizeof(id));
	if (rc)
		return ph_cli_fail(&err);
	return 0;
}

static int load(const char *path, struct ph_secrets_file *f)
{
	struct ph_err err;

	if (ph_secrets_file_load(path, f, &err))
		return ph_cli_fail(&err);
	return 0;
}

/* The key of machine_id (NULL: this machine's) and the file at path, loaded; on failure
 * neither is left to wipe or release. */
static int open_store(const char *machine_id, const char *path,
		      unsigned char key[PH_SECRETS_KEYBYTES], struct ph_secrets_file *f)
{
	int rc = key_for(machine_id, key);

	if (!rc && (rc = load(path, f)))
		sodium_memzero(key, PH_SECRETS_KEYBYTES);
	return rc;
}

static int sub_list(const struct opts *o)
{
	struct ph_secrets_file f;
	const char **names;
	size_t n, i, w = 0;
	int rc;

	if (o->n_files != 1 || o->name || o->machine_id || o->machine_id_b || o->reveal || o->force)
		return usage("%s", "list takes exactly one FILE and no options");
	rc = load(o->files[0], &f);
	if (rc)
		return rc;
	n = ph_secrets_file_names(&f, &names);
	if (n == (size_t)-1) {
		ph_secrets_file_release(&f);
		fprintf(stderr, "parity: out of memory listing '%s'\n", o->files[0]);
		return PH_EXIT_USAGE;
	}
	for (i = 0; i < n; i++)
		if (strlen(names[i]) > w)
			w = strlen(names[i]);
	for (i = 0; i < n; i++) {
		struct ph_secret_entry e;
		size_t pad;

		ph_secrets_file_entry(&f, names[i], &e);
		put_name(stdout, names[i]);
		for (pad = strlen(names[i]); pad < w + 2; pad++)
			fputc(' ', stdout);
		put_name(stdout, e.created ? e.created : "-");
		for (pad = strlen(e.created ? e.created : "-"); pad < 26; pad++)
			fputc(' ', stdout);
		put_name(stdout, e.updated ? e.updated : "-");
		fputc('\n', stdout);
	}
	free(names);
	ph_secrets_file_release(&f);
	return PH_EXIT_OK;
}

static int sub_check(const struct opts *o)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	struct ph_secrets_check c;
	struct ph_err err;
	size_t i, plain = 0, mac = 0;
	int rc;

	if (o->n_files != 1 || o->name || o->machine_id_b || o->reveal || o->force)
		return usage("%s", "check takes [--machine-id ID] and exactly one FILE");
	rc = open_store(o->machine_id, o->files[0], key, &f);
	if (rc)
		return rc;
	rc = ph_secrets_check(&f, key, &c, &err);
	sodium_memzero(key, sizeof(key));
	if (rc) {
		ph_secrets_file_release(&f);
		return ph_cli_fail(&err);
	}
	printf("'%s': %zu entries, %zu decrypt, %zu fail\n", o->files[0], c.n, c.n_ok, c.n_failed);
	for (i = 0; i < c.n; i++) {
		const struct ph_secrets_check_item *it = &c.items[i];

		if (it->name_valid && it->status == PH_SECRET_OK)
			continue;
		printf("  ");
		put_name(stdout, it->name);
		printf(": ");
		if (!it->name_valid)
			printf("invalid name (expected ^[A-Za-z_][A-Za-z0-9_]*$)%s",
			       it->status == PH_SECRET_OK ? "" : "; ");
		if (it->status != PH_SECRET_OK)
			printf("%s", ph_secret_status_str(it->status));
		printf("\n");
		if (it->status == PH_SECRET_PLAIN_BASE64)
			plain++;
		if (it->status == PH_SECRET_MAC_FAILED)
			mac++;
	}
	if (mac && mac == c.n)
		printf("hint: no entry passes the mac check: the file was probably written on "
		       "another machine (see --machine-id)\n");
	if (plain)
		printf("warning: %zu of %zu entries are stored unencrypted (plain base64, as the "
		       "Rust daemon writes them): anyone who can read the file can read them\n",
		       plain, c.n);
	rc = c.n_failed ? PH_EXIT_DIVERGE : PH_EXIT_OK;
	ph_secrets_check_release(&c);
	ph_secrets_file_release(&f);
	return rc;
}

/* Read all of stdin into a buffer that is wiped whenever it moves; caller wipes it too. */
static int read_value(unsigned char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	unsigned char *buf = malloc(cap);

	*out = NULL;
	*len = 0;
	if (!buf)
		return PH_E_NOMEM;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			unsigned char *nb;

			if (cap > PH_SECRETS_VALUE_MAX) {
				sodium_memzero(buf, cap);
				free(buf);
				return PH_E_INVALID;
			}
			nb = malloc(cap * 2);
			if (!nb) {
				sodium_memzero(buf, cap);
				free(buf);
				return PH_E_NOMEM;
			}
			memcpy(nb, buf, n);
			sodium_memzero(buf, cap);
			free(buf);
			buf = nb;
			cap *= 2;
		}
		got = read(STDIN_FILENO, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sodium_memzero(buf, cap);
			free(buf);
			return PH_E_IO;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > PH_SECRETS_VALUE_MAX) {
		sodium_memzero(buf, cap);
		free(buf);
		return PH_E_INVALID;
	}
	if (n && buf[n - 1] == '\n') {
		n--;
		if (n && buf[n - 1] == '\r')
			n--;
	}
	*out = buf;
	*len = n;
	return (int)cap; /* > 0: the size to wipe */
}

/* 0 when the folder that will hold path exists, else a usage exit after a message. */
static int folder_exists(const char *path)
{
	char *copy = strdup(path);
	struct stat st;
	int ok;

	if (!copy) {
		fprintf(stderr, "parity: out of memory\n");
		return PH_EXIT_USAGE;
	}
	ok = stat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode);
	if (!ok) {
		free(copy);
		copy = strdup(path);
		fprintf(stderr, "parity: cannot create '%s': folder '%s' does not exist\n", path,
			copy ? dirname(copy) : "?");
	}
	free(copy);
	return ok ? 0 : PH_EXIT_USAGE;
}

static int sub_encrypt(const struct opts *o)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	struct ph_err err;
	unsigned char *value;
	size_t len;
	struct stat st;
	int rc, existed, wipe;

	if (o->n_files != 1 || !o->name || o->machine_id_b || o->reveal)
		return usage("%s",
			     "encrypt takes [--machine-id ID] --name N [--force] and one FILE");
	if (!ph_secrets_name_valid(o->name))
		return usage("invalid secret name '%s': expected ^[A-Za-z_][A-Za-z0-9_]*$",
			     o->name);
	existed = stat(o->files[0], &st) == 0;
	if (existed) {
		rc = load(o->files[0], &f);
		if (rc)
			return rc;
	} else {
		if (errno != ENOENT) {
			fprintf(stderr, "parity: cannot open '%s': %s\n", o->files[0],
				strerror(errno));
			return PH_EXIT_USAGE;
		}
		rc = folder_exists(o->files[0]);
		if (rc)
			return rc;
		if (ph_secrets_file_init(&f, o->files[0], &err))
			return ph_cli_fail(&err);
	}
	rc = key_for(o->machine_id, key);
	if (rc)
		goto out;
	if (existed && !o->force && ph_secrets_file_count(&f)) {
		struct ph_secrets_check c;
		size_t i, opened = 0;

		if (ph_secrets_check(&f, key, &c, &err)) {
			rc = ph_cli_fail(&err);
			goto out;
		}
		for (i = 0; i < c.n; i++)
			opened += c.items[i].status == PH_SECRET_OK;
		ph_secrets_check_release(&c);
		if (!opened) {
			fprintf(stderr,
				"parity: '%s': none of its %zu entries decrypts with this machine "
				"id's key; adding one would mix keys (use --force to add anyway)\n",
				o->files[0], ph_secrets_file_count(&f));
			rc = PH_EXIT_USAGE;
			goto out;
		}
	}
	wipe = read_value(&value, &len);
	if (wipe < 0) {
		fprintf(stderr, "parity: cannot read the value from stdin: %s\n",
			wipe == PH_E_INVALID ? "larger than the limit" : ph_strerror(wipe));
		rc = PH_EXIT_USAGE;
		goto out;
	}
	if (!len) {
		sodium_memzero(value, (size_t)wipe);
		free(value);
		fprintf(stderr, "parity: the value read from stdin is empty\n");
		rc = PH_EXIT_USAGE;
		goto out;
	}
	rc = ph_secrets_file_put(&f, key, o->name, value, len, NULL, &err);
	sodium_memzero(value, (size_t)wipe);
	free(value);
	if (!rc) {
		/* A link is written through to its target (as writeFileSync does), not replaced. */
		char *target = existed ? realpath(o->files[0], NULL) : NULL;

		rc = ph_secrets_file_save(&f, target ? target : o->files[0], &err);
		free(target);
	}
	if (rc) {
		rc = ph_cli_fail(&err);
		goto out;
	}
	printf("stored '%s' in '%s'\n", o->name, o->files[0]);
	rc = PH_EXIT_OK;
out:
	sodium_memzero(key, sizeof(key));
	ph_secrets_file_release(&f);
	return rc;
}

static int sub_verify(const struct opts *o)
{
	unsigned char ka[PH_SECRETS_KEYBYTES], kb[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file a, b;
	struct ph_secrets_verify v;
	struct ph_err err;
	size_t i;
	int rc;

	if (o->n_files != 2 || o->name || o->reveal || o->force)
		return usage("%s",
			     "verify takes [--machine-id ID] [--machine-id-b ID] and two files");
	rc = key_for(o->machine_id, ka);
	if (!rc)
		rc = key_for(o->machine_id_b ? o->machine_id_b : o->machine_id, kb);
	if (rc)
		goto wipe;
	rc = load(o->files[0], &a);
	if (rc)
		goto wipe;
	rc = load(o->files[1], &b);
	if (rc) {
		ph_secrets_file_release(&a);
		goto wipe;
	}
	rc = ph_secrets_verify(&a, ka, &b, kb, &v, &err);
	if (rc) {
		rc = ph_cli_fail(&err);
	} else {
		for (i = 0; i < v.n_diffs; i++) {
			const struct ph_secrets_diff *d = &v.diffs[i];
			const char *side =
			    d->kind == PH_SECRETS_ONLY_A || d->kind == PH_SECRETS_FAILS_A
				? o->files[0]
				: o->files[1];

			switch (d->kind) {
			case PH_SECRETS_ONLY_A:
			case PH_SECRETS_ONLY_B:
				printf("only in '%s': ", side);
				break;
			case PH_SECRETS_VALUE_DIFFERS:
				printf("value differs: ");
				break;
			case PH_SECRETS_FAILS_A:
			case PH_SECRETS_FAILS_B:
				printf("does not decrypt in '%s': ", side);
				break;
			}
			put_name(stdout, d->name);
			if (d->kind == PH_SECRETS_FAILS_A || d->kind == PH_SECRETS_FAILS_B)
				printf(" (%s)", ph_secret_status_str(d->status));
			printf("\n");
		}
		printf("'%s' vs '%s': %zu and %zu entries, %zu identical, %zu differences\n",
		       o->files[0], o->files[1], ph_secrets_file_count(&a),
		       ph_secrets_file_count(&b), v.n_same, v.n_diffs);
		rc = v.n_diffs ? PH_EXIT_DIVERGE : PH_EXIT_OK;
		ph_secrets_verify_release(&v);
	}
	ph_secrets_file_release(&a);
	ph_secrets_file_release(&b);
wipe:
	sodium_memzero(ka, sizeof(ka));
	sodium_memzero(kb, sizeof(kb));
	return rc;
}

static int sub_decrypt(const struct opts *o)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f;
	struct ph_secret_entry e;
	enum ph_secret_status st;
	unsigned char *value = NULL;
	size_t len = 0;
	int rc;

	if (o->n_files != 1 || !o->name || o->machine_id_b || o->force)
		return usage("%s",
			     "decrypt takes [--machine-id ID] --name N --reveal and one FILE");
	if (!o->reveal)
		return usage("%s", "decrypt prints a secret value: add --reveal to confirm");
	rc = open_store(o->machine_id, o->files[0], key, &f);
	if (rc)
		return rc;
	if (ph_secrets_file_entry(&f, o->name, &e)) {
		fprintf(stderr, "parity: '%s': no secret named '", o->files[0]);
		put_name(stderr, o->name);
		fprintf(stderr, "'\n");
		rc = PH_EXIT_USAGE;
	} else if (!e.ciphertext) {
		st = PH_SECRET_BAD_ENTRY;
		fprintf(stderr, "parity: '%s': secret '%s': %s\n", o->files[0], o->name,
			ph_secret_status_str(st));
		rc = PH_EXIT_DIVERGE;
	} else if (ph_secrets_decrypt(key, e.ciphertext, &st, &value, &len)) {
		fprintf(stderr, "parity: out of memory decrypting '%s'\n", o->name);
		rc = PH_EXIT_USAGE;
	} else if (st != PH_SECRET_OK && st != PH_SECRET_NOT_UTF8) {
		fprintf(stderr, "parity: '%s': secret '%s': %s\n", o->files[0], o->name,
			ph_secret_status_str(st));
		rc = PH_EXIT_DIVERGE;
	} else {
		if (st == PH_SECRET_NOT_UTF8)
			fprintf(stderr, "parity: warning: '%s': secret '%s': %s\n", o->files[0],
				o->name, ph_secret_status_str(st));
		fwrite(value, 1, len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		rc = PH_EXIT_OK;
	}
	ph_secrets_value_free(value, len);
	sodium_memzero(key, sizeof(key));
	ph_secrets_file_release(&f);
	return rc;
}

int cmd_secrets(int argc, char **argv)
{
	struct ph_err err;
	struct opts o;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? PH_EXIT_OK : rc;
	if (ph_secrets_init(&err))
		return ph_cli_fail(&err);
	if (!strcmp(o.sub, "list"))
		return sub_list(&o);
	if (!strcmp(o.sub, "check"))
		return sub_check(&o);
	if (!strcmp(o.sub, "encrypt"))
		return sub_encrypt(&o);
	if (!strcmp(o.sub, "verify"))
		return sub_verify(&o);
	return sub_decrypt(&o);
}
