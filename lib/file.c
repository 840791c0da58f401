/* SPDX-License-Identifier: MIT */
/* file.c - opening the files practlink trusts: no symlink as the last
 * component, checked on the descriptor that is then used, so the file
 * checked is the file read. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

practlink_status pl_file_check(const struct stat *st, const char *path, bool dir,
			       practlink_status fail, pl_err *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (dir && !S_ISDIR(st->st_mode))
		return pl_err_set(err, fail, "%s: not a folder", path);
	if (!dir && !S_ISREG(st->st_mode))
		return pl_err_set(err, fail, "%s: not a regular file", path);
	if (st->st_uid != 0 && st->st_uid != getuid())
		return pl_err_set(err, fail,
				  "%s: owned by uid %u, neither root nor you (uid %u); "
				  "it must not be trusted",
				  path, (unsigned)st->st_uid, (unsigned)getuid());
	if (dir && (mode & S_IWOTH) && (mode & S_ISVTX)) {
		/* /tmp and its like: shared on purpose, never to be closed. */
		pl_err_set(err, fail,
			   "%s: a folder open to everyone (mode %04o: anyone may add files to it); "
			   "practlink "
			   "trusts only a folder that only root or you can write",
			   path, mode);
		return pl_err_hint(err, "use a folder only root can write, such as the one "
					"practlink installed its modules in");
	}
	if (mode & (S_IWGRP | S_IWOTH)) {
		pl_err_set(err, fail, "%s: %s-writable (mode %04o); run: chmod go-w %s", path,
			   mode & S_IWOTH ? "world" : "group", mode, path);
		return pl_err_hint(err, "run: chmod go-w %s", path);
	}
	return PRACTLINK_OK;
}

int pl_file_open_trusted(int dirfd, const char *path, const char *shown, bool dir,
			 practlink_status fail, pl_err *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (dir ? O_DIRECTORY : 0);
	struct stat st;
	int fd;

	fd = openat(dirfd, path, flags);
	if (fd < 0) {
		struct stat link;
		/* A symlink to a folder opened as a folder fails with ENOTDIR. */
		if (errno == ELOOP || (errno == ENOTDIR && dir &&
				       fstatat(dirfd, path, &link, AT_SYMLINK_NOFOLLOW) == 0 &&
				       S_ISLNK(link.st_mode)))
			pl_err_set(err, fail, "%s: is a symbolic link; name the real %s", shown,
				   dir ? "folder" : "file");
		else
			pl_err_set(err, errno == EACCES ? PRACTLINK_PERMISSION : fail, "%s: %s",
				   shown, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		pl_err_set(err, fail, "%s: %s", shown, strerror(errno));
		close(fd);
		return -1;
	}
	if (pl_file_check(&st, shown, dir, fail, err) != PRACTLINK_OK) {
		close(fd);
		errno = 0; /* opened, then refused: no errno of the open's to read */
		return -1;
	}
	return fd;
}

practlink_status pl_file_read_all(int fd, const char *path, size_t max, char **out, size_t *len_out,
				  pl_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	for (;;) {
		if (len + 1 == cap) {
			if (cap > max) {
				free(buf);
				return pl_err_set(err, PRACTLINK_CONFIG,
						  "%s: larger than %zu bytes", path, max);
			}
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return pl_err_set(err, PRACTLINK_CONFIG, "%s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return pl_err_set(err, PRACTLINK_CONFIG, "%s: larger than %zu bytes", path, max);
	}
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = len;
	return PRACTLINK_OK;
}

/* Whether folder dir (stat st) may hold child (stat cst) safely: owned by
 * root or us, and writable by others only if sticky and the child is root's
 * or ours (OpenSSH's safe_path). Says why not. */
static bool safe_parent(const char *dir, const struct stat *st, const struct stat *cst,
			const char *child, practlink_status fail, pl_err *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (st->st_uid != 0 && st->st_uid != getuid()) {
		pl_err_set(err, fail,
			   "%s: owned by uid %u, neither root nor you, who could replace %s in it",
			   dir, (unsigned)st->st_uid, child);
		return false;
	}
	if ((mode & (S_IWGRP | S_IWOTH)) &&
	    (!(mode & S_ISVTX) || (cst->st_uid != 0 && cst->st_uid != getuid()))) {
		pl_err_set(err, fail,
			   "%s: %s-writable (mode %04o): anyone who may write there "
			   "could replace %s",
			   dir, mode & S_IWOTH ? "world" : "group", mode, child);
		pl_err_hint(err,
			    "keep practlink's files below folders only root (or you) can write");
		return false;
	}
	return true;
}

/* Checks each folder from path up to / with safe_parent. */
static bool safe_chain(const char *path, bool follow, practlink_status fail, pl_err *err)
{
	char *p = strdup(path), *slash;
	struct stat cst, st;
	bool ok = true;

	if (!p)
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory"), false;
	/* A path not made yet (a new store) is checked from the folder that
	 * will hold it, as the parent of a file of ours. */
	bool missing = false;
	while ((follow ? stat(p, &cst) : lstat(p, &cst)) < 0) {
		if (!(slash = strrchr(p, '/')) || slash == p) {
			free(p);
			return true;
		}
		*slash = '\0';
		missing = true;
	}
	if (missing) {
		struct stat ours = { .st_uid = getuid() };
		ok = S_ISDIR(cst.st_mode) ? safe_parent(p, &cst, &ours, path, fail, err) : true;
	}
	while (ok && (slash = strrchr(p, '/'))) {
		char child[4096];
		snprintf(child, sizeof child, "%s", p);
		if (slash == p)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		if ((follow ? stat(p, &st) : lstat(p, &st)) < 0)
			break;
		ok = safe_parent(p, &st, &cst, child, fail, err);
		cst = st;
		if (strcmp(p, "/") == 0)
			break;
	}
	free(p);
	return ok;
}

practlink_status pl_path_check_ancestors(const char *path, practlink_status fail, pl_err *err)
{
	char *abs = NULL, *real;
	bool ok;

	/* The path as named (a symlink in it is swapped by whoever may write
	 * its folder), then as resolved (where the files really are). */
	if (path[0] != '/') {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd) || asprintf(&abs, "%s/%s", cwd, path) < 0)
			return pl_err_set(err, PRACTLINK_INTERNAL, "cannot tell where %s is", path);
	}
	ok = safe_chain(abs ? abs : path, false, fail, err);
	if (ok && (real = realpath(abs ? abs : path, NULL))) {
		ok = safe_chain(real, true, fail, err);
		free(real);
	}
	free(abs);
	return ok ? PRACTLINK_OK : err->status;
}

char *pl_path_resolve(const char *base, const char *path)
{
	char *out;

	if (path[0] == '/' || !base)
		return strdup(path);
	if (asprintf(&out, "%s/%s", base, path) < 0)
		return NULL;
	return out;
}

char *pl_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

bool pl_name_is_bare(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n >= 1 && n <= 64;
}
