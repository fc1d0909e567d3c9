/*
 * The end of a runtime's log, read for messages (runtime.h, internal.h): when a runtime
 * fails to start or a stdio companion goes away, the error quotes what the process
 * said last, cut to the room a message has and made printable.
 */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAIL_BYTES 2048

char *ph_log_tail(const char *path, size_t n)
{
	struct stat st;
	char *out;
	ssize_t got;
	size_t len = 0;
	off_t from;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	from = st.st_size > (off_t)n ? st.st_size - (off_t)n : 0;
	out = malloc(n + 1);
	if (!out || lseek(fd, from, SEEK_SET) < 0) {
		free(out);
		close(fd);
		return NULL;
	}
	while (len < n && (got = read(fd, out + len, n - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)got;
	}
	close(fd);
	out[len] = '\0';
	return out;
}

char *ph_log_tail_for_message(const char *path, size_t room)
{
	char *t = ph_log_tail(path, TAIL_BYTES), *s;
	size_t len, i;

	if (!t)
		return NULL;
	len = strlen(t);
	s = t;
	if (len > room) {
		char *nl;

		s = t + (len - room);
		nl = memchr(s, '\n', len - (size_t)(s - t));
		if (nl && nl[1])
			s = nl + 1;
	}
	memmove(t, s, strlen(s) + 1);
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 && t[i] != '\n' && t[i] != '\t')
			t[i] = '?';
	len = strlen(t);
	while (len && (t[len - 1] == '\n' || t[len - 1] == ' '))
		t[--len] = '\0';
	return t;
}
