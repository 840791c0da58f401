/* SPDX-License-Identifier: MIT */
/*
 * store_files.c - the built-in store: one JSON file per practitioner.
 *
 *   PATH/practitioners/ID.json   0600, in a 0700 folder
 *   PATH/audit.log               append-only JSON lines, never a key
 *   PATH/lock                    byte-range locks, one byte per id's hash
 *
 * A write is atomic and durable: a new file made O_EXCL beside the old,
 * written, fsynced, renamed over it, and the folder fsynced. Any failure
 * on the way is reported and the old record stays as it was. Writers of
 * one id exclude each other with an open-file-description lock on the
 * lock file, which works across threads and processes alike.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAX_BYTES (256 * 1024)
#define LOCK_SLOTS (1u << 20)

struct files {
	char *path;  /* PATH/practitioners, for messages */
	int dirfd;   /* PATH/practitioners */
	int auditfd; /* PATH/audit.log */
	char *lock_path;
	dev_t lock_dev; /* the lock file as this store found it: locks taken */
	ino_t lock_ino; /* on any other lock out no one of this store's */
};

bool pl_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++) {
		char c = id[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	/* A leading '.' would hide the record from every listing. */
	return n >= 1 && n <= 64 && id[0] != '.' && id[0] != '-' && id[0] != '_';
}

int practlink_id_is_valid(const char *id)
{
	return id && pl_id_valid(id);
}

static practlink_status say(char *err, size_t size, practlink_status st, const char *fmt, ...)
	PL_PRINTF(4, 5);

static practlink_status say(char *err, size_t size, practlink_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && size)
		vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return st;
}

/* A failed system call on the store: PERMISSION when access was denied. */
static practlink_status sys_fail(char *err, size_t size, const char *path, const char *name,
				 const char *what)
{
	int e = errno;

	return say(err, size, e == EACCES || e == EPERM ? PRACTLINK_PERMISSION : PRACTLINK_STORE,
		   "%s/%s: %s: %s", path, name, what, strerror(e));
}

static practlink_status files_get(void *data, const char *id, char **text, size_t *len, char *err,
				  size_t size)
{
	struct files *f = data;
	char name[80];
	struct stat st;
	pl_err e = { 0 };
	int fd;

	snprintf(name, sizeof name, "%s.json", id);
	/* O_NONBLOCK: a FIFO put in a record's place must not hang us (and
	 * the id's lock with us); its type is refused below. */
	fd = openat(f->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return say(err, size, PRACTLINK_NOT_FOUND, "no practitioner '%s' in %s", id,
				   f->path);
		return sys_fail(err, size, f->path, name, "cannot open");
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return sys_fail(err, size, f->path, name, "cannot stat");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return say(err, size, PRACTLINK_STORE,
			   "%s/%s: not a regular file; it is left untouched: remove it", f->path,
			   name);
	}
	if (st.st_mode & 077) {
		close(fd);
		return say(err, size, PRACTLINK_PERMISSION,
			   "%s/%s: readable or writable by others (mode %04o); it holds keys: "
			   "run chmod 600 on it",
			   f->path, name, (unsigned)st.st_mode & 07777);
	}
	char shown[4200];
	snprintf(shown, sizeof shown, "%s/%s", f->path, name);
	if (pl_file_check(&st, shown, false, PRACTLINK_PERMISSION, &e) != PRACTLINK_OK ||
	    pl_file_read_all(fd, shown, RECORD_MAX_BYTES, text, len, &e) != PRACTLINK_OK) {
		close(fd);
		return say(err, size, e.status == PRACTLINK_CONFIG ? PRACTLINK_STORE : e.status,
			   "%s", e.msg);
	}
	close(fd);
	return PRACTLINK_OK;
}

/*
 * A lazy write that changes only digits (a timestamp) patches those bytes
 * where they are, instead of making a new file: no inode to allocate, no
 * lock on the folder, which a verify of a whole clinic would otherwise
 * contend for. A crash or a reader can at worst see the timestamp's
 * digits half old and half new: the record still parses, and a time that
 * does not is read as unknown. Returns false when the change is more.
 */
static bool patch_digits(struct files *f, const char *name, const char *text, size_t len)
{
	struct stat st;
	char *old = NULL;
	size_t first = len, last = 0;
	bool done = false;
	int fd = openat(f->dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len ||
	    !(old = malloc(len)) || pread(fd, old, len, 0) != (ssize_t)len)
		goto out;
	for (size_t i = 0; i < len; i++) {
		if (old[i] == text[i])
			continue;
		if (old[i] < '0' || old[i] > '9' || text[i] < '0' || text[i] > '9')
			goto out;
		if (first == len)
			first = i;
		last = i;
	}
	done = first == len ||
	       (last - first < 32 && pwrite(fd, text + first, last - first + 1, (off_t)first) ==
					     (ssize_t)(last - first + 1));
out:
	if (old) {
		explicit_bzero(old, len); /* it holds keys */
		free(old);
	}
	if (fd >= 0)
		close(fd);
	return done;
}

static practlink_status lock_replaced(const struct files *f, char *err, size_t size)
{
	return say(err, size, PRACTLINK_STORE,
		   "%s was removed or replaced while practlink ran: locks taken on it no longer "
		   "exclude anyone, so nothing was written; run the command again",
		   f->lock_path);
}

/* Whether the store's lock file is still the one its locks were taken on. */
static bool lock_file_same(const struct files *f)
{
	struct stat now;

	return stat(f->lock_path, &now) == 0 && now.st_dev == f->lock_dev &&
	       now.st_ino == f->lock_ino;
}

/* The temporary file of id's next record. */
static void temp_name(const char *id, char *buf, size_t size)
{
	snprintf(buf, size, ".%s.json.tmp", id);
}

/* Writes the whole of text to a new temporary file at fd. */
static practlink_status write_all(struct files *f, const char *name, const char *text, size_t len,
				  int fd, char *err, size_t size)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_fail(err, size, f->path, name, "cannot write");
		off += (size_t)n;
	}
	return PRACTLINK_OK;
}

static practlink_status files_put(void *data, const char *id, const char *text, size_t len,
				  unsigned flags, char *err, size_t size)
{
	struct files *f = data;
	char name[80], tmp[112];
	practlink_status st = PRACTLINK_OK;
	bool durable = !(flags & PRACTLINK_STORE_LAZY);
	int fd = -1;

	snprintf(name, sizeof name, "%s.json", id);
	if (!lock_file_same(f))
		return lock_replaced(f, err, size);
	if (!durable && !(flags & PRACTLINK_STORE_CREATE) && patch_digits(f, name, text, len))
		return PRACTLINK_OK;
	/* One temporary name per id: writers hold the id's lock, and one that
	 * was killed leaves a file the next lock of the id removes. */
	temp_name(id, tmp, sizeof tmp);
	fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(f->dirfd, tmp, 0) == 0)
		fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
	if (fd < 0)
		return sys_fail(err, size, f->path, tmp, "cannot create");
	if ((st = write_all(f, name, text, len, fd, err, size)) != PRACTLINK_OK)
		goto fail;
	if (durable && fsync(fd) < 0) {
		st = sys_fail(err, size, f->path, name, "cannot flush to disk");
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		st = sys_fail(err, size, f->path, name, "cannot write");
		goto fail;
	}
	fd = -1;
	if (!lock_file_same(f)) {
		st = lock_replaced(f, err, size);
		goto fail;
	}
	if (flags & PRACTLINK_STORE_CREATE) {
		/* link() refuses to replace: a record made meanwhile survives. */
		if (linkat(f->dirfd, tmp, f->dirfd, name, 0) < 0) {
			st = errno == EEXIST
				     ? say(err, size, PRACTLINK_USAGE,
					   "practitioner '%s' exists already in %s", id, f->path)
				     : sys_fail(err, size, f->path, name, "cannot create");
			goto fail;
		}
		unlinkat(f->dirfd, tmp, 0);
	} else if (renameat(f->dirfd, tmp, f->dirfd, name) < 0) {
		st = sys_fail(err, size, f->path, name, "cannot replace");
		goto fail;
	}
	if (durable && fsync(f->dirfd) < 0)
		return sys_fail(err, size, f->path, name, "cannot flush the folder to disk");
	return PRACTLINK_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(f->dirfd, tmp, 0);
	return st;
}

static practlink_status files_remove(void *data, const char *id, char *err, size_t size)
{
	struct files *f = data;
	char name[80];

	snprintf(name, sizeof name, "%s.json", id);
	if (!lock_file_same(f))
		return lock_replaced(f, err, size);
	if (unlinkat(f->dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return say(err, size, PRACTLINK_NOT_FOUND, "no practitioner '%s' in %s", id,
				   f->path);
		return sys_fail(err, size, f->path, name, "cannot remove");
	}
	if (fsync(f->dirfd) < 0)
		return sys_fail(err, size, f->path, name, "cannot flush the folder to disk");
	return PRACTLINK_OK;
}

/* The records' folder, to read from the start; NULL with errno set. */
static DIR *open_listing(const struct files *f)
{
	int fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

static practlink_status files_list(void *data, practlink_status (*each)(void *, const char *),
				   void *arg, char *err, size_t size)
{
	struct files *f = data;
	practlink_status st = PRACTLINK_OK;
	struct dirent *de;
	DIR *d = open_listing(f);

	if (!d)
		return sys_fail(err, size, f->path, ".", "cannot list");
	/* One entry at a time: memory does not grow with the clinic. */
	while (st == PRACTLINK_OK && (errno = 0, de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char id[80];

		if (de->d_name[0] == '.' || n <= 5 || n - 5 >= sizeof id ||
		    strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		memcpy(id, de->d_name, n - 5);
		id[n - 5] = '\0';
		if (pl_id_valid(id))
			st = each(arg, id);
	}
	if (!de && errno != 0 && st == PRACTLINK_OK)
		st = sys_fail(err, size, f->path, ".", "cannot list");
	closedir(d);
	return st;
}

static uint64_t hash_id(const char *id)
{
	uint64_t h = 14695981039346656037u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211u;
	return h;
}

static practlink_status lock_id(struct files *f, const char *id, bool wait, void **token, char *err,
				size_t size)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	int fd;

	struct stat held, now;
	char tmp[112];
	pl_err e = { 0 };

	fl.l_start = (off_t)(hash_id(id) % LOCK_SLOTS);
	for (;;) {
		/* A descriptor of its own makes the lock exclude other threads too;
		 * O_NONBLOCK, for a FIFO put in the lock file's place. */
		fd = open(f->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
			  0600);
		if (fd < 0)
			return sys_fail(err, size, f->lock_path, "", "cannot open the lock file");
		if (fstat(fd, &held) < 0 ||
		    pl_file_check(&held, f->lock_path, false, PRACTLINK_STORE, &e) !=
			    PRACTLINK_OK ||
		    ((held.st_mode & 077) &&
		     pl_err_set(&e, PRACTLINK_STORE, "%s: open to others (mode %04o)", f->lock_path,
				(unsigned)held.st_mode & 07777))) {
			close(fd);
			return say(err, size, PRACTLINK_STORE, "%s",
				   e.msg[0] ? e.msg : "cannot check the lock file");
		}
		while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) < 0) {
			if (!wait && (errno == EAGAIN || errno == EACCES)) {
				close(fd);
				return say(err, size, PRACTLINK_TRANSIENT,
					   "%s: someone else is working on %s", f->lock_path, id);
			}
			if (errno != EINTR) {
				close(fd);
				return sys_fail(err, size, f->lock_path, "", "cannot lock");
			}
		}
		/* A lock counts only on the lock file that is still the store's:
		 * one removed or replaced meanwhile locks nobody out. */
		if (stat(f->lock_path, &now) == 0 && now.st_dev == held.st_dev &&
		    now.st_ino == held.st_ino)
			break;
		close(fd);
	}
	/* Locks on a lock file put in the store after it was opened would not
	 * exclude this store's other holders, nor they us. */
	if (held.st_dev != f->lock_dev || held.st_ino != f->lock_ino) {
		close(fd);
		return lock_replaced(f, err, size);
	}
	/* What a writer of this id killed mid-write left behind. */
	temp_name(id, tmp, sizeof tmp);
	unlinkat(f->dirfd, tmp, 0);
	*token = (void *)(intptr_t)(fd + 1);
	return PRACTLINK_OK;
}

static practlink_status files_lock(void *data, const char *id, void **token, char *err, size_t size)
{
	return lock_id(data, id, true, token, err, size);
}

static practlink_status files_trylock(void *data, const char *id, void **token, char *err,
				      size_t size)
{
	return lock_id(data, id, false, token, err, size);
}

static void files_unlock(void *data, void *token)
{
	if (token)
		close((int)(intptr_t)token - 1); /* closing releases the lock */
}

static practlink_status files_audit(void *data, const char *line, char *err, size_t size)
{
	struct files *f = data;
	size_t len = strlen(line);
	char buf[2048];
	ssize_t n;

	if (len + 1 > sizeof buf)
		return say(err, size, PRACTLINK_STORE, "an audit line of %zu bytes", len);
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write per line: O_APPEND keeps lines whole across processes. */
	while ((n = write(f->auditfd, buf, len + 1)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return sys_fail(err, size, f->path, "../audit.log", "cannot append");
	if ((size_t)n != len + 1)
		return say(err, size, PRACTLINK_STORE, "%s/../audit.log: a line was cut short",
			   f->path);
	return PRACTLINK_OK;
}

static void files_close(void *data)
{
	struct files *f = data;

	if (!f)
		return;
	if (f->dirfd >= 0)
		close(f->dirfd);
	if (f->auditfd >= 0)
		close(f->auditfd);
	free(f->path);
	free(f->lock_path);
	free(f);
}

static const practlink_store_ops files_ops = {
	.version = PRACTLINK_STORE_OPS_VERSION,
	.get = files_get,
	.put = files_put,
	.remove = files_remove,
	.list = files_list,
	.lock = files_lock,
	.unlock = files_unlock,
	.close = files_close,
	.audit_line = files_audit,
	.trylock = files_trylock,
};

practlink_status pl_store_files_stage(void *data, const char *id, const char *text, size_t len,
				      pl_err *err)
{
	struct files *f = data;
	char name[80], tmp[112];
	struct stat st;
	practlink_status s;
	int fd;

	snprintf(name, sizeof name, "%s.json", id);
	if (fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return pl_err_set(err, PRACTLINK_USAGE, "practitioner '%s' exists already in %s",
				  id, f->path);
	temp_name(id, tmp, sizeof tmp);
	unlinkat(f->dirfd, tmp, 0); /* a killed import's */
	fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err->status =
			       sys_fail(err->msg, sizeof err->msg, f->path, tmp, "cannot create");
	s = write_all(f, name, text, len, fd, err->msg, sizeof err->msg);
	if (close(fd) < 0 && s == PRACTLINK_OK)
		s = sys_fail(err->msg, sizeof err->msg, f->path, name, "cannot write");
	if (s != PRACTLINK_OK) {
		unlinkat(f->dirfd, tmp, 0);
		err->status = s;
	}
	return s;
}

bool pl_store_files_staged(void *data, const char *id)
{
	struct files *f = data;
	char tmp[112];
	struct stat st;

	temp_name(id, tmp, sizeof tmp);
	return fstatat(f->dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

practlink_status pl_store_files_publish(void *data, char (*ids)[PRACTLINK_ID_MAX], size_t n,
					practlink_status *each, pl_err *err)
{
	struct files *f = data;
	char name[80], tmp[112];
	practlink_status st = PRACTLINK_OK;

	/* Every staged file's data on disk before any gets its name. */
	if (n && syncfs(f->dirfd) < 0)
		st = sys_fail(err->msg, sizeof err->msg, f->path, "", "cannot flush to disk");
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s.json", ids[i]);
		temp_name(ids[i], tmp, sizeof tmp);
		each[i] = st;
		if (st == PRACTLINK_OK && linkat(f->dirfd, tmp, f->dirfd, name, 0) < 0) {
			each[i] = errno == EEXIST ? say(err->msg, sizeof err->msg, PRACTLINK_USAGE,
							"practitioner '%s' exists already in %s",
							ids[i], f->path)
						  : sys_fail(err->msg, sizeof err->msg, f->path,
							     name, "cannot create");
		}
		unlinkat(f->dirfd, tmp, 0);
	}
	if (st == PRACTLINK_OK && n && fsync(f->dirfd) < 0) {
		st = sys_fail(err->msg, sizeof err->msg, f->path, "",
			      "cannot flush the folder to disk");
		for (size_t i = 0; i < n; i++)
			each[i] = st;
	}
	err->status = st;
	return st;
}

practlink_status pl_store_files_clean(void *data, size_t *removed, pl_err *err)
{
	struct files *f = data;
	struct dirent *de;
	DIR *d = open_listing(f);

	*removed = 0;
	if (!d)
		return pl_err_set(err, PRACTLINK_STORE, "%s: cannot list: %s", f->path,
				  strerror(errno));
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		const char *json = strstr(de->d_name, ".json.");
		char id[80];
		void *token = NULL;

		/* .ID.json.tmp, and .ID.json.RANDOM.tmp of older practlinks. */
		if (de->d_name[0] != '.' || n < 5 || strcmp(de->d_name + n - 4, ".tmp") != 0 ||
		    !json || (size_t)(json - de->d_name) - 1 >= sizeof id)
			continue;
		snprintf(id, sizeof id, "%.*s", (int)(json - de->d_name - 1), de->d_name + 1);
		if (!pl_id_valid(id))
			continue;
		/* Under the id's lock: a writer's file in use is not stale. */
		if (files_lock(f, id, &token, NULL, 0) != PRACTLINK_OK)
			continue;
		if (unlinkat(f->dirfd, de->d_name, 0) == 0)
			(*removed)++;
		files_unlock(f, token);
	}
	closedir(d);
	return PRACTLINK_OK;
}

/* Makes path a private folder if it is missing, then insists that it is
 * one: ours, and closed to everyone else (records hold keys). */
static int private_dir(int at, const char *name, const char *shown, bool create, pl_err *err)
{
	struct stat st;
	int fd;

	if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST) {
		pl_err_set(err, errno == EACCES ? PRACTLINK_PERMISSION : PRACTLINK_STORE,
			   "%s: cannot create the store folder: %s", shown, strerror(errno));
		return -1;
	}
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		pl_err_set(err, PRACTLINK_CONFIG, "%s: the store folder does not exist", shown);
		return -1;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		pl_err_set(err, errno == EACCES ? PRACTLINK_PERMISSION : PRACTLINK_STORE, "%s: %s",
			   shown, errno == ELOOP ? "is a symbolic link" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (pl_file_check(&st, shown, true, PRACTLINK_PERMISSION, err) != PRACTLINK_OK ||
	    ((st.st_mode & 077) &&
	     pl_err_set(err, PRACTLINK_PERMISSION,
			"%s: open to others (mode %04o); it holds keys: run chmod 700 on it", shown,
			(unsigned)st.st_mode & 07777))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The lock file: made if missing, then trusted only as a regular file of
 * ours closed to others; its identity is kept (see files_lock). */
static bool open_lock_file(struct files *f, int top, pl_err *err)
{
	struct stat st;
	int fd = openat(top, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);

	if (fd < 0 || fstat(fd, &st) < 0) {
		pl_err_set(err, PRACTLINK_STORE, "%s: %s", f->lock_path,
			   errno == ELOOP ? "is a symbolic link" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	if (pl_file_check(&st, f->lock_path, false, PRACTLINK_STORE, err) != PRACTLINK_OK)
		return false;
	if (st.st_mode & 077) {
		pl_err_set(err, PRACTLINK_STORE, "%s: open to others (mode %04o)", f->lock_path,
			   (unsigned)st.st_mode & 07777);
		pl_err_hint(err, "run: chmod 600 %s", f->lock_path);
		return false;
	}
	f->lock_dev = st.st_dev;
	f->lock_ino = st.st_ino;
	return true;
}

/* The audit trail is appended to only if it is ours: a regular file,
 * owned by root or us, closed to others. */
static bool trusted_log(int fd, const char *path, pl_err *err)
{
	char shown[4200];
	struct stat st;

	snprintf(shown, sizeof shown, "%s/audit.log", path);
	if (fstat(fd, &st) < 0) {
		pl_err_set(err, PRACTLINK_STORE, "%s: %s", shown, strerror(errno));
		return false;
	}
	if (pl_file_check(&st, shown, false, PRACTLINK_STORE, err) != PRACTLINK_OK)
		return false;
	if (st.st_mode & 077) {
		pl_err_set(err, PRACTLINK_STORE, "%s: open to others (mode %04o)", shown,
			   (unsigned)st.st_mode & 07777);
		pl_err_hint(err, "run: chmod 600 %s", shown);
		return false;
	}
	return true;
}

practlink_status pl_store_files_open(const char *path, bool create, const practlink_store_ops **ops,
				     void **data, pl_err *err)
{
	struct files *f = calloc(1, sizeof *f);
	int top;

	if (!f)
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	f->dirfd = f->auditfd = -1;
	if (asprintf(&f->path, "%s/practitioners", path) < 0 ||
	    asprintf(&f->lock_path, "%s/lock", path) < 0) {
		f->path = f->lock_path = NULL;
		files_close(f);
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
	}
	top = pl_path_check_ancestors(path, PRACTLINK_PERMISSION, err) == PRACTLINK_OK
		      ? private_dir(AT_FDCWD, path, path, create, err)
		      : -1;
	if (top < 0) {
		files_close(f);
		return err->status;
	}
	/* Inside a store folder that exists, its layout is made as needed. */
	f->dirfd = private_dir(top, "practitioners", f->path, true, err);
	f->auditfd =
		openat(top, "audit.log",
		       O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (f->dirfd >= 0 && f->auditfd < 0)
		pl_err_set(err, PRACTLINK_STORE, "%s/audit.log: %s", path,
			   errno == ELOOP   ? "is a symbolic link"
			   : errno == ENXIO ? "not a regular file (a FIFO or a device)"
					    : strerror(errno));
	else if (f->dirfd >= 0 && !trusted_log(f->auditfd, path, err)) {
		close(f->auditfd);
		f->auditfd = -1;
	}
	if (f->dirfd >= 0 && f->auditfd >= 0 && !open_lock_file(f, top, err)) {
		close(f->auditfd);
		f->auditfd = -1;
	}
	close(top);
	if (f->dirfd < 0 || f->auditfd < 0) {
		files_close(f);
		return err->status;
	}
	*ops = &files_ops;
	*data = f;
	return PRACTLINK_OK;
}
