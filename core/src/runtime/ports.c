/*
 * Loopback ports for runtimes (runtime.h): a free one the kernel picks, and whether a
 * fixed one can be listened on now, checked the way a server binds (SO_REUSEADDR, IPv4
 * and, where the host has it, IPv6 loopback), so a port is refused before a runtime
 * fails to start on it.
 */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ph_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port > 0 ? port : -1;
}

/* Bind addr like a server would (SO_REUSEADDR, so a closed listener's leftovers do not count). */
static int try_bind(int family, const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc, e;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	rc = bind(fd, addr, len);
	e = errno;
	close(fd);
	return rc ? -e : 0;
}

int ph_port_available(int port, struct ph_err *err)
{
	struct sockaddr_in a;
	struct sockaddr_in6 a6;
	int rc;

	if (port < 1 || port > 65535)
		return ph_error(err, PH_E_INVALID, "port %d out of range (1 to 65535)", port);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if ((rc = try_bind(AF_INET, (struct sockaddr *)&a, sizeof(a))))
		goto taken;
	/* a listener on [::1] alone still answers "localhost" */
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_loopback;
	a6.sin6_port = htons((uint16_t)port);
	rc = try_bind(AF_INET6, (struct sockaddr *)&a6, sizeof(a6));
	if (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL)
		rc = 0; /* no IPv6 loopback on this host */
	if (!rc)
		return 0;
taken:
	if (rc == -EADDRINUSE)
		return ph_error(err, PH_E_IO, "port %d is taken: another process listens there",
				port);
	return ph_error(err, PH_E_IO, "port %d cannot be bound: %s", port, strerror(-rc));
}
