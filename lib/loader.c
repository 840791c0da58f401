/* SPDX-License-Identifier: MIT */
/*
 * loader.c - loading backend modules so that they cannot be swapped.
 *
 * A module is named, never given by path: module_dir/NAME.so. The folder
 * and the file are opened without following a final symlink and checked on
 * their descriptors (owner, mode, type); the module is then loaded from
 * that same descriptor through /proc/self/fd, so what was checked is what
 * runs. Its table is checked before any of its code is called.
 */
#include "internal.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Checks the table a module exports before the core relies on it: the
 * ABI first, which every table of every ABI has in front, then its size,
 * and only then the fields. */
static practlink_status check_table(const practlink_backend *be, const char *name, const char *path,
				    pl_err *err)
{
	if (be->abi != PRACTLINK_MODULE_ABI)
		return pl_err_set(err, PRACTLINK_MODULE,
				  "%s: built for module ABI %u, this practlink speaks %u; "
				  "rebuild the module against this practlink-module.h",
				  path, be->abi, PRACTLINK_MODULE_ABI);
	if (be->size < PRACTLINK_BACKEND_MIN_SIZE)
		return pl_err_set(err, PRACTLINK_MODULE,
				  "%s: its table is %u bytes, shorter than any of ABI %u (%zu); "
				  "rebuild the module against this practlink-module.h",
				  path, be->size, PRACTLINK_MODULE_ABI, PRACTLINK_BACKEND_MIN_SIZE);
	if (!be->name || strcmp(be->name, name) != 0)
		return pl_err_set(err, PRACTLINK_MODULE,
				  "%s: calls itself '%s' but was loaded as '%s'; a module's "
				  "file must be named after it",
				  path, be->name ? be->name : "(null)", name);
	if (!be->open || !be->close || !be->verify)
		return pl_err_set(err, PRACTLINK_MODULE,
				  "%s: lacks a required operation (open, close, verify)", path);
	if ((!be->find_user || !be->create_user || !be->set_integration || !be->exchange ||
	     !be->revoke) &&
	    !be->manual_step)
		return pl_err_set(err, PRACTLINK_MODULE,
				  "%s: leaves a step to the operator but gives no words for it "
				  "(manual_step)",
				  path);
	return PRACTLINK_OK;
}

practlink_status pl_module_load(const char *dir, const char *name, pl_module **out, pl_err *err)
{
	char file[80], proc[64], *path = NULL;
	const practlink_backend *be;
	practlink_status st;
	pl_module *mod = NULL;
	void *dl = NULL;
	int dfd = -1, fd = -1;

	return_val_if_fail(dir != NULL && name != NULL && out != NULL, PRACTLINK_USAGE);
	*out = NULL;
	if (!pl_name_is_bare(name))
		return pl_err_set(err, PRACTLINK_MODULE,
				  "module \"%s\" is not a bare name ([a-z0-9_-], at most 64): "
				  "modules are loaded only from module_dir, never by path",
				  name);
	snprintf(file, sizeof file, "%s.so", name);
	if (!(path = pl_path_resolve(dir, file)))
		return pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");

	/* The folders above module_dir too: any of them writable by others
	 * would let them swap module_dir itself. */
	if ((st = pl_path_check_ancestors(dir, PRACTLINK_MODULE, err)) != PRACTLINK_OK)
		goto out;
	dfd = pl_file_open_trusted(AT_FDCWD, dir, dir, true, PRACTLINK_MODULE, err);
	if (dfd < 0) {
		st = err->status == PRACTLINK_PERMISSION ? PRACTLINK_MODULE : err->status;
		err->status = st;
		goto out;
	}
	fd = pl_file_open_trusted(dfd, file, path, false, PRACTLINK_MODULE, err);
	if (fd < 0) {
		st = err->status = PRACTLINK_MODULE;
		goto out;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	dl = dlopen(proc, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		/* dlerror names /proc/self/fd/N; keep only the reason. */
		const char *colon = why ? strstr(why, ": ") : NULL;
		st = pl_err_set(err, PRACTLINK_MODULE, "%s: cannot be loaded: %s", path,
				colon ? colon + 2
				: why ? why
				      : "unknown error");
		goto out;
	}
	be = dlsym(dl, PRACTLINK_BACKEND_SYMBOL);
	if (!be) {
		st = pl_err_set(err, PRACTLINK_MODULE,
				"%s: does not export %s; is it a practlink module?", path,
				PRACTLINK_BACKEND_SYMBOL);
		goto out;
	}
	if ((st = check_table(be, name, path, err)) != PRACTLINK_OK)
		goto out;
	if (!(mod = calloc(1, sizeof *mod)) || !(mod->name = strdup(name))) {
		st = pl_err_set(err, PRACTLINK_INTERNAL, "out of memory");
		goto out;
	}
	mod->path = path;
	mod->dl = dl;
	/* The core reads its own copy, as long as this core's table: what the
	 * module's table does not cover (an operation appended after it was
	 * built) is NULL, and what it has beyond (one appended since this
	 * core) is left out. */
	memcpy(&mod->table, be, be->size < sizeof mod->table ? be->size : sizeof mod->table);
	mod->table.size = (unsigned)sizeof mod->table;
	mod->be = &mod->table;
	/* Kept open while the module is loaded: the dynamic linker knows it
	 * by the name /proc/self/fd/N, and a later module given the same
	 * number would otherwise be taken for this one. */
	mod->fd = fd;
	*out = mod;
	path = NULL;
	dl = NULL;
	mod = NULL;
	fd = -1;
	st = PRACTLINK_OK;
out:
	if (mod)
		free(mod->name);
	free(mod);
	if (dl)
		dlclose(dl);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(path);
	return st;
}

void pl_module_unload(pl_module *mod)
{
	if (!mod)
		return;
	dlclose(mod->dl);
	close(mod->fd);
	free(mod->name);
	free(mod->path);
	free(mod);
}
