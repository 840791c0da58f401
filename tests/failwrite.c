/* SPDX-License-Identifier: MIT */
/*
 * failwrite.so - an LD_PRELOAD shim that makes the store's disk fail.
 *
 * PL_FAIL names the call to fail (open, write, fsync, rename) and
 * PL_FAIL_MATCH the part of the path it must touch; that call then fails
 * with EIO (ENOSPC for write), as a full or failing disk would. Opens for
 * reading are left alone: the old record must stay readable.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fails(const char *call)
{
	const char *which = getenv("PL_FAIL");

	return which && strcmp(which, call) == 0;
}

/* The path of dirfd/name, or of fd when name is NULL. */
static int touches(int fd, const char *name)
{
	const char *match = getenv("PL_FAIL_MATCH");
	char link[64], path[4096] = "";
	ssize_t n;

	if (!match)
		return 0;
	if (name && name[0] == '/')
		return strstr(name, match) != NULL;
	if (fd == AT_FDCWD)
		snprintf(link, sizeof link, "/proc/self/cwd");
	else
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	if (name)
		snprintf(path + n, sizeof path - (size_t)n, "/%s", name);
	return strstr(path, match) != NULL;
}

int openat(int dirfd, const char *name, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = (mode_t)va_arg(ap, int);
	va_end(ap);
	if (fails("open") && (flags & (O_WRONLY | O_RDWR)) && touches(dirfd, name)) {
		errno = EIO;
		return -1;
	}
	return real(dirfd, name, flags, mode);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (!real)
		real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fails("write") && touches(fd, NULL)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, len);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (fails("fsync") && touches(fd, NULL)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int renameat(int olddirfd, const char *oldname, int newdirfd, const char *newname)
{
	static int (*real)(int, const char *, int, const char *);

	if (!real)
		real = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
	if (fails("rename") && touches(newdirfd, newname)) {
		errno = EIO;
		return -1;
	}
	return real(olddirfd, oldname, newdirfd, newname);
}
