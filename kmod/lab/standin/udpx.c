/*
 * STAND-IN ONLY. A minimal UDP sender/receiver the kernel lab uses in place of copylab's
 * sock_sender/sock_receiver when those binaries are absent AND run.sh was given --standin.
 * Experiments run with it are marked "[stand-in]" in every PASS/FAIL line and in the report:
 * they check the module and the lab, not copylab's tools.
 *
 *   udpx send --dev D --dst-ip A --dst-port P --size N --count N
 *   udpx recv --dev D --dst-port P --count N --timeout-ms T [--idle-ms I] [--ready-file F]
 *        -> prints "received=N bytes=B"; stops at N datagrams, at T ms, or I ms after the last one
 *
 * One sendto()/recv() per datagram, so the expected copy counts are exactly those of the real tools.
 * Nothing is printed per datagram: console writes would themselves be COPY1 calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

static int bound_socket(const char *dev, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) < 0) {
		fprintf(stderr, "udpx: socket/SO_BINDTODEVICE %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "udpx: bind port %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dev = opt(argc, argv, "--dev", "veth1");
	int port = atoi(opt(argc, argv, "--dst-port", "9999"));
	long count = atol(opt(argc, argv, "--count", "1"));
	static char buf[2048];

	if (strcmp(argv[1], "send") == 0) {
		size_t size = (size_t)atol(opt(argc, argv, "--size", "64"));
		if (size > sizeof(buf))
			return 2;
		int fd = bound_socket(dev, 0);
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
		inet_pton(AF_INET, opt(argc, argv, "--dst-ip", "10.0.0.2"), &dst.sin_addr);
		long sent = 0;
		for (long i = 0; i < count; i++) {
			memcpy(buf, &i, sizeof(i));
			if (sendto(fd, buf, size, 0, (struct sockaddr *)&dst, sizeof(dst)) == (ssize_t)size)
				sent++;
		}
		printf("sent=%ld\n", sent);
		return sent == count ? 0 : 1;
	}
	if (strcmp(argv[1], "recv") == 0) {
		long timeout = atol(opt(argc, argv, "--timeout-ms", "10000"));
		int fd = bound_socket(dev, port);
		/* Tell the lab we are bound (it waits for this file instead of sleeping). */
		const char *ready = opt(argc, argv, "--ready-file", NULL);
		if (ready)
			fclose(fopen(ready, "w"));
		long idle = atol(opt(argc, argv, "--idle-ms", "0"));
		long got = 0, bytes = 0, deadline = now_ms() + timeout, last = 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		while (got < count && now_ms() < deadline) {
			if (poll(&p, 1, 100) <= 0) {
				if (idle && got && now_ms() - last > idle)
					break;
				continue;
			}
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n >= 0) {
				got++;
				bytes += n;
				last = now_ms();
			}
		}
		printf("received=%ld bytes=%ld\n", got, bytes);
		return got == count ? 0 : 1;
	}
	return 2;
}
